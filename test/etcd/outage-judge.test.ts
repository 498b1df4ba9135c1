import { describe, expect, it } from 'vitest';
import { OutageJudge, conditionFrom } from '../../src/runner/coord/etcd-health.ts';

/**
 * When failed rounds make etcd unavailable, on a fake clock: never at the first round that failed
 * at every member (a leader election on a loaded machine can outlast one), only at a second round
 * begun after the first had failed; an answer between them starts the count again.
 */
describe('the outage judge', () => {
  it('a single failed round is not an outage', () => {
    const j = new OutageJudge();
    expect(j.failed(1_000, 4_000)).toBeNull();
  });

  it('a second failed round, begun after the first failed, is one, dated from the first', () => {
    const j = new OutageJudge();
    expect(j.failed(1_000, 4_000)).toBeNull();
    expect(j.failed(4_500, 6_000)).toBe(4_000);
    // Further rounds keep the date the trouble began.
    expect(j.failed(6_500, 8_000)).toBe(4_000);
  });

  it('a request that began before the first round failed is the same election, not a second round', () => {
    const j = new OutageJudge();
    expect(j.failed(1_000, 4_000)).toBeNull();
    // Started during the same election, it fails just after the round did.
    expect(j.failed(2_000, 4_200)).toBeNull();
    expect(j.failed(3_999, 5_000)).toBeNull();
    expect(j.failed(4_000, 5_500)).toBe(4_000);
  });

  it('an answer between two failed rounds starts the count again', () => {
    const j = new OutageJudge();
    expect(j.failed(1_000, 4_000)).toBeNull();
    j.answered();
    expect(j.failed(5_000, 7_000)).toBeNull();
    expect(j.failed(7_500, 9_000)).toBe(7_000);
  });

  it('elections one after another, each answered, never make an outage', () => {
    const j = new OutageJudge();
    for (let t = 0; t < 100_000; t += 3_000) {
      expect(j.failed(t, t + 1_500)).toBeNull();
      j.answered();
    }
  });
});

describe('the condition once unavailable', () => {
  it('tells unreachable from quorum lost by the members that answer', () => {
    expect(conditionFrom({ answering: 0, total: 3, leader: false }, 'x')).toBe('unreachable');
    expect(conditionFrom({ answering: 1, total: 3, leader: false }, 'x')).toBe('quorum-lost');
    expect(conditionFrom({ answering: 3, total: 3, leader: false }, 'x')).toBe('quorum-lost');
    expect(conditionFrom({ answering: 2, total: 3, leader: true }, 'x')).toBe('unreachable');
  });
});
