import { describeError } from '../src/util/errors.ts';
import type { RunnerClient } from '../src/client/runner-client.ts';
import {
  INVENTORY_NOTIFICATION,
  inventoryDeltaSchema,
  type InventoryDeltaMessage,
  type Result,
} from '../src/protocol/messages.ts';
import { PolledSnapshot } from './observable.ts';
import {
  countByStatus,
  type HostRow,
  type InventorySnapshot,
  type InventoryView,
  type RackSummary,
} from './live.ts';

type Subscribed = Result<'inventory.subscribe'>;

const HEARTBEAT_MS = 5_000;

/**
 * The dashboard's rows, pushed by the runner: one snapshot on subscribing, then only the rows that
 * changed. A delta patches the rows in place (a new host re-sorts them); nothing is re-read or
 * re-merged here, and nothing happens at all while MaaS does not change.
 */
export class RunnerInventory extends PolledSnapshot<InventorySnapshot> implements InventoryView {
  private rows: HostRow[] = [];
  private indexOf = new Map<string, number>();
  private rackOrder = new Map<string, number>();
  private racks: Subscribed['racks'] = [];
  private version = -1;
  private off: (() => void) | null = null;
  /** Deltas that arrive before the snapshot they follow: applied after it, never before it. */
  private early: InventoryDeltaMessage[] | null = [];

  constructor(private readonly client: RunnerClient) {
    super({
      endpoint: '',
      rows: [],
      racks: [],
      counts: new Map(),
      refreshedAt: null,
      error: null,
      refreshing: true,
    });
  }

  async connect(): Promise<void> {
    this.off?.();
    this.early = [];
    const offNote = this.client.onNotification(INVENTORY_NOTIFICATION, (raw) => {
      const parsed = inventoryDeltaSchema.safeParse(raw);
      if (!parsed.success) return;
      if (this.early) this.early.push(parsed.data);
      else this.apply(parsed.data);
    });
    const offClose = this.client.onClose((reason) => this.publish({ ...this.getSnapshot(), error: reason }));
    this.off = () => {
      offNote();
      offClose();
    };
    try {
      this.load(await this.client.call('inventory.subscribe', {}));
    } catch (err) {
      this.early = null;
      this.publish({ ...this.getSnapshot(), error: describeError(err), refreshing: false });
    }
  }

  override async refresh(): Promise<void> {
    this.publish({ ...this.getSnapshot(), refreshing: true });
    try {
      await this.client.call('inventory.refresh', {});
    } catch (err) {
      this.publish({ ...this.getSnapshot(), error: describeError(err) });
    } finally {
      this.publish({ ...this.getSnapshot(), refreshing: false });
    }
  }

  close(): void {
    this.off?.();
    this.off = null;
  }

  private load(s: Subscribed): void {
    this.racks = s.racks;
    this.rackOrder = new Map(s.racks.map((r, i) => [r.name, i]));
    this.rows = s.rows;
    this.reindex();
    this.version = s.version;
    if (s.notice) this.publish({ ...this.getSnapshot(), notice: s.notice });
    this.emit(s.endpoint, s.refreshedAt, s.error);
    const early = this.early ?? [];
    this.early = null;
    for (const d of early) this.apply(d);
  }

  private apply(d: InventoryDeltaMessage): void {
    // A notice comes with an empty delta of the current version: it is news on its own.
    if (d.notice !== undefined && d.notice?.at !== this.getSnapshot().notice?.at)
      this.publish({ ...this.getSnapshot(), notice: d.notice });
    if (d.version <= this.version) return;
    this.version = d.version;
    let added = false;
    for (const r of d.upsert) {
      const i = this.indexOf.get(r.key);
      if (i === undefined) {
        this.rows.push(r);
        added = true;
      } else this.rows[i] = r;
    }
    if (d.remove.length > 0) {
      const gone = new Set(d.remove);
      this.rows = this.rows.filter((r) => !gone.has(r.key));
    }
    if (added) this.sort();
    if (added || d.remove.length > 0) this.reindex();
    // A new array: React sees a change only when rows changed.
    if (d.upsert.length > 0 || d.remove.length > 0) this.rows = [...this.rows];
    this.emit(this.getSnapshot().endpoint, d.refreshedAt, d.error);
  }

  private sort(): void {
    const order = (r: HostRow) =>
      r.rack === null ? Number.MAX_SAFE_INTEGER : (this.rackOrder.get(r.rack) ?? 0);
    this.rows.sort(
      (a, b) => order(a) - order(b) || (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0),
    );
  }

  private reindex(): void {
    this.indexOf = new Map(this.rows.map((r, i) => [r.key, i]));
  }

  private emit(endpoint: string, refreshedAt: number | null, error: string | null): void {
    const prev = this.getSnapshot();
    const rowsChanged = prev.rows !== this.rows;
    // A heartbeat (nothing changed, MaaS answered) is shown only when the freshness the screen
    // shows could change: a new snapshot every 5 s at most, not with every poll.
    const heartbeatOnly =
      !rowsChanged && error === prev.error && !prev.refreshing && endpoint === prev.endpoint;
    if (heartbeatOnly && refreshedAt !== null && prev.refreshedAt !== null) {
      // Nothing on screen changes ("live" stays "live"): the fresher time is kept for the next
      // render (the clock's own tick) without asking for one. Only data turning stale, rows,
      // errors or the endpoint redraw.
      if (refreshedAt - prev.refreshedAt < HEARTBEAT_MS) return;
      this.replace({ ...prev, refreshedAt });
      return;
    }
    this.publish({
      endpoint,
      notice: prev.notice ?? null,
      rows: this.rows,
      racks: rowsChanged || prev.racks.length === 0 ? this.summarise() : prev.racks,
      counts: rowsChanged ? countByStatus(this.rows) : prev.counts,
      refreshedAt,
      error,
      refreshing: false,
    });
  }

  private summarise(): RackSummary[] {
    const counts = new Map<string, number>();
    let unracked = 0;
    for (const r of this.rows) {
      if (r.rack === null) unracked++;
      else counts.set(r.rack, (counts.get(r.rack) ?? 0) + 1);
    }
    const racks: RackSummary[] = this.racks.map((r) => ({ ...r, hostCount: counts.get(r.name) ?? 0 }));
    if (unracked > 0) racks.push({ name: '(no rack)', switchName: '', hostCount: unracked });
    return racks;
  }
}
