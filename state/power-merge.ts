import type { HostRow, InventorySnapshot, InventoryView } from './live.ts';
import type { RunnerClient } from '../src/client/runner-client.ts';
import { POWER_NOTIFICATION, powerNotificationSchema } from '../src/protocol/messages.ts';

/**
 * POWER as the BMC answers it, merged into the inventory's rows: pure functions the dashboard (or
 * the runner's inventory, wherever the rows are built) calls with the rows and the sweep's map.
 */

export interface PowerReading {
  power: 'on' | 'off' | 'unknown';
  answer: 'ok' | 'unreachable' | 'auth';
  outOfBand?: { at: number; from: 'on' | 'off'; to: 'on' | 'off' } | undefined;
}

/**
 * The POWER cell (7 columns): the BMC's answer; MaaS's view beside it when it differs (`off≠on`:
 * the BMC says off, MaaS on); `unreach` / `badauth` when the BMC does not answer or refuses the
 * credentials; a leading `!` marks a change nobody explained (out of band).
 */
export function powerCell(maasPower: string, bmc: PowerReading | undefined): string {
  if (!bmc) return maasPower;
  if (bmc.answer === 'unreachable') return 'unreach';
  if (bmc.answer === 'auth') return 'badauth';
  if (bmc.power === 'unknown') return maasPower;
  const flag = bmc.outOfBand ? '!' : '';
  // MaaS's own view beside the BMC's only when MaaS has one (on/off) and it differs: 'unknown',
  // 'error' or no machine at all say nothing MaaS believes, and would not fit the column.
  if (bmc.power === maasPower || (maasPower !== 'on' && maasPower !== 'off')) return `${flag}${bmc.power}`;
  return `${flag}${bmc.power}≠${maasPower}`;
}

export function mergePowerRows(
  rows: readonly HostRow[],
  power: ReadonlyMap<string, PowerReading>,
): readonly HostRow[] {
  if (power.size === 0) return rows;
  return rows.map((r) => {
    const p = power.get(r.hostname);
    if (!p) return r;
    const cell = powerCell(r.powerState, p);
    return cell === r.powerState ? r : { ...r, powerState: cell };
  });
}

/** Header counts for what the BMCs say: unreachable, wrong credentials, changed out of band. */
export function powerCounts(power: ReadonlyMap<string, PowerReading>): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string) => out.set(k, (out.get(k) ?? 0) + 1);
  for (const p of power.values()) {
    if (p.answer === 'unreachable') add('BMC unreachable');
    else if (p.answer === 'auth') add('BMC auth failed');
    if (p.outOfBand) add('power out of band');
  }
  return out;
}

/** The snapshot with POWER from the BMCs and the BMC counts after MaaS's in the header. */
export function mergePowerSnapshot(
  snap: InventorySnapshot,
  power: ReadonlyMap<string, PowerReading>,
): InventorySnapshot {
  if (power.size === 0) return snap;
  const counts = new Map(snap.counts);
  for (const [k, v] of powerCounts(power)) counts.set(k, v);
  return { ...snap, rows: mergePowerRows(snap.rows, power), counts };
}

/**
 * An inventory view whose rows carry the BMCs' power: the runner's `power.snapshot` once, then its
 * `power.changed` notices (only changes arrive). Wraps whatever view gives the rows.
 */
export class PoweredInventory implements InventoryView {
  private readonly power = new Map<string, PowerReading>();
  private readonly listeners = new Set<() => void>();
  private cache: { base: InventorySnapshot; version: number; merged: InventorySnapshot } | null = null;
  private version = 0;
  private off: (() => void) | null = null;

  constructor(
    private readonly base: InventoryView,
    private readonly client: RunnerClient,
  ) {}

  async connect(): Promise<void> {
    this.off = this.client.onNotification(POWER_NOTIFICATION, (raw) => {
      const p = powerNotificationSchema.safeParse(raw);
      if (!p.success) return;
      this.power.set(p.data.power.hostname, p.data.power);
      this.bump();
    });
    try {
      const snap = await this.client.call('power.snapshot', {});
      for (const h of snap.hosts) this.power.set(h.hostname, h);
      this.bump();
    } catch {
      // An older runner without the sweep: POWER stays MaaS's.
    }
  }

  close(): void {
    this.off?.();
    if (this.bumpTimer) clearTimeout(this.bumpTimer);
  }

  private bumpTimer: NodeJS.Timeout | null = null;

  /** Power notices come in bursts (a sweep finds many at once): one redraw per burst. */
  private bump(): void {
    this.version++;
    this.bumpTimer ??= setTimeout(() => {
      this.bumpTimer = null;
      for (const l of this.listeners) l();
    }, 200);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    const offBase = this.base.subscribe(listener);
    return () => {
      this.listeners.delete(listener);
      offBase();
    };
  };

  getSnapshot = (): InventorySnapshot => {
    const base = this.base.getSnapshot();
    const c = this.cache;
    if (c && c.base === base && c.version === this.version) return c.merged;
    // Same rows and power, new header (a heartbeat): keep the merged rows, so nothing downstream
    // re-filters or re-sorts 10,000 rows for a timestamp.
    const merged =
      c && c.base.rows === base.rows && c.base.counts === base.counts && c.version === this.version
        ? { ...base, rows: c.merged.rows, counts: c.merged.counts }
        : mergePowerSnapshot(base, this.power);
    this.cache = { base, version: this.version, merged };
    return merged;
  };

  refresh(): Promise<void> {
    return this.base.refresh();
  }
}
