import { Mutex } from 'async-mutex';
import pLimit, { type LimitFunction } from 'p-limit';

/**
 * In-process mutual exclusion, on maintained libraries: `p-limit` for the global limit of tasks
 * running at once, `async-mutex` for named resources (one Mutex per key, e.g. a ToR switch).
 *
 * Neither library takes an AbortSignal per waiter, and a task cancelled while queued must give up
 * its place at once. So a waiter whose signal aborts rejects immediately and leaves a stand-in in the
 * queue: when its turn comes, the stand-in takes the slot or lock and gives it straight back. Both
 * queues stay FIFO.
 */
export type Release = () => void;

function abortable<T>(
  granted: Promise<T>,
  signal: AbortSignal | undefined,
  giveBack: (value: T) => void,
): Promise<T> {
  if (!signal) return granted;
  return new Promise<T>((resolve, reject) => {
    let gone = false;
    const onAbort = () => {
      gone = true;
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    void granted.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (gone) giveBack(value);
        else resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!gone) reject(err);
      },
    );
  });
}

function once(fn: () => void): Release {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

/** A FIFO limit on work running at once (the engine's task slots). */
export class Semaphore {
  private readonly limit: LimitFunction;
  /** Waiters still wanting a slot (p-limit's pendingCount also counts abandoned stand-ins). */
  private queued = 0;

  constructor(limit: number) {
    if (!(limit >= 1)) throw new RangeError('concurrency limit must be at least 1');
    this.limit = pLimit(limit);
  }

  get running(): number {
    return this.limit.activeCount;
  }
  get waiting(): number {
    return this.queued;
  }

  /** Resolves with a release once a slot is free; rejects with the signal's reason if it aborts first. */
  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let state: 'queued' | 'granted' | 'abandoned' = 'queued';
    this.queued += 1;
    const onAbort = () => {
      if (state !== 'queued') return;
      state = 'abandoned';
      this.queued -= 1;
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const granted = new Promise<Release>((grant) => {
      void this.limit(
        () =>
          new Promise<void>((release) => {
            signal?.removeEventListener('abort', onAbort);
            if (state === 'queued') this.queued -= 1;
            if (state !== 'abandoned') state = 'granted';
            grant(once(release));
          }),
      );
    });
    return abortable(granted, signal, (release) => release());
  }
}

/** Named locks: one FIFO mutex per key, dropped when nobody holds or waits for it. */
export class KeyedMutex {
  private readonly held = new Map<string, { mutex: Mutex; users: number }>();

  isHeld(key: string): boolean {
    return this.held.get(key)?.mutex.isLocked() ?? false;
  }

  /** Takes every key, in sorted order so two holders of overlapping sets cannot deadlock. */
  async acquireAll(keys: readonly string[], signal?: AbortSignal): Promise<Release> {
    const sorted = [...new Set(keys)].sort();
    const releases: Release[] = [];
    try {
      for (const k of sorted) releases.push(await this.acquire(k, signal));
    } catch (err) {
      for (const r of releases.reverse()) r();
      throw err;
    }
    return () => {
      for (const r of releases.reverse()) r();
    };
  }

  acquire(key: string, signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    let entry = this.held.get(key);
    if (!entry) {
      entry = { mutex: new Mutex(), users: 0 };
      this.held.set(key, entry);
    }
    const e = entry;
    e.users += 1;
    const granted = e.mutex.acquire().then((unlock) =>
      once(() => {
        unlock();
        e.users -= 1;
        if (e.users === 0 && this.held.get(key) === e) this.held.delete(key);
      }),
    );
    return abortable(granted, signal, (release) => release());
  }
}
