import { useMemo } from 'react';
import type { RackSummary } from '../state/live.ts';
import type { LiveTaskSnapshot } from '../state/runner-task-feed.ts';
import type { CatalogSnapshot, DashboardEvent } from './actions.ts';
import type { View } from './keys.ts';
import type { useNavigation } from './use-navigation.ts';
import { listModel } from './ListView.tsx';
import { eventsFromTasks, listMatches } from './dashboard-props.ts';

/** The list views' rows (racks, events, the catalog's lists) and the task list's, each filtered. */
export function useListViews(o: {
  view: View;
  nav: ReturnType<typeof useNavigation>;
  racks: readonly RackSummary[];
  catalog: CatalogSnapshot | undefined;
  /** The `:events` view's lines; the task feed's log lines when absent. */
  events: readonly DashboardEvent[] | undefined;
  tasks: LiveTaskSnapshot | null;
}) {
  const { view, nav, racks, catalog, tasks } = o;
  const events = useMemo(() => o.events ?? eventsFromTasks(tasks), [o.events, tasks]);
  const listFilter = nav.filters[view] ?? '';
  const model = useMemo(() => {
    const m = listModel(view, { racks, catalog, events });
    return { ...m, rows: m.rows.filter((r) => listMatches(r.cells, listFilter)) };
  }, [view, racks, catalog, events, listFilter]);
  const taskFilter = nav.filters.tasks ?? '';
  const visibleTasks = useMemo(
    () =>
      tasks
        ? tasks.tasks.filter((t) => listMatches([t.id, t.kind, t.state, t.target.hostname ?? ''], taskFilter))
        : [],
    [tasks, taskFilter],
  );
  const taskCursor = Math.min(nav.cursor('tasks'), Math.max(0, visibleTasks.length - 1));
  return { model, visibleTasks, taskCursor };
}
