import { sameRow, type HostRow } from '../../protocol/inventory.ts';

/** What changed between two row sets: rows to put (new or different) and keys to drop. */
export interface RowDelta {
  upsert: HostRow[];
  remove: string[];
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
