import type { View } from './keys.ts';
import type { useNavigation } from './use-navigation.ts';
import type { useTaskPanes } from './use-task-panes.ts';
import type { LiveTaskSnapshot } from '../state/runner-task-feed.ts';
import { TaskLogView } from './TaskLogView.tsx';
import { CommandLogView } from './CommandLogView.tsx';

export interface PaneViewProps {
  view: 'task' | 'commandlog';
  panes: ReturnType<typeof useTaskPanes>;
  nav: ReturnType<typeof useNavigation>;
  feed: LiveTaskSnapshot | null;
  width: number;
  height: number;
  now: number;
}

/** The full task pane (enter on a task) and the `@` command log, full screen. */
export function PaneView({ view, panes, nav, feed, width, height, now }: PaneViewProps) {
  if (view === 'task') {
    const id = panes.openId ?? '';
    return (
      <TaskLogView
        task={panes.openTask}
        taskId={id}
        progress={feed?.progress?.get(id)}
        maasStatus={panes.maasStatus.get(panes.openTask?.target.hostname ?? '')}
        width={width}
        height={height}
        offset={panes.logOffset}
        following={panes.following}
        now={now}
      />
    );
  }
  const rows = height - 1;
  return (
    <CommandLogView
      lines={panes.gear}
      selected={panes.gearCursor}
      offset={nav.windowStart('commandlog', panes.gearCursor, rows, panes.gear.length)}
      height={rows}
      width={width}
      filter={nav.filters.commandlog ?? ''}
    />
  );
}

/** A breadcrumb: the host for details, the rack of the host list, the task of the full pane. */
export function crumbFor(
  v: View,
  o: { hostname?: string | undefined; rack?: string | undefined; taskId: string | null },
) {
  if (v === 'detail') return o.hostname ?? 'details';
  if (v === 'hosts' && o.rack) return `hosts ${o.rack}`;
  if (v === 'task') return `task ${o.taskId ?? ''}`;
  if (v === 'pane') return 'task pane';
  if (v === 'commandlog') return 'command log';
  return v;
}
