import { describe, expect, it } from 'vitest';
import { youngestChange } from '../../components/use-key-input.ts';

const T = 1_800_000_000_000;

describe('youngestChange (how fast the dashboard clock ticks)', () => {
  it('counts only the rows it is given, exact ages only, and running tasks and stale data', () => {
    const rows = [
      { since: T - 5_000, sinceExact: true },
      { since: T - 1_000, sinceExact: false },
    ];
    const fresh = { refreshedAt: Date.now() };
    expect(youngestChange(rows, fresh, [])).toBe(T - 5_000);
    // A young change on a row off screen (not passed) does not make the clock tick.
    expect(youngestChange([], fresh, [])).toBeNull();
    const before = Date.now();
    expect(youngestChange([], { refreshedAt: null }, [])!).toBeGreaterThanOrEqual(before);
    const running = [{ state: 'running' }] as unknown as Parameters<typeof youngestChange>[2];
    expect(youngestChange([], fresh, running)!).toBeGreaterThanOrEqual(before);
  });
});
