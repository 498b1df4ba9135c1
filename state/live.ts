import type { RunnerNotice } from '../src/protocol/messages.ts';
import type { HostRow, RackLayout } from '../src/protocol/inventory.ts';

export { NOT_IN_MAAS, type HostRow, type RackLayout } from '../src/protocol/inventory.ts';

/**
 * The live inventory: MaaS machines merged with the rack file, refreshed with ONE MaaS list call
 * per cycle, exposed as immutable snapshots for React's useSyncExternalStore.
 * It never invents state: when MaaS cannot be reached, the last rows stay but the snapshot says
 * how stale they are and why.
 */

export interface RackSummary {
  name: string;
  switchName: string;
  hostCount: number;
}

export interface InventorySnapshot {
  endpoint: string;
  /** The runner's newest notice (a new lab began, the rack file reloaded or an edit refused). */
  notice?: RunnerNotice | null;
  rows: readonly HostRow[];
  racks: readonly RackSummary[];
  counts: ReadonlyMap<string, number>;
  /** Epoch ms of the last successful refresh; null before the first one. */
  refreshedAt: number | null;
  /** Why the last refresh failed, if it did; rows are then as of refreshedAt. */
  error: string | null;
  refreshing: boolean;
}

/** What the dashboard reads rows from: polled here, or pushed by the site's runner. */
export interface InventoryView {
  subscribe(listener: () => void): () => void;
  getSnapshot(): InventorySnapshot;
  /** A full read from MaaS now (the `r` key). */
  refresh(): Promise<void>;
}

export function summariseRacks(layout: RackLayout, rows: readonly HostRow[]): RackSummary[] {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.rack !== null) counts.set(r.rack, (counts.get(r.rack) ?? 0) + 1);
  const racks = layout.racks.map((r) => ({
    name: r.name,
    switchName: r.switchName,
    hostCount: counts.get(r.name) ?? 0,
  }));
  const unracked = rows.filter((r) => r.rack === null).length;
  if (unracked > 0) racks.push({ name: '(no rack)', switchName: '', hostCount: unracked });
  return racks;
}

export function countByStatus(rows: readonly HostRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.statusName, (counts.get(r.statusName) ?? 0) + 1);
  return counts;
}
