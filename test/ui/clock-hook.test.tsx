import { afterEach, describe, expect, it, vi } from 'vitest';
import { Text } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { nextRedraw, useNow, type Aging } from '../../components/clock.ts';
import { formatAge } from '../../components/format.ts';

const T = 1_800_000_000_000;

/** One age on screen, and the data's freshness read live, as the dashboard does. */
function Age({ since, data }: { since: number; data: { refreshedAt: number | null } }) {
  const now = useNow(undefined, (at) =>
    nextRedraw(at, { ages: [since], refreshedAt: data.refreshedAt } as Aging),
  );
  return (
    <Text>{`${formatAge(now - since)} ${data.refreshedAt !== null && now - data.refreshedAt < 10_000 ? 'live' : 'stale'}`}</Text>
  );
}

const renders = (ui: ReturnType<typeof render>) => ui.frames.length;

/**
 * Fake time moves in small steps, and React's effects (scheduled on the real event loop) run
 * between them, as they would between the seconds of a real clock.
 */
async function pass(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 250) {
    await vi.advanceTimersByTimeAsync(250);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }
}

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('useNow: a frame for time alone only when a text changes', () => {
  it('an old age draws once a minute at most, on the minute it changes', async () => {
    vi.useFakeTimers({ now: T, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const ui = render(<Age since={T - 5 * 60_000 - 50_000} data={{ refreshedAt: null }} />);
    expect(ui.lastFrame()).toBe('5m stale');
    const before = renders(ui);
    await pass(9_000);
    expect(renders(ui)).toBe(before); // nothing changed: no frame
    await pass(7_000); // 16 s: "5m" became "6m" at 10 s, drawn at the coarse 15 s
    expect(ui.lastFrame()).toBe('6m stale');
    const after = renders(ui);
    await pass(40_000);
    expect(renders(ui)).toBe(after);
    await pass(20_000);
    expect(ui.lastFrame()).toBe('7m stale');
  });

  it('a heartbeat that keeps the data live draws nothing; data that stops coming turns stale on time', async () => {
    vi.useFakeTimers({ now: T, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const data = { refreshedAt: T };
    const ui = render(<Age since={T - 3 * 3_600_000} data={data} />);
    expect(ui.lastFrame()).toBe('3h00 live');
    const before = renders(ui);
    for (let i = 0; i < 10; i++) {
      await pass(2_000);
      data.refreshedAt = Date.now(); // the runner's heartbeat: no render asked for
    }
    expect(renders(ui)).toBe(before);
    await pass(10_000); // heartbeats stop: stale 10 s after the last
    expect(ui.lastFrame()).toBe('3h00 stale');
  });
});
