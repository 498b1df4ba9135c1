import { describe, expect, it } from 'vitest';
import { etcdCondition, leaseStory } from '../../src/cli/etcd-text.ts';
import { healthyCoordination, type Coordination } from '../fixtures/coordination.ts';

/** `runner status` tells etcd unreachable, quorum lost and a lost lease (renewed or not) apart. */
const base: Coordination = healthyCoordination;

describe('runner status on etcd', () => {
  it('a quorum answers', () => {
    expect(etcdCondition(base)).toBe('a quorum answers');
    expect(leaseStory(base.lease)).toBeNull();
  });

  it('quorum lost, with how many members answer', () => {
    const c = {
      ...base,
      available: false,
      condition: 'quorum-lost' as const,
      staleSince: '2026-12-06T09:12:03.000Z',
      members: { answering: 1, total: 3, leader: false },
    };
    expect(etcdCondition(c)).toBe(
      'QUORUM LOST since 2026-12-06T09:12:03.000Z (1 of 3 members answer): changes refused, reads from the last known state',
    );
  });

  it('unreachable, with the error', () => {
    const c = {
      ...base,
      available: false,
      condition: 'unreachable' as const,
      staleSince: '2026-12-06T09:12:03.000Z',
      error: '14 UNAVAILABLE: No connection established',
      members: { answering: 0, total: 3, leader: false },
    };
    expect(etcdCondition(c)).toBe(
      'UNREACHABLE since 2026-12-06T09:12:03.000Z (0 of 3 members answer) (14 UNAVAILABLE: No connection established): changes refused, reads from the last known state',
    );
  });

  it('a lease lost, then renewed', () => {
    const lost = { ...base.lease, lostAt: '2026-12-06T09:20:00.000Z' };
    expect(leaseStory(lost)).toMatch(
      /^LOST at 2026-12-06T09:20:00\.000Z: a new one is taken as soon as etcd answers/,
    );
    expect(leaseStory({ ...lost, renewedAt: '2026-12-06T09:20:01.000Z' })).toBe(
      'lost at 2026-12-06T09:20:00.000Z, renewed at 2026-12-06T09:20:01.000Z: the tasks this runner held then were interrupted',
    );
  });
});
