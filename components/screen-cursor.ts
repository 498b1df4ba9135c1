import type { View } from './keys.ts';
import type { useNavigation } from './use-navigation.ts';
import type { useTaskPanes } from './use-task-panes.ts';

/**
 * The cursor of the view on screen: how many places it moves over and where it is. The task panes
 * and the troubleshooting views keep their own; the host list and details share the host's.
 */
export function screenCursor(o: {
  view: View;
  nav: ReturnType<typeof useNavigation>;
  panes: ReturnType<typeof useTaskPanes>;
  /** The troubleshooting view's lines, or null in another view. */
  troubleLength: number | null;
  hostKeys: readonly { key: string }[];
  selectedHost: number;
  tasks: number;
  taskCursor: number;
  help: number;
  listRows: number;
}) {
  const { view, nav, panes } = o;
  const onHosts = view === 'hosts' || view === 'detail';
  const length =
    o.troubleLength ??
    panes.length(view) ??
    (onHosts ? o.hostKeys.length : view === 'tasks' ? o.tasks : view === 'help' ? o.help : o.listRows);
  const position =
    panes.position(view) ?? (onHosts ? o.selectedHost : view === 'tasks' ? o.taskCursor : nav.cursor(view));
  return {
    length,
    position,
    moveTo(index: number) {
      const i = Math.max(0, Math.min(length - 1, index));
      if (panes.move(view, i)) return;
      if (onHosts) nav.selectHost(o.hostKeys[i]?.key ?? null, i);
      else nav.setCursor(view, i);
    },
  };
}
