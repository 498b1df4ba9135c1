import { useMemo, useState } from 'react';
import type { InventorySnapshot } from '../state/live.ts';
import type { LiveTaskSnapshot } from '../state/runner-task-feed.ts';
import type { CatalogSnapshot, HostExtras } from './actions.ts';
import type { useNavigation } from './use-navigation.ts';
import { enrichRows, hostExtras, matchesFilter, sortRows } from './rows.ts';

/**
 * The host list's rows: MaaS and the rack file, what runs on each host and the requests in flight
 * (a host with one is held until it is answered); then the rack, the filter and the sort; then the
 * row under the cursor.
 */
export function useHostRows(o: {
  snapshot: InventorySnapshot;
  tasks: LiveTaskSnapshot | null;
  catalog: CatalogSnapshot | undefined;
  given: ReadonlyMap<string, HostExtras> | undefined;
  nav: ReturnType<typeof useNavigation>;
}) {
  const { snapshot, tasks, catalog, given, nav } = o;
  const [pending, setPending] = useState<ReadonlyMap<string, string>>(new Map());
  const extras = useMemo(() => {
    const e = hostExtras(catalog, tasks?.tasks, given);
    for (const [host, what] of pending)
      e.set(host, { ...e.get(host), task: { id: 'request', kind: what, step: `${what}…` } });
    return e;
  }, [catalog, tasks, given, pending]);
  const all = useMemo(() => enrichRows(snapshot.rows, extras), [snapshot.rows, extras]);
  const rack = nav.rackIndex === 0 ? null : (snapshot.racks[nav.rackIndex - 1] ?? null);
  const filter = nav.filters.hosts ?? '';
  const visible = useMemo(
    () =>
      sortRows(
        all.filter((r) => (rack === null || r.rack === rack.name) && matchesFilter(r, filter)),
        nav.sort,
      ),
    [all, rack, filter, nav.sort],
  );
  const found = nav.hostKey === null ? -1 : visible.findIndex((r) => r.key === nav.hostKey);
  const selected = found >= 0 ? found : 0;
  return {
    all,
    visible,
    rack,
    selected,
    selectedRow: visible[selected],
    /** Holds a host while a request for it is in flight (null: answered). */
    setPending: (host: string, what: string | null) =>
      setPending((m) => {
        const next = new Map(m);
        if (what === null) next.delete(host);
        else next.set(host, what);
        return next;
      }),
  };
}
