import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Header } from '../../components/Header.tsx';
import { etcdPeers } from '../../src/cli/dashboard.tsx';
import { healthyCoordination, type Coordination } from '../fixtures/coordination.ts';

const base: Coordination = healthyCoordination;

const snapshot = {
  endpoint: 'http://maas:5240/MAAS',
  rows: [],
  racks: [],
  counts: new Map<string, number>(),
  refreshedAt: Date.parse('2026-12-06T09:30:00Z'),
  error: null,
  refreshing: false,
};

function header(c: Coordination, now: number): string {
  const r = render(<Header snapshot={snapshot} label="" width={140} now={now} peers={etcdPeers(c, now)} />);
  const frame = r.lastFrame() ?? '';
  r.unmount();
  return frame;
}

describe("the dashboard header's etcd lines", () => {
  const now = Date.parse('2026-12-06T09:30:00Z');

  it('says nothing while a quorum answers', () => {
    expect(etcdPeers(base, now)).toEqual([]);
  });

  it('tells a lost quorum from an unreachable cluster, with the members that answer', () => {
    const lost = header(
      {
        ...base,
        available: false,
        condition: 'quorum-lost',
        staleSince: '2026-12-06T09:20:00.000Z',
        error: '4 DEADLINE_EXCEEDED: Deadline exceeded',
        members: { answering: 1, total: 3, leader: false },
      },
      now,
    );
    expect(lost).toMatch(
      /etcd has no quorum \(1 of 3 members answer\) since \d\d:\d\d:\d\d: 4 DEADLINE_EXCEEDED/,
    );
    const away = header(
      {
        ...base,
        available: false,
        condition: 'unreachable',
        staleSince: '2026-12-06T09:20:00.000Z',
        error: '14 UNAVAILABLE: No connection established',
        members: { answering: 0, total: 3, leader: false },
      },
      now,
    );
    expect(away).toMatch(/etcd unreachable \(0 of 3 members answer\) since/);
  });

  it('says a lost lease until it is renewed, then that it was, for ten minutes', () => {
    const lost = { ...base, lease: { ...base.lease, lostAt: '2026-12-06T09:29:00.000Z' } };
    expect(header(lost, now)).toMatch(/this runner's etcd lease lost since \d\d:\d\d:\d\d: changes refused/);
    const renewed = { ...base, lease: { ...lost.lease, renewedAt: '2026-12-06T09:29:02.000Z' } };
    expect(header(renewed, now)).toMatch(
      /this runner's etcd lease was lost since \d\d:\d\d:\d\d: renewed at \d\d:\d\d:\d\d; the tasks it held then are interrupted/,
    );
    expect(etcdPeers(renewed, now + 11 * 60_000)).toEqual([]);
  });
});
