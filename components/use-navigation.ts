import { useRef, useState } from 'react';
import type { View } from './keys.ts';
import type { SortColumn, SortOrder } from './rows.ts';
import { clampOffset } from './scroll.ts';

/**
 * Where the operator is: the view stack (breadcrumbs; esc pops), the cursor in each view, a filter per
 * view, the sort, the marks and the rack. What a burst of keys must see at once (the stack, the
 * cursor) is kept in refs next to the state that re-renders.
 */
export function useNavigation() {
  const [, render] = useState(0);
  const bump = () => render((n) => n + 1);
  const stack = useRef<View[]>(['hosts']);
  const cursors = useRef<Partial<Record<View, number>>>({});
  /** The key of the row under each keyed cursor (the triage's hostname), which it follows. */
  const cursorKeys = useRef<Partial<Record<View, string>>>({});
  const windows = useRef<Partial<Record<View, number>>>({});
  const pos = useRef(0);
  const [hostKey, setHostKey] = useState<string | null>(null);
  const [filters, setFilters] = useState<Partial<Record<View, string>>>({});
  const [sort, setSort] = useState<SortOrder | null>(null);
  const [marked, setMarked] = useState<ReadonlySet<string>>(new Set());
  const [rackIndex, setRackIndex] = useState(0);

  return {
    get view(): View {
      return stack.current.at(-1)!;
    },
    stack: stack.current,
    /** Opens a view on top; a view already in the stack is returned to rather than stacked twice. */
    open(v: View) {
      const at = stack.current.indexOf(v);
      stack.current = at >= 0 ? stack.current.slice(0, at + 1) : [...stack.current, v];
      pos.current = v === 'hosts' || v === 'detail' ? pos.current : (cursors.current[v] ?? 0);
      bump();
    },
    /** A view from the command bar: on top of the host list, as k9s replaces the resource view. */
    jump(v: View) {
      stack.current = v === 'hosts' ? ['hosts'] : ['hosts', v];
      pos.current = v === 'hosts' ? pos.current : (cursors.current[v] ?? 0);
      bump();
    },
    /** One view back; false on the first view. */
    back(): boolean {
      if (stack.current.length <= 1) return false;
      stack.current = stack.current.slice(0, -1);
      bump();
      return true;
    },
    hostKey,
    selectHost(key: string | null, index: number) {
      pos.current = index;
      setHostKey(key);
    },
    cursor: (v: View) => cursors.current[v] ?? 0,
    /** Moves a view's cursor; `key` names the row there, for a list whose rows move under it. */
    setCursor(v: View, i: number, key?: string) {
      pos.current = i;
      cursors.current = { ...cursors.current, [v]: i };
      cursorKeys.current = { ...cursorKeys.current, [v]: key };
      bump();
    },
    /**
     * A keyed cursor over rows read again (and reordered) under it: on the same row while it is
     * there, else at the same place, clamped; from then on it follows the row found there.
     */
    follow(v: View, keys: readonly string[]): number {
      const i = followRow(keys, cursorKeys.current[v], cursors.current[v] ?? 0);
      if (keys.length) {
        cursors.current[v] = i;
        cursorKeys.current[v] = keys[i];
      }
      return i;
    },
    /** The cursor as of the last key, so a burst of keys moves from where the previous one left it. */
    position: () => pos.current,
    syncPosition(p: number) {
      pos.current = p;
    },
    /** The window keeps its place while the cursor moves inside it, and scrolls to keep it visible. */
    windowStart(v: View, selected: number, height: number, total: number): number {
      const start = scrollWindow(windows.current[v] ?? 0, selected, height, total);
      windows.current[v] = start;
      return start;
    },
    filters,
    setFilter: (v: View, text: string) => setFilters((f) => ({ ...f, [v]: text })),
    sort,
    /** Sorts by a column; the same column again reverses. */
    sortBy: (column: SortColumn) =>
      setSort((s) =>
        s?.column === column ? { column, descending: !s.descending } : { column, descending: false },
      ),
    marked,
    toggleMark: (key: string) =>
      setMarked((m) => {
        const next = new Set(m);
        if (!next.delete(key)) next.add(key);
        return next;
      }),
    clearMarks: () => setMarked(new Set()),
    rackIndex,
    setRack: (f: (i: number) => number) => setRackIndex(f),
  };
}

export function scrollWindow(start: number, selected: number, height: number, total: number): number {
  let s = start;
  if (selected < s) s = selected;
  if (selected >= s + height) s = selected - height + 1;
  return clampOffset(s, total, height);
}

/** Where a keyed cursor is on rows read again: its row's new place, else its old place within them. */
export function followRow(keys: readonly string[], key: string | undefined, index: number): number {
  const found = key === undefined ? -1 : keys.indexOf(key);
  return found >= 0 ? found : Math.max(0, Math.min(index, keys.length - 1));
}
