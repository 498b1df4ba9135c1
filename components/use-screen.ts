import { useRef, useState, useSyncExternalStore } from 'react';
import { useWindowSize } from 'ink';
import type { InventorySnapshot } from '../state/live.ts';
import type { LiveTaskSnapshot } from '../state/runner-task-feed.ts';
import type { FooterMessage } from './Footer.tsx';
import { footerLines } from './Footer.tsx';
import { headerLines } from './Header.tsx';
import { helpEntries } from './HelpView.tsx';
import { TROUBLE_VIEWS, type View } from './keys.ts';
import { nextRedraw, useNow } from './clock.ts';
import { liveStamp, useHostProbe } from './use-host-probe.ts';
import { useTaskPanes } from './use-task-panes.ts';
import { useTroubleshoot } from './use-troubleshoot.tsx';
import { useConsole } from './use-console.ts';
import { useNavigation } from './use-navigation.ts';
import { useLines } from './use-lines.ts';
import { useDialog } from './use-dialog.ts';
import { useHostRows } from './use-host-rows.ts';
import { useListViews } from './use-list-views.ts';
import { screenFrame, tableRoom, type ScreenFrame } from './screen-layout.ts';
import { consolePaneLayout } from './console-pane.ts';
import { screenCursor } from './screen-cursor.ts';
import type { LaunchContext } from './launch.ts';
import type { DashboardProps, TaskSource } from './dashboard-props.ts';

const NO_FEED: TaskSource = { subscribe: () => () => undefined, getSnapshot: () => null };

/**
 * The dashboard's state, each part from the hook that owns it: the site's feeds, where the operator
 * is, the rows, the lists, the panes, the troubleshooting views, the console, the dialog and the
 * footer's message; then the room each part gets and the cursor of the view on screen.
 */
export function useScreen(props: DashboardProps) {
  const { inventory, catalog, readOnly = false } = props;
  const snapshot = useSyncExternalStore(inventory.subscribe, inventory.getSnapshot);
  const feed = props.taskFeed ?? NO_FEED;
  const tasks = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
  const terminal = useWindowSize();
  const columns = props.size?.columns ?? terminal.columns;
  const rows = props.size?.rows ?? terminal.rows;
  const nav = useNavigation();
  const view = nav.view;
  const lines = useLines(readOnly);
  const dialogs = useDialog();
  const [message, say] = useState<FooterMessage | null>(null);
  const hosts = useHostRows({ snapshot, tasks, catalog, given: props.hostExtras, nav });
  const lists = useListViews({ view, nav, racks: snapshot.racks, catalog, events: props.events, tasks });
  const frame = screenFrame({
    ...{ view, columns, rows },
    ...{ headerLines: headerLines(snapshot, props.peers), footerLines: footerLines(message) },
  });
  const clock = useScreenClock({ props, snapshot, tasks, view, near: nearRows(hosts, rows) });
  const [rereads, setRereads] = useState(0);
  const stamp = liveStamp(hosts.selectedRow, rereads);
  const probe = useHostProbe(props.prober, hosts.selectedRow, view === 'detail', stamp);
  const { bodyHeight } = frame;
  const panes = useTaskPanes({
    ...{ feed: tasks, nav, now: clock.now, columns, width: frame.besideRacks, bodyHeight },
    rows: hosts.all,
  });
  const console = useScreenConsole({ props, view, frame, columns, panes, host: hosts.selectedRow?.hostname });
  const { layout, consoleHost, consolePane } = console;
  const room = tableRoom(frame, layout, view);
  const trouble = useTroubleshoot({
    ...{ actions: props.actions, view, open: nav.open, tasks: tasks?.tasks, say, readOnly },
    ...{ openDialog: dialogs.open, fixedNow: props.now, height: bodyHeight, width: columns },
    top: (v) => nav.setCursor(v, 0),
  });
  const keyedRows = trouble.rows(view);
  const cursor = screenCursor({
    ...{ view, nav, panes, troubleLength: trouble.length(view), keyedRows, hostKeys: hosts.visible },
    ...{ selectedHost: hosts.selected, tasks: lists.visibleTasks.length, taskCursor: lists.taskCursor },
    ...{ help: helpEntries(readOnly).length, listRows: lists.model.rows.length, page: room.tableHeight },
  });
  nav.syncPosition(cursor.position);
  // The row under the cursor when a key is handled, not when the screen was last drawn: keys that
  // arrive in one burst (fast typing, a paste) move the cursor between renders. In a doctor or an
  // inspection, its own host: opened from the triage, it is not the host list's selection.
  const troubleHost = trouble.hostIn(view);
  const liveRow = () => {
    if (view === 'hosts' || view === 'detail') return hosts.visible[nav.position()] ?? hosts.selectedRow;
    if (troubleHost !== undefined) return hosts.all.find((r) => r.hostname === troubleHost);
    return hosts.selectedRow;
  };
  /** The triage's host under the cursor when a key is handled (see liveRow). */
  const triageHost = () => (view === 'triage' ? keyedRows?.keys[nav.position()] : undefined);
  const taskId =
    view === 'pane' || view === 'task' ? panes.taskIdFor(view) : lists.visibleTasks[lists.taskCursor]?.id;
  const launch: LaunchContext = {
    ...{ actions: props.actions, catalog, eraseMode: props.eraseMode ?? 'full' },
    get targets() {
      if (nav.marked.size) return hosts.visible.filter((r) => nav.marked.has(r.key));
      const row = liveRow();
      return row ? [row] : [];
    },
    task: tasks?.tasks.find((t) => t.id === taskId),
    ...{ openDialog: dialogs.open, say, setPending: hosts.setPending },
  };
  return {
    ...{ snapshot, tasks, columns, rows, frame, room, nav, view, lines, dialogs, message, say, readOnly },
    ...{ hosts, lists, clock, probe, panes, trouble, consoleHost, consolePane, cursor, liveRow, launch },
    triageHost,
    /** The pane beside or under the host table: the tasks', or the console's (V). */
    layout,
    paneConsole: console.inPane,
    toggleConsolePane: console.toggle,
    /** `r`: the details' live reads again too. */
    reread: () => setRereads((n) => n + 1),
  };
}

