/**
 * In-process mutual exclusion: a keyed mutex for per-switch (or any named resource) serialisation,
 * and a FIFO semaphore for the global concurrency limit. Both give up cleanly when a signal aborts.
 */
export type Release = () => void;

interface Waiter {
  grant: () => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class Semaphore {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(private limit: number) {
    if (!(limit >= 1)) throw new RangeError('concurrency limit must be at least 1');
  }

  get running(): number {
    return this.active;
  }
  get waiting(): number {
    return this.queue.length;
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', waiter.onAbort);
          this.active += 1;
          resolve(this.releaser());
        },
        signal,
        onAbort: () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private releaser(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active -= 1;
      this.queue.shift()?.grant();
    };
  }
}

export class KeyedMutex {
  private readonly held = new Map<string, Waiter[]>();

  isHeld(key: string): boolean {
    return this.held.has(key);
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
    const queue = this.held.get(key);
    if (queue === undefined) {
      this.held.set(key, []);
      return Promise.resolve(this.releaser(key));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', waiter.onAbort);
          resolve(this.releaser(key));
        },
        signal,
        onAbort: () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(signal!.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      queue.push(waiter);
    });
  }

  private releaser(key: string): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const queue = this.held.get(key);
      const next = queue?.shift();
      if (next) next.grant();
      else this.held.delete(key);
    };
  }
}
