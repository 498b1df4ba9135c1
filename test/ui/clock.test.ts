import { describe, expect, it } from 'vitest';
import { nextAgeChange, nextRedraw } from '../../components/clock.ts';
import { formatAge, formatElapsed } from '../../components/format.ts';
import type { Task } from '../../src/protocol/records.ts';

const T = 1_800_000_000_000;
const task = (state: string, updatedAgoMs: number) =>
  ({ state, updatedAt: new Date(T - updatedAgoMs).toISOString() }) as unknown as Task;

describe('the dashboard clock: it draws again only when a text on screen changes', () => {
  it('nextAgeChange is the first moment formatAge shows something else', () => {
    for (const age of [
      0, 999, 1_000, 59_999, 60_000, 61_500, 3_599_999, 3_600_000, 86_399_000, 86_400_000, 90_061_000,
    ]) {
      const since = T - age;
      const at = nextAgeChange(since, T);
      expect(at).toBeGreaterThan(T);
      const shown = formatAge(T - since);
      // Unchanged up to the last millisecond before, changed at it.
      expect(formatAge(at - 1 - since)).toBe(shown);
      expect(formatAge(at - since)).not.toBe(shown);
    }
  });

  it('old ages on screen: the next minute boundary, coarse; nothing aging: no redraw at all', () => {
    const fresh = T - 2_000; // live for 8 s more
    expect(nextRedraw(T, { ages: [T - 5 * 60_000 - 20_000], refreshedAt: null })).toEqual({
      at: T + 40_000,
      coarse: true,
    });
    // "live" turns to "updated 10s ago" at refreshedAt + 10 s.
    expect(nextRedraw(T, { ages: [T - 5 * 60_000 - 20_000], refreshedAt: fresh })).toEqual({
      at: fresh + 10_000,
      coarse: false,
    });
    expect(nextRedraw(T, { ages: [], refreshedAt: null })).toBeNull();
  });

  it('young ages, running tasks, a stale header and slow MaaS count seconds', () => {
    expect(nextRedraw(T, { ages: [T - 5_500], refreshedAt: null })).toEqual({ at: T + 500, coarse: false });
    expect(nextRedraw(T, { ages: [], tasks: [task('running', 0)], refreshedAt: null })).toEqual({
      at: T + 1_000,
      coarse: false,
    });
    expect(nextRedraw(T, { ages: [], refreshedAt: T - 12_300 })).toEqual({ at: T + 700, coarse: false });
    expect(nextRedraw(T, { ages: [], refreshedAt: null, slowSince: T - 4_000 })).toEqual({
      at: T + 6_000,
      coarse: false,
    });
    expect(nextRedraw(T, { ages: [], refreshedAt: null, everySecond: true })).toEqual({
      at: T + 1_000,
      coarse: false,
    });
  });

  it('a settled task leaves the task pane on the minute its 15 minutes are up, then nothing', () => {
    const done = task('done', 14 * 60_000 + 30_000); // 30 s left in the pane
    const due = nextRedraw(T, { ages: [], tasks: [done], refreshedAt: null })!;
    expect(due.coarse).toBe(true);
    expect(due.at % 60_000).toBe(0);
    expect(due.at).toBeGreaterThanOrEqual(T + 30_000);
    expect(due.at).toBeLessThan(T + 90_000);
    expect(nextRedraw(T, { ages: [], tasks: [task('done', 16 * 60_000)], refreshedAt: null })).toBeNull();
  });

  it('a running task ticks every second even when a minute-old age is due sooner (it once waited 15 s)', () => {
    const running = {
      state: 'running',
      createdAt: new Date(T - 1_400).toISOString(),
      updatedAt: new Date(T - 1_400).toISOString(),
    } as unknown as Task;
    // A row aged 4m59.8s changes to 5m in 200 ms: coarse, held back to COARSE_MS.
    const due = nextRedraw(T, { ages: [T - 5 * 60_000 + 200], tasks: [running], refreshedAt: null });
    // The task's elapsed "1s" becomes "2s" 600 ms from now, on its own second.
    expect(due).toEqual({ at: T + 600, coarse: false });
  });

  it('a running task past a minute still changes every second (3m07s, 3m08s)', () => {
    const started = T - 3 * 60_000 - 7_250;
    const running = {
      state: 'rolling-back',
      createdAt: new Date(started).toISOString(),
      updatedAt: new Date(T).toISOString(),
    } as unknown as Task;
    const due = nextRedraw(T, { ages: [], tasks: [running], refreshedAt: null })!;
    expect(due).toEqual({ at: T + 750, coarse: false });
    expect(formatElapsed(T - started)).toBe('3m07s');
    expect(formatElapsed(due.at - started)).toBe('3m08s');
    expect(formatElapsed(2 * 3_600_000 + 5 * 60_000 + 9_000)).toBe('2h05m09s');
  });
});