export type Screen = ReturnType<typeof useScreen>;

/**
 * The selected host's console: full screen in the console view, or (V) in the task pane's place,
 * the host list staying in view.
 */
function useScreenConsole(o: {
  props: DashboardProps;
  view: View;
  frame: ScreenFrame;
  columns: number;
  panes: ReturnType<typeof useTaskPanes>;
  host: string | undefined;
}) {
  const { props, view, frame, columns } = o;
  const [inPane, setInPane] = useState(false);
  const shown = inPane && (view === 'hosts' || view === 'pane') && props.console !== undefined;
  const { bodyHeight } = frame;
  const layout = shown
    ? consolePaneLayout({ columns, width: frame.besideRacks, bodyHeight })
    : o.panes.layout;
  const consoleHost = view === 'console' || (shown && layout.placement !== 'none') ? (o.host ?? null) : null;
  const size = view === 'console' ? { w: columns, h: bodyHeight } : { w: layout.width, h: layout.height };
  const consolePane = useConsole(props.console, consoleHost, size.w, size.h - 1);
  return { inPane: shown, layout, consoleHost, consolePane, toggle: () => setInPane((on) => !on) };
}

/** The rows around the cursor: no taller a window than the terminal, not thousands of hosts. */
function nearRows(hosts: ReturnType<typeof useHostRows>, height: number) {
  return hosts.visible.slice(Math.max(0, hosts.selected - height), hosts.selected + height);
}

/**
 * The screen redraws for time alone only when a text on it changes: the ages of the rows around the
 * cursor, the tasks', the data's freshness (read live: the runner's heartbeat moves it without a
 * render). A refresh that hangs is a slow peer: the header says so after a while.
 */
function useScreenClock(o: {
  props: DashboardProps;
  snapshot: InventorySnapshot;
  tasks: LiveTaskSnapshot | null;
  view: View;
  near: readonly { since: number }[];
}) {
  const { props, snapshot, tasks, view } = o;
  const slow = useRef<number | null>(null);
  if (snapshot.refreshing && slow.current === null) slow.current = props.now ?? Date.now();
  if (!snapshot.refreshing) slow.current = null;
  const now = useNow(props.now, (at) =>
    nextRedraw(at, {
      ages: [
        ...o.near.map((r) => r.since),
        ...(view === 'tasks' ? (tasks?.tasks ?? []).map((t) => Date.parse(t.updatedAt)) : []),
      ],
      tasks: tasks?.tasks,
      refreshedAt: props.inventory.getSnapshot().refreshedAt,
      slowSince: slow.current,
      everySecond: TROUBLE_VIEWS.includes(view),
    }),
  );
  return { now, slowSince: slow.current };
}
