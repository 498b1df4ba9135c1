/**
 * One bound on a command's whole wait on one kind of peer (MaaS, a switch, a BMC, etcd, the
 * runner), named by the setting that sets it. A deadline is handed down as an AbortSignal, the
 * currency every client already takes; the calls that can size their own timers to what is left
 * (MaaS's) find the deadline behind the signal with `deadlineOf`.
 */
export class Deadline {
  readonly at: number;
  readonly signal: AbortSignal;
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** The whole bound, for messages ("within 30 s"). */
    readonly ms: number,
    /** The setting that sets it: RACKPILOT_MAAS_TIMEOUT… */
    readonly setting: string,
    now: number = Date.now(),
  ) {
    this.at = now + ms;
    const controller = new AbortController();
    this.signal = controller.signal;
    this.timer = setTimeout(() => controller.abort(new DeadlineExceeded(this)), Math.max(0, ms));
    // A deadline never keeps a process alive on its own.
    this.timer.unref();
    registry.set(this.signal, this);
  }

  remainingMs(now: number = Date.now()): number {
    return Math.max(0, this.at - now);
  }

  get expired(): boolean {
    return this.signal.aborted;
  }

  /** This deadline and the caller's own cancellation in one signal, still known as this deadline. */
  with(signal: AbortSignal | undefined): AbortSignal {
    if (!signal) return this.signal;
    const both = AbortSignal.any([signal, this.signal]);
    registry.set(both, this);
    return both;
  }

  /** Frees the timer once the wait is over (it is unref'd, so forgetting this costs nothing but a timer). */
  dispose(): void {
    clearTimeout(this.timer);
  }
}

/** The reason a deadline's signal aborts with. Named like the platform's, so timeout checks see it. */
export class DeadlineExceeded extends Error {
  override name = 'TimeoutError';
  constructor(readonly deadline: Deadline) {
    super(`no answer within ${formatSeconds(deadline.ms)} (${deadline.setting})`);
  }
}

const registry = new WeakMap<AbortSignal, Deadline>();

/** The deadline a signal carries, if it came from one. */
export function deadlineOf(signal: AbortSignal | undefined): Deadline | undefined {
  return signal ? registry.get(signal) : undefined;
}

/** Whether a signal was aborted by its deadline (as opposed to a cancel). */
export function abortedByDeadline(signal: AbortSignal | undefined): boolean {
  return !!signal?.aborted && signal.reason instanceof DeadlineExceeded;
}

/** `1 s`, `0.3 s`, `90 s`. */
export function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 100) / 10} s`;
}

/**
 * Waits for `work` but no longer than `signal` allows: a shared promise (one inventory step many
 * callers wait on) cannot take the signal itself, yet each waiter must leave at its own deadline.
 */
export function raceSignal<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
