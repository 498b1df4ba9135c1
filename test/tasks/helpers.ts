import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/runner/store/store.ts';
import type { Clock } from '../../src/runner/tasks/clock.ts';
import type { TaskEvent } from '../../src/runner/tasks/events.ts';
import { TaskEngine, type TaskEngineOptions } from '../../src/runner/tasks/engine.ts';

export interface Rig {
  dir: string;
  file: string;
  store: Store;
  engine: TaskEngine;
  events: TaskEvent[];
  close(): Promise<void>;
}

export async function rig(opts: Partial<TaskEngineOptions> = {}): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-tasks-'));
  const file = join(dir, 'store.json');
  const store = await openStore(file);
  const engine = new TaskEngine({ store, concurrency: 4, ...opts });
  const events: TaskEvent[] = [];
  engine.subscribe((e) => events.push(e));
  return {
    dir,
    file,
    store,
    engine,
    events,
    close: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Backoff waits return at once and are recorded, so retry tests take no time and see the delays. */
export function recordingClock(): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      sleeps.push(ms);
    },
  };
}

/** A promise the test opens by hand. */
export function gate(): { promise: Promise<void>; open: () => void; opened: boolean } {
  let open!: () => void;
  const g = {
    opened: false,
    promise: new Promise<void>((r) => (open = r)),
    open: () => {
      g.opened = true;
      open();
    },
  };
  return g;
}

/** Resolves when the signal aborts, rejecting with its reason, as well-behaved I/O does. */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** Polls a condition with a generous deadline (no timing assumptions). */
export async function until(cond: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
