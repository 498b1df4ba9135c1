import type { View } from './keys.ts';
import type { useNavigation } from './use-navigation.ts';
import type { useTaskPanes } from './use-task-panes.ts';

/**
 * The cursor of the view on screen: how many places it moves over, where it is, and a page of it.
 * The task panes and the troubleshooting views keep their own; the host list and details share the
 * host's; the triage's is on a host, by name, so it follows its host when the list is read again.
 */
export function screenCursor(o: {
  view: View;
  nav: ReturnType<typeof useNavigation>;
  panes: ReturnType<typeof useTaskPanes>;
  /** The troubleshooting view's lines, or null in another view. */
  troubleLength: number | null;
  /** The rows of a list whose cursor follows its row by key (the triage's), or null. */
  keyedRows: { keys: readonly string[]; page: number } | null;
  hostKeys: readonly { key: string }[];
  selectedHost: number;
  tasks: number;
  taskCursor: number;
  help: number;
  listRows: number;
  /** A page of the lists: the rows their table shows. */
  page: number;
}) {
  const { view, nav, panes, keyedRows: keyed } = o;
  const onHosts = view === 'hosts' || view === 'detail';
  const length = keyed
    ? Math.max(1, keyed.keys.length)
    : (o.troubleLength ??
      panes.length(view) ??
      (onHosts ? o.hostKeys.length : view === 'tasks' ? o.tasks : view === 'help' ? o.help : o.listRows));
  const position = keyed
    ? nav.follow(view, keyed.keys)
    : (panes.position(view) ??
      (onHosts ? o.selectedHost : view === 'tasks' ? o.taskCursor : nav.cursor(view)));
  return {
    length,
    position,
    page: keyed?.page ?? o.page,
    moveTo(index: number) {
      const i = Math.max(0, Math.min(length - 1, index));
      if (keyed) return nav.setCursor(view, i, keyed.keys[i]);
      if (panes.move(view, i)) return;
      if (onHosts) nav.selectHost(o.hostKeys[i]?.key ?? null, i);
      else nav.setCursor(view, i);
    },
  };
}
