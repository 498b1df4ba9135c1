import type { HostRow } from '../../../state/live.ts';

/** What changed between two row sets: rows to put (new or different) and keys to drop. */
export interface RowDelta {
  upsert: HostRow[];
  remove: string[];
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function sameRow(a: HostRow, b: HostRow): boolean {
  return (
    a.hostname === b.hostname &&
    a.rack === b.rack &&
    a.switchName === b.switchName &&
    a.systemId === b.systemId &&
    a.status === b.status &&
    a.statusName === b.statusName &&
    a.statusMessage === b.statusMessage &&
    a.powerState === b.powerState &&
    a.since === b.since &&
    a.sinceExact === b.sinceExact &&
    sameList(a.ports, b.ports) &&
    sameList(a.macs, b.macs)
  );
}

/** The delta from `prev` to `next` (O(rows), one map lookup each). */
export function diffRows(prev: ReadonlyMap<string, HostRow>, next: readonly HostRow[]): RowDelta {
  const upsert: HostRow[] = [];
  const seen = new Set<string>();
  for (const r of next) {
    seen.add(r.key);
    const old = prev.get(r.key);
    if (!old || !sameRow(old, r)) upsert.push(r);
  }
  const remove: string[] = [];
  for (const k of prev.keys()) if (!seen.has(k)) remove.push(k);
  return { upsert, remove };
}
