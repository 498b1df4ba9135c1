import { describeError } from '../../util/errors.ts';
import type { HostRow, RackLayout } from '../../protocol/inventory.ts';
import { mergeInventory, type MachineRecord } from './merge.ts';
import { diffRows, type RowDelta } from './rows.ts';

/**
 * List, then follow: the site's one MaaS poller, as Kubernetes informers do it. One full list,
 * then every poll reads only MaaS's events after the last id seen (level DEBUG, so power and PXE
 * events count) and re-reads just the machines they name, in one filtered request. A full list runs
 * again on a slow cadence (never more often than 10× the time the last one took), on demand, and
 * whenever the feed may have skipped: a page that overflows, ids that jump too far or go back, or
 * an error (a MaaS that restarted may have lost or renumbered its events).
 */
export interface MaasFeedPort {
  /** Machines, all or those with these system ids (one request). */
  listMachines(filter: { id?: readonly string[] }, signal?: AbortSignal): Promise<readonly MachineRecord[]>;
  /** The newest event id at level DEBUG, or null when MaaS has none. */
  newestEventId(signal?: AbortSignal): Promise<number | null>;
  /** Events after `after`, oldest first, at most `limit`, at level DEBUG. */
  eventsAfter(
    after: number,
    limit: number,
    signal?: AbortSignal,
  ): Promise<readonly { id: number; node: string }[]>;
}

export interface FollowerOptions {
  /** A full list at least this often (default 5 minutes). */
  fullListEveryMs?: number;
  /** Events per request; a full page asks for the next, up to maxPages, then a full list. */
  pageSize?: number;
  maxPages?: number;
  /** An id jump larger than this means events were lost (pruned, skipped): list again. */
  gapThreshold?: number;
  /** Machines per filtered read. */
  readChunk?: number;
  clock?: () => number;
}

export interface FollowerStats {
  fullLists: number;
  polls: number;
  filteredReads: number;
  lastFullListMs: number;
}

export interface FollowerState {
  rows: readonly HostRow[];
  refreshedAt: number | null;
  error: string | null;
  version: number;
}

export class InventoryFollower {
  private readonly machines = new Map<string, MachineRecord>();
  private rowsByKey = new Map<string, HostRow>();
  private rows: HostRow[] = [];
  private lastEventId: number | null = null;
  private listed = false;
  private needFullList = true;
  private nextFullListAt = 0;
  private refreshedAt: number | null = null;
  private error: string | null = null;
  private version = 0;
  private running: Promise<void> | null = null;
  /** The machines changed since the rows were merged (at `rowsAsOf`), and nobody followed them. */
  private rowsStale = false;
  private rowsAsOf = 0;
  /** What the last step failed with; null once a step succeeds. */
  private failure: unknown = null;
  private readonly listeners = new Set<(delta: RowDelta & FollowerState) => void>();
  readonly stats: FollowerStats = { fullLists: 0, polls: 0, filteredReads: 0, lastFullListMs: 0 };
  private readonly opts: Required<FollowerOptions>;

  constructor(
    private readonly port: MaasFeedPort,
    private layout: RackLayout,
    opts: FollowerOptions = {},
  ) {
    this.opts = {
      fullListEveryMs: opts.fullListEveryMs ?? 5 * 60_000,
      pageSize: opts.pageSize ?? 1000,
      maxPages: opts.maxPages ?? 5,
      gapThreshold: opts.gapThreshold ?? 500,
      readChunk: opts.readChunk ?? 200,
      clock: opts.clock ?? Date.now,
    };
  }

  state(): FollowerState {
    if (this.rowsStale) this.mergeRows(this.rowsAsOf);
    return { rows: this.rows, refreshedAt: this.refreshedAt, error: this.error, version: this.version };
  }

  get ready(): boolean {
    return this.listed;
  }

  /** MaaS's status of a machine as the view last saw it; undefined when MaaS did not list it. */
  statusOf(systemId: string): number | undefined {
    return this.machines.get(systemId)?.status;
  }

  /**
   * One step, as `step`, that rejects with MaaS's error when it fails: for a caller that must not
   * act on a view older than now (the planner's Ready check).
   */
  async sync(signal?: AbortSignal): Promise<void> {
    await this.step(signal);
    if (this.failure !== null) throw this.failure;
  }

  /** A step is under way (a new caller shares it, with the first caller's signal). */
  get busy(): boolean {
    return this.running !== null;
  }

