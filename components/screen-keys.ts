import type { ConsoleSource } from '../state/runner-console.ts';
import type {
  ConsoleActionId,
  CursorActionId,
  DetailActionId,
  GoActionId,
  HostListActionId,
  KeyHandlers,
  ScreenActionId,
  View,
} from './keys.ts';
import type { Screen } from './use-screen.ts';

/** What the screen's keys reach beyond the screen: the feeds to refresh, the app to quit. */
export interface ScreenReach {
  refreshInventory: () => void;
  refreshTasks: () => void;
  exit: () => void;
}

/** Opens a view (`jump`: from the command bar, straight over the host list); the task list reads again. */
export function openView(s: Screen, reach: ScreenReach, v: View, how: 'open' | 'jump' = 'open') {
  if (how === 'jump') s.nav.jump(v);
  else s.nav.open(v);
  if (v === 'tasks') reach.refreshTasks();
}

/** The cursor keys, the racks of the host list, and the next and previous host of the details. */
export function cursorHandlers(s: Screen): KeyHandlers<CursorActionId | DetailActionId> {
  const { nav, cursor } = s;
  const racks = s.snapshot.racks.length + 1;
  return {
    up: () => cursor.moveTo(nav.position() - 1),
    down: () => cursor.moveTo(nav.position() + 1),
    pageUp: () => cursor.moveTo(nav.position() - cursor.page),
    pageDown: () => cursor.moveTo(nav.position() + cursor.page),
    top: () => cursor.moveTo(0),
    bottom: () => cursor.moveTo(cursor.length - 1),
    nextRack: () => nav.setRack((i) => (i + 1) % racks),
    prevRack: () => nav.setRack((i) => (i + racks - 1) % racks),
    nextHost: () => cursor.moveTo(nav.position() + 1),
    prevHost: () => cursor.moveTo(nav.position() - 1),
  };
}

/** Into the row under the cursor, back out, and the two line editors. */
export function goHandlers(s: Screen): KeyHandlers<GoActionId> {
  const { nav, view } = s;
  return {
    drill: () => drill(s),
    back: () => {
      if (nav.back()) return;
      nav.setFilter(view, '');
      nav.clearMarks();
      s.say(null);
    },
    filter: () => s.lines.openFilter(nav.filters[view] ?? ''),
    command: () => s.lines.openCommand(),
  };
}

/** Enter: a host's details, a rack's hosts, an instance's host, a task's live log. */
function drill(s: Screen): void {
  const { nav, view, panes, lists } = s;
  if (view === 'tasks') return panes.openLog(lists.visibleTasks[lists.taskCursor]?.id);
  if (view === 'pane') return panes.openLog(panes.taskIdFor('pane'));
  if (view === 'hosts') return s.liveRow() ? nav.open('detail') : undefined;
  const row = lists.model.rows[nav.position()];
  if (view === 'racks' && row?.rack) {
    nav.setRack(() => s.snapshot.racks.findIndex((r) => r.name === row.rack) + 1);
    return nav.open('hosts');
  }
  const host = row?.hostname ? s.hosts.visible.findIndex((r) => r.hostname === row.hostname) : -1;
  if (host >= 0) {
    nav.selectHost(s.hosts.visible[host]!.key, host);
    nav.open('detail');
  } else if (row?.hostname)
    s.say({ tone: 'error', text: `${row.hostname} is not in the host list (filter, rack?)` });
}

/** The host list's marks and sort order. */
export function hostListHandlers(s: Screen): KeyHandlers<HostListActionId> {
  const { nav } = s;
  return {
    mark: () => {
      const row = s.liveRow();
      if (!row) return;
      nav.toggleMark(row.key);
      s.cursor.moveTo(nav.position() + 1);
    },
    sortName: () => nav.sortBy('name'),
    sortStatus: () => nav.sortBy('status'),
    sortPower: () => nav.sortBy('power'),
    sortRack: () => nav.sortBy('rack'),
  };
}

/** Refresh, the task list and pane, the command log, help and quit: the same keys close their view. */
export function screenHandlers(s: Screen, reach: ScreenReach): KeyHandlers<ScreenActionId> {
  const { nav, view, panes } = s;
  const toggle = (v: View) => () => (view === v ? nav.back() : openView(s, reach, v));
  return {
    refresh: () => {
      reach.refreshInventory();
      reach.refreshTasks();
      s.trouble.reread();
      s.reread();
    },
    tasks: toggle('tasks'),
    taskPane: () => panes.toggle(),
    paneSize: () => panes.cycleSize(),
    paneFocus: () => {
      const why = panes.focus();
      if (why) s.say({ tone: 'error', text: why });
    },
    commandLog: toggle('commandlog'),
    help: toggle('help'),
    quit: () => reach.exit(),
  };
}

/** The host's serial console, full screen or in the task pane's place, and taking its keyboard (given back with ctrl-], see useKeyRouting). */
export function consoleHandlers(
  s: Screen,
  reach: ScreenReach,
  source: ConsoleSource | undefined,
): KeyHandlers<ConsoleActionId> {
  return {
    console: () => openView(s, reach, 'console'),
    consolePane: () => s.toggleConsolePane(),
    consoleKeyboard: () => {
      if (!s.consoleHost || !source) return;
      source
        .keyboard(s.consoleHost, true)
        .catch((err: unknown) => s.say({ tone: 'error', text: (err as Error).message }));
    },
  };
}
