import type { Site } from '../../site/open.ts';
import { inventorySource, rackLayout } from '../../site/open.ts';
import type { MaasClient } from '../../maas/client.ts';
import type { Result } from '../protocol.ts';
import { InventoryFollower, type FollowerOptions, type MaasFeedPort } from './follower.ts';
import type { RowDelta } from './rows.ts';
import type { FollowerState } from './follower.ts';

/** MaaS as the follower needs it: summaries (the fields the inventory shows) and the events feed. */
export function maasFeed(maas: MaasClient): MaasFeedPort {
  return {
    listMachines: (filter, signal) => maas.listMachineSummaries(filter.id ? { id: filter.id } : {}, signal),
    newestEventId: async (signal) => {
      const page = await maas.queryEvents({ level: 'DEBUG', limit: 1 }, signal);
      return page.events[0]?.id ?? null;
    },
    eventsAfter: async (after, limit, signal) => {
      const page = await maas.queryEvents({ level: 'DEBUG', after, limit }, signal);
      return [...page.events].sort((a, b) => a.id - b.id);
    },
  };
}

export type InventoryDelta = RowDelta & Omit<FollowerState, 'rows'>;

/**
 * The runner's inventory: one follower for every client. It polls only while a dashboard (or a
 * `hosts` read) wants it, and pushes each client a snapshot once, then deltas.
 */
export class InventoryService {
  readonly follower: InventoryFollower;
  private timer: NodeJS.Timeout | null = null;
  private subscribers = 0;
  readonly endpoint: string;

  constructor(
    private readonly site: Site,
    private readonly opts: FollowerOptions & { pollMs?: number } = {},
  ) {
    this.follower = new InventoryFollower(maasFeed(site.maas), rackLayout(site.topology), opts);
    this.endpoint = inventorySource(site).endpoint;
  }

  get subscriberCount(): number {
    return this.subscribers;
  }

  layoutRacks() {
    return rackLayout(this.site.topology).racks.map((r) => ({ name: r.name, switchName: r.switchName }));
  }

  /** A client wants live rows: polling runs while at least one does. */
  subscribe(onDelta: (d: InventoryDelta) => void): () => void {
    const off = this.follower.onDelta(({ rows: _rows, ...d }) => onDelta(d));
    this.subscribers++;
    this.ensurePolling();
    return () => {
      off();
      this.subscribers--;
      if (this.subscribers <= 0) this.stopPolling();
    };
  }

  /** The rows now; lists MaaS first when nothing has been listed yet. */
  async snapshot(): Promise<Result<'inventory.subscribe'>> {
    if (!this.follower.ready) await this.follower.step();
    const s = this.follower.state();
    return {
      endpoint: this.endpoint,
      site: this.site.label,
      racks: this.layoutRacks(),
      rows: s.rows.map((r) => ({ ...r, ports: [...r.ports], macs: [...r.macs] })),
      refreshedAt: s.refreshedAt,
      error: s.error,
      version: s.version,
    };
  }

  /**
   * A task on a host just ended: follow MaaS's events now rather than at the next poll, so the
   * rows it touched read again at once (a follow, not a full list: cheap at any site size).
   */
  nudge(): void {
    if (this.subscribers > 0) void this.follower.step();
  }

  async refresh(): Promise<void> {
    this.follower.requestFullList();
    await this.follower.step();
  }

  private ensurePolling(): void {
    if (this.timer) return;
    const tick = () => {
      void this.follower.step().finally(() => {
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
