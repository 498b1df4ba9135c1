import { describeError } from '../../src/util/errors.ts';
import type { HostRow, RackLayout } from '../../src/protocol/inventory.ts';
import { mergeInventory, type InventorySource } from '../../src/runner/inventory/merge.ts';
import { countByStatus, summariseRacks, type InventorySnapshot } from '../../state/live.ts';
import { PolledSnapshot } from '../../state/observable.ts';

/**
 * A dashboard's inventory without a runner: MaaS's machine list polled and merged with the rack
 * layout in the process, one list call per refresh. The dashboard reads its rows from the runner;
 * the UI tests and the benches drive it with this over a fake or lab MaaS.
 */
export class Inventory extends PolledSnapshot<InventorySnapshot> {
  private byKey = new Map<string, HostRow>();
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly source: InventorySource,
    private readonly layout: RackLayout,
    private readonly clock: () => number = Date.now,
  ) {
    super({
      endpoint: source.endpoint,
      rows: [],
      racks: summariseRacks(layout, []),
      counts: new Map(),
      refreshedAt: null,
      error: null,
      refreshing: false,
    });
  }

  /** One MaaS list call; concurrent callers share it. */
  override refresh(signal?: AbortSignal): Promise<void> {
    this.inFlight ??= this.doRefresh(signal).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async doRefresh(signal?: AbortSignal): Promise<void> {
    this.publish({ ...this.getSnapshot(), refreshing: true });
    try {
      const machines = await this.source.listMachines(signal);
      const rows = mergeInventory(machines, this.layout, this.byKey, this.clock());
      this.byKey = new Map(rows.map((r) => [r.key, r]));
      this.publish({
        endpoint: this.source.endpoint,
        rows,
        racks: summariseRacks(this.layout, rows),
        counts: countByStatus(rows),
        refreshedAt: this.clock(),
        error: null,
        refreshing: false,
      });
    } catch (err) {
      this.publish({ ...this.getSnapshot(), error: describeError(err), refreshing: false });
    }
  }
}
