import { formatSeconds } from '../util/deadline.ts';

/**
 * What the runner is waiting for right now (MaaS's machine list, a switch's login…), so that a
 * client whose deadline passes is told what held it up, not only that it was late.
 */
export class WaitBoard {
  private readonly open = new Map<number, { what: string; since: number }>();
  private next = 1;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Runs `work`, known as `what` while it lasts. */
  async track<T>(what: string, work: () => Promise<T>): Promise<T> {
    const id = this.next++;
    this.open.set(id, { what, since: this.clock() });
    try {
      return await work();
    } finally {
      this.open.delete(id);
    }
  }

  /** The oldest wait still open, "MaaS's machine list (for 12 s)"; null when nothing is awaited. */
  describe(): string | null {
    let oldest: { what: string; since: number } | undefined;
    for (const w of this.open.values()) if (!oldest || w.since < oldest.since) oldest = w;
    return oldest ? `${oldest.what} (for ${formatSeconds(this.clock() - oldest.since)})` : null;
  }
}
