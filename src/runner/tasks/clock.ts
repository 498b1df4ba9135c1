/**
 * Time as the engine sees it: backoff waits and step timeouts go through a Clock so tests and the
 * lab (time scale) can compress them without touching the steps.
 */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepReal(ms, signal),
};

/** A clock whose waits last `scale` times as long (0: no waiting at all, as in the lab at time scale 0). */
export function scaledClock(scale: number): Clock {
  return { now: () => Date.now(), sleep: (ms, signal) => sleepReal(ms * scale, signal) };
}

function sleepReal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
