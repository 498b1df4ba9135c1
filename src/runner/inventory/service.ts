import type { Site } from '../site/open.ts';
import { inventorySource, rackLayout } from '../site/open.ts';
import type { Result, RunnerNotice } from '../../protocol/messages.ts';
import type { FollowerOptions, InventoryFollower } from './follower.ts';
import { maasView } from './maas-view.ts';

export { maasFeed } from './maas-view.ts';
import type { RowDelta } from './rows.ts';
import type { FollowerState } from './follower.ts';
import { Deadline, raceSignal } from '../../util/deadline.ts';
import type { WaitBoard } from '../waits.ts';

export interface InventoryServiceOptions extends FollowerOptions {
  pollMs?: number;
  /** Where the runner says what it waits for. */
  waits?: WaitBoard;
  /** RACKPILOT_MAAS_TIMEOUT: the bound of one step (a full list is two calls: both within it). */
  maasTimeoutMs?: number;
}

export type InventoryDelta = RowDelta & Omit<FollowerState, 'rows'> & { notice: RunnerNotice | null };

/**
 * The runner's inventory: one follower for every client. It polls only while a dashboard (or a
 * `hosts` read) wants it, and pushes each client a snapshot once, then deltas.
 */
export class InventoryService {
  readonly follower: InventoryFollower;
  private timer: NodeJS.Timeout | null = null;
  private subscribers = 0;
  readonly endpoint: string;
  /** The runner's newest notice (a new lab, a rack file reload), shown in the dashboard's header. */
  private notice: RunnerNotice | null = null;
  private readonly noticeListeners = new Set<() => void>();

  constructor(
    private readonly site: Site,
    private readonly opts: InventoryServiceOptions = {},
  ) {
    // The planner's Ready check reads the same view (src/runner/site/provision.ts).
    this.follower = maasView(site.maas, { ...(opts.waits && { waits: opts.waits }), follower: opts });
    this.follower.setLayout(rackLayout(site.topology));
    this.endpoint = inventorySource(site).endpoint;
  }

  get subscriberCount(): number {
    return this.subscribers;
  }

  layoutRacks() {
    return rackLayout(this.site.topology).racks.map((r) => ({ name: r.name, switchName: r.switchName }));
  }

  /** The rack file was reloaded: its racks and cabling from now on. */
  reloadLayout(): void {
    this.follower.setLayout(rackLayout(this.site.topology));
  }

  /** Tells every subscriber at once, with an empty delta carrying the notice. */
  announce(notice: RunnerNotice): void {
    this.notice = notice;
    for (const l of this.noticeListeners) l();
  }

  /** A client wants live rows: polling runs while at least one does. */
  subscribe(onDelta: (d: InventoryDelta) => void): () => void {
    const off = this.follower.onDelta(({ rows: _rows, ...d }) => onDelta({ ...d, notice: this.notice }));
    const onNotice = () => {
      const { rows: _rows, ...s } = this.follower.state();
      onDelta({ ...s, upsert: [], remove: [], notice: this.notice });
    };
    this.noticeListeners.add(onNotice);
    this.subscribers++;
    this.ensurePolling();
    return () => {
      off();
      this.noticeListeners.delete(onNotice);
      this.subscribers--;
      if (this.subscribers <= 0) this.stopPolling();
    };
  }

  /** The rows now; lists MaaS first when nothing has been listed yet. */
  async snapshot(signal?: AbortSignal): Promise<Result<'inventory.subscribe'>> {
    // A step that outlives the deadline goes on; its rows reach the subscriber as deltas.
    if (!this.follower.ready) await this.step(signal).catch(() => undefined);
    return this.current();
  }

  /** The rows as they are, with the last step's error if it failed: never a call to MaaS. */
  current(): Result<'inventory.subscribe'> {
    const s = this.follower.state();
    return {
      endpoint: this.endpoint,
      site: this.site.label,
      racks: this.layoutRacks(),
      rows: s.rows.map((r) => ({ ...r, ports: [...r.ports], macs: [...r.macs] })),
      refreshedAt: s.refreshedAt,
      error: s.error,
      version: s.version,
      notice: this.notice,
    };
  }

  /**
   * A task on a host just ended: follow MaaS's events now rather than at the next poll, so the
   * rows it touched read again at once (a follow, not a full list: cheap at any site size).
   */
  nudge(): void {
    if (this.subscribers > 0) void this.step().catch(() => undefined);
  }

  async refresh(signal?: AbortSignal): Promise<void> {
    this.follower.requestFullList();
    await this.step(signal);
  }

  /**
   * One follower step within `signal`'s deadline, or one of its own. A step already under way is
   * joined, and a caller leaves it at its own deadline while it goes on for the others; a step of
   * its own ends with MaaS's own error at that deadline (the follower records it).
   */
  private async step(signal?: AbortSignal): Promise<void> {
    const own = signal
      ? undefined
      : new Deadline(this.opts.maasTimeoutMs ?? 30_000, 'RACKPILOT_MAAS_TIMEOUT');
    const bound = signal ?? own!.signal;
    try {
      const joining = this.follower.busy;
      const work = this.follower.step(bound);
      await (joining ? raceSignal(work, bound) : work);
    } finally {
      own?.dispose();
    }
  }

  private ensurePolling(): void {
    if (this.timer) return;
    const tick = () => {
      void this.step()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.opts.pollMs ?? 2_000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  private stopPolling(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stopPolling();
  }
}