  onDelta(listener: (delta: RowDelta & FollowerState) => void): () => void {
    // A new listener's deltas start from rows as of now.
    if (this.rowsStale) this.mergeRows(this.rowsAsOf);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The rack file changed: rows are merged again with its cabling (no MaaS call). */
  setLayout(layout: RackLayout): void {
    this.layout = layout;
    if (this.listed) this.remerge();
  }

  /** Asks for a full list at the next step (the operator's `r`). */
  requestFullList(): void {
    this.needFullList = true;
  }

  /** One step: a full list when due, else one follow of the events. Concurrent callers share it. */
  step(signal?: AbortSignal): Promise<void> {
    this.running ??= this.doStep(signal).finally(() => (this.running = null));
    return this.running;
  }

  private async doStep(signal?: AbortSignal): Promise<void> {
    try {
      if (this.needFullList || this.opts.clock() >= this.nextFullListAt) await this.fullList(signal);
      else await this.follow(signal);
      this.failure = null;
      if (this.error !== null) {
        this.error = null;
        this.publish({ upsert: [], remove: [] });
      }
    } catch (err) {
      // After a failure the feed cannot be trusted (MaaS may have restarted): list again.
      this.needFullList = true;
      this.failure = err;
      const text = describeError(err);
      if (text !== this.error) {
        this.error = text;
        this.publish({ upsert: [], remove: [] });
      }
    }
  }

  private async fullList(signal?: AbortSignal): Promise<void> {
    const t0 = this.opts.clock();
    // The newest event id first: anything that happens during the list is followed afterwards.
    const newest = await this.port.newestEventId(signal);
    const list = await this.port.listMachines({}, signal);
    this.machines.clear();
    for (const m of list) this.machines.set(m.system_id, m);
    this.lastEventId = newest ?? 0;
    this.listed = true;
    this.needFullList = false;
    const took = this.opts.clock() - t0;
    this.stats.fullLists++;
    this.stats.lastFullListMs = took;
    this.nextFullListAt = this.opts.clock() + Math.max(this.opts.fullListEveryMs, 10 * took);
    this.remerge();
    // The list's text and parse are garbage now; a runner started with --expose-gc returns it.
    (globalThis as { gc?: () => void }).gc?.();
  }

  private async follow(signal?: AbortSignal): Promise<void> {
    this.stats.polls++;
    const after = this.lastEventId ?? 0;
    const named = new Set<string>();
    let cursor = after;
    for (let page = 0; ; page++) {
      const events = await this.port.eventsAfter(cursor, this.opts.pageSize, signal);
      if (events.length === 0) break;
      const first = events[0]!.id;
      if (first <= cursor || first - cursor > this.opts.gapThreshold) return this.fullList(signal);
      for (const e of events) named.add(e.node);
      cursor = events[events.length - 1]!.id;
      if (events.length < this.opts.pageSize) break;
      if (page + 1 >= this.opts.maxPages) return this.fullList(signal);
    }
    this.lastEventId = cursor;
    if (named.size === 0) {
      // Nothing changed, and that is news too: the header says how fresh the rows are.
      this.refreshedAt = this.opts.clock();
      this.publish({ upsert: [], remove: [] });
      return;
    }
    const ids = [...named];
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += this.opts.readChunk) {
      const chunk = ids.slice(i, i + this.opts.readChunk);
      this.stats.filteredReads++;
      for (const m of await this.port.listMachines({ id: chunk }, signal)) {
        this.machines.set(m.system_id, m);
        found.add(m.system_id);
      }
    }
    // Named by an event but gone from MaaS: deleted.
    for (const id of ids) if (!found.has(id)) this.machines.delete(id);
    this.remerge();
  }

  private remerge(): void {
    const now = this.opts.clock();
    if (this.listeners.size === 0) {
      // Nobody follows the rows (the planner alone reads the view): they are merged when asked
      // for, not at every step (a merge reads every machine of the site).
      this.rowsStale = true;
      this.rowsAsOf = now;
      this.refreshedAt = now;
      this.version++;
      return;
    }
    this.publish(this.mergeRows(now));
  }

  private mergeRows(now: number): RowDelta {
    const next = mergeInventory([...this.machines.values()], this.layout, this.rowsByKey, now);
    const delta = diffRows(this.rowsByKey, next);
    this.rows = next;
    this.rowsByKey = new Map(next.map((r) => [r.key, r]));
    this.rowsStale = false;
    this.refreshedAt = now;
    return delta;
  }

  private publish(delta: RowDelta): void {
    this.version++;
    const full = { ...delta, ...this.state() };
    for (const l of this.listeners) l(full);
  }
}
