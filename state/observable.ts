/**
 * A value React reads with useSyncExternalStore and a timer refreshes: each change publishes a new
 * immutable snapshot and tells the subscribers.
 */
export abstract class PolledSnapshot<T> {
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  protected constructor(private snapshot: T) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): T => this.snapshot;

  abstract refresh(): Promise<void>;

  /** Refreshes now, then every `intervalMs`; the timer never keeps the process alive. */
  start(intervalMs: number): void {
    this.stop();
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A new value that changes nothing shown: read at the next render, no render asked for. */
  protected replace(next: T): void {
    this.snapshot = next;
  }

  protected publish(next: T): void {
    this.snapshot = next;
    for (const l of this.listeners) l();
  }
}
