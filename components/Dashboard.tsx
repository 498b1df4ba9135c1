import { useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Box, useApp, useWindowSize, type Key } from 'ink';
import { TasksView } from './TasksView.tsx';
import { Header, headerLines } from './Header.tsx';
import { Footer, footerLines, type FooterMessage } from './Footer.tsx';
import { HostDetail } from './HostDetail.tsx';
import { HelpView, helpEntries } from './HelpView.tsx';
import { ListView, listModel } from './ListView.tsx';
import { DialogBody, type Dialog } from './Dialogs.tsx';
import { RackTabs, RACK_PANE_WIDTH } from './RackBar.tsx';
import { actionFor, keyName, TROUBLE_VIEWS, type View } from './keys.ts';
import { parseCommand } from './command-bar.ts';
import { useLines } from './use-lines.ts';
import { launch, untakenTaskActions, type LaunchContext } from './launch.ts';
import { useNavigation } from './use-navigation.ts';
import { useKeyInput } from './use-key-input.ts';
import { nextRedraw, useNow } from './clock.ts';
import { liveStamp, useHostProbe } from './use-host-probe.ts';
import { useTaskPanes } from './use-task-panes.ts';
import { useTroubleshoot } from './use-troubleshoot.tsx';
import { crumbFor, PaneView } from './PaneViews.tsx';
import { HostsBody } from './HostsBody.tsx';
import { ConsoleView } from './ConsoleView.tsx';
import { consolePaneLayout } from './console-pane.ts';
import { keysForHost, isConsoleRelease } from './console-keys.ts';
import { useConsole } from './use-console.ts';
import { ColorScope, noColorFromEnv } from './theme.tsx';
import { eventsFromTasks, listMatches, type DashboardProps, type TaskSource } from './dashboard-props.ts';
import { enrichRows, heldReason, hostExtras, matchesFilter, sortLabel, sortRows } from './rows.ts';

export { matchesFilter } from './rows.ts';
export type { DashboardProps, TaskSource } from './dashboard-props.ts';
export { scrollWindow } from './use-navigation.ts';

const NO_FEED: TaskSource = { subscribe: () => () => undefined, getSnapshot: () => null };

export function Dashboard(props: DashboardProps) {
  return (
    <ColorScope noColor={props.noColor ?? noColorFromEnv()}>
      <DashboardScreen {...props} />
    </ColorScope>
  );
}

function DashboardScreen(props: DashboardProps) {
  const { inventory, label = '', size, taskFeed, prober, actions, catalog, readOnly = false } = props;
  const snapshot = useSyncExternalStore(inventory.subscribe, inventory.getSnapshot);
  const feed = taskFeed ?? NO_FEED;
  const tasks = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
  const terminal = useWindowSize();
  const columns = size?.columns ?? terminal.columns;
  const rows = size?.rows ?? terminal.rows;
  const { exit } = useApp();
  const lines = useLines(readOnly);
  const nav = useNavigation();
  const view = nav.view;

  const [dialog, setDialog] = useState<Dialog | { kind: 'deploy'; hostname: string } | null>(null);
  const dialogRef = useRef(dialog);
  dialogRef.current = dialog;
  const openDialog = (d: NonNullable<typeof dialog>) => {
    dialogRef.current = d;
    setDialog(d);
  };
  const [message, setMessage] = useState<FooterMessage | null>(null);
  const [pending, setPending] = useState<ReadonlyMap<string, string>>(new Map());

  // Rows: MaaS + rack file, what runs on each host, requests in flight; then rack, filter and sort.
  const extras = useMemo(() => {
    const e = hostExtras(catalog, tasks?.tasks, props.hostExtras);
    for (const [host, what] of pending)
      e.set(host, { ...e.get(host), task: { id: 'request', kind: what, step: `${what}…` } });
    return e;
  }, [catalog, tasks, props.hostExtras, pending]);
  const allRows = useMemo(() => enrichRows(snapshot.rows, extras), [snapshot.rows, extras]);
  const rack = nav.rackIndex === 0 ? null : (snapshot.racks[nav.rackIndex - 1] ?? null);
  const hostFilter = nav.filters.hosts ?? '';
  const visibleRows = useMemo(
    () =>
      sortRows(
        allRows.filter((r) => (rack === null || r.rack === rack.name) && matchesFilter(r, hostFilter)),
        nav.sort,
      ),
    [allRows, rack, hostFilter, nav.sort],
  );
  const found = nav.hostKey === null ? -1 : visibleRows.findIndex((r) => r.key === nav.hostKey);
  const selected = found >= 0 ? found : 0;
  const selectedRow = visibleRows[selected];
  // A refresh that hangs is a slow peer: the header says so after a while.
  const slowRef = useRef<number | null>(null);
  if (snapshot.refreshing && slowRef.current === null) slowRef.current = props.now ?? Date.now();
  if (!snapshot.refreshing) slowRef.current = null;
  // The screen redraws for time alone only when a text on it changes: the ages of the rows around
  // the cursor (a window no taller than the terminal, not thousands of hosts), the tasks', the
  // data's freshness (read live: the runner's heartbeat moves it without a render).
  const near = visibleRows.slice(Math.max(0, selected - rows), selected + rows);
  const now = useNow(props.now, (at) =>
    nextRedraw(at, {
      ages: [
        ...near.map((r) => r.since),
        ...(view === 'tasks' ? (tasks?.tasks ?? []).map((t) => Date.parse(t.updatedAt)) : []),
      ],
      tasks: tasks?.tasks,
      refreshedAt: inventory.getSnapshot().refreshedAt,
      slowSince: slowRef.current,
      everySecond: TROUBLE_VIEWS.includes(view),
    }),
  );
  const held = heldReason(selectedRow);

  const events = useMemo(() => props.events ?? eventsFromTasks(tasks), [props.events, tasks]);
  const listFilter = nav.filters[view] ?? '';
  const model = useMemo(() => {
    const m = listModel(view, { racks: snapshot.racks, catalog, events });
    return { ...m, rows: m.rows.filter((r) => listMatches(r.cells, listFilter)) };
  }, [view, snapshot.racks, catalog, events, listFilter]);
  const visibleTasks = useMemo(
    () =>
      tasks
        ? tasks.tasks.filter((t) =>
            listMatches([t.id, t.kind, t.state, t.target.hostname ?? ''], nav.filters.tasks ?? ''),
          )
        : [],
    [tasks, nav.filters.tasks],
  );
  const taskCursor = Math.min(nav.cursor('tasks'), Math.max(0, visibleTasks.length - 1));

  const [rereads, setRereads] = useState(0);
  const probe = useHostProbe(prober, selectedRow, view === 'detail', liveStamp(selectedRow, rereads));

  const wide = columns >= 120;
  const tabs = (view === 'hosts' || view === 'pane') && !wide ? 1 : 0;
  const bodyHeight = Math.max(2, rows - headerLines(snapshot, props.peers) - tabs - footerLines(message));
  const besideRacks = wide ? columns - RACK_PANE_WIDTH - 1 : columns;
  const panes = useTaskPanes({
    feed: tasks,
    nav,
    now,
    columns,
    width: besideRacks,
    bodyHeight,
    rows: allRows,
  });
  // V: the selected host's console takes the task pane's place (the host list stays in view).
  const [consoleInPane, setConsoleInPane] = useState(false);
  const paneConsole = consoleInPane && (view === 'hosts' || view === 'pane') && props.console !== undefined;
  const layout = paneConsole ? consolePaneLayout({ columns, width: besideRacks, bodyHeight }) : panes.layout;
  // The host table gives the task pane its lines (under) or its columns (beside).
  const hostRows = bodyHeight - 1 - (layout.placement === 'under' ? layout.height : 0);
  const tableWidth = besideRacks - (layout.placement === 'beside' ? layout.width + 1 : 0);
  const tableHeight = view === 'hosts' || view === 'pane' || view === 'detail' ? hostRows : bodyHeight - 1;
  const consoleHost =
    view === 'console' || (paneConsole && layout.placement !== 'none')
      ? (selectedRow?.hostname ?? null)
      : null;
  const consoleSize =
    view === 'console' ? { w: columns, h: bodyHeight } : { w: layout.width, h: layout.height };
  const consolePane = useConsole(props.console, consoleHost, consoleSize.w, consoleSize.h - 1);
  const trouble = useTroubleshoot({
    ...{ actions, view, open: nav.open, tasks: tasks?.tasks, say: setMessage, openDialog, readOnly },
    ...{ fixedNow: props.now, height: bodyHeight, width: columns },
    top: (v) => nav.setCursor(v, 0),
  });

  const listLength =
    trouble.length(view) ??
    panes.length(view) ??
    (view === 'hosts' || view === 'detail'
      ? visibleRows.length
      : view === 'tasks'
        ? visibleTasks.length
        : view === 'help'
          ? helpEntries(readOnly).length
          : model.rows.length);
  const position =
    panes.position(view) ??
    (view === 'hosts' || view === 'detail' ? selected : view === 'tasks' ? taskCursor : nav.cursor(view));
  const moveTo = (index: number) => {
    const i = Math.max(0, Math.min(listLength - 1, index));
    if (panes.move(view, i)) return;
    if (view === 'hosts' || view === 'detail') nav.selectHost(visibleRows[i]?.key ?? null, i);
    else nav.setCursor(view, i);
  };
  nav.syncPosition(position);

  // The row under the cursor when a key is handled, not when the screen was last drawn: keys that
  // arrive in one burst (fast typing, a paste) move the cursor between renders.
  const liveRow = () =>
    (view === 'hosts' || view === 'detail' ? visibleRows[nav.position()] : undefined) ?? selectedRow;
  const taskRecord = (id: string | undefined) => tasks?.tasks.find((t) => t.id === id);
  const ctx: LaunchContext = {
    actions,
    catalog,
    eraseMode: props.eraseMode ?? 'full',
    get targets() {
      if (nav.marked.size) return visibleRows.filter((r) => nav.marked.has(r.key));
      const row = liveRow();
      return row ? [row] : [];
    },
    task: taskRecord(
      view === 'pane' || view === 'task' ? panes.taskIdFor(view) : visibleTasks[taskCursor]?.id,
    ),
    openDialog,
    say: setMessage,
    setPending: (host, what) =>
      setPending((m) => {
        const next = new Map(m);
        if (what === null) next.delete(host);
        else next.set(host, what);
        return next;
      }),
  };

  const openView = (v: View, how: 'open' | 'jump' = 'open') => {
    if (how === 'jump') nav.jump(v);
    else nav.open(v);
    if (v === 'tasks') void taskFeed?.refresh?.();
  };

  const handlers: Record<string, (key?: string) => void> = {
    ...trouble.handlers(liveRow, view === 'racks' ? model.rows[nav.cursor('racks')]?.rack : rack?.name),
    up: () => moveTo(nav.position() - 1),
    down: () => moveTo(nav.position() + 1),
    pageUp: () => moveTo(nav.position() - tableHeight),
    pageDown: () => moveTo(nav.position() + tableHeight),
    top: () => moveTo(0),
    bottom: () => moveTo(listLength - 1),
    nextRack: () => nav.setRack((i) => (i + 1) % (snapshot.racks.length + 1)),
    prevRack: () => nav.setRack((i) => (i + snapshot.racks.length) % (snapshot.racks.length + 1)),
    drill: () => {
      if (view === 'tasks') return panes.openLog(visibleTasks[taskCursor]?.id);
      if (view === 'pane') return panes.openLog(panes.taskIdFor('pane'));
      if (view === 'hosts') return liveRow() ? nav.open('detail') : undefined;
      const row = model.rows[nav.position()];
      if (view === 'racks' && row?.rack) {
        nav.setRack(() => snapshot.racks.findIndex((r) => r.name === row.rack) + 1);
        return nav.open('hosts');
      }
      const host = row?.hostname ? visibleRows.findIndex((r) => r.hostname === row.hostname) : -1;
      if (host >= 0) {
        nav.selectHost(visibleRows[host]!.key, host);
        nav.open('detail');
      } else if (row?.hostname)
        setMessage({ tone: 'error', text: `${row.hostname} is not in the host list (filter, rack?)` });
    },
    back: () => {
      if (!nav.back()) {
        nav.setFilter(view, '');
        nav.clearMarks();
        setMessage(null);
      }
    },
    filter: () => lines.openFilter(nav.filters[view] ?? ''),
    command: () => lines.openCommand(),
    mark: () => {
      const row = liveRow();
      if (!row) return;
      nav.toggleMark(row.key);
      moveTo(nav.position() + 1);
    },
    sortName: () => nav.sortBy('name'),
    sortStatus: () => nav.sortBy('status'),
    sortPower: () => nav.sortBy('power'),
    sortRack: () => nav.sortBy('rack'),
    nextHost: () => moveTo(nav.position() + 1),
    prevHost: () => moveTo(nav.position() - 1),
    refresh: () => {
      void inventory.refresh();
      void taskFeed?.refresh?.();
      trouble.reread();
      setRereads((n) => n + 1);
    },
    tasks: () => (view === 'tasks' ? nav.back() : openView('tasks')),
    taskPane: () => panes.toggle(),
    paneSize: () => panes.cycleSize(),
    paneFocus: () => {
      const why = panes.focus();
      if (why) setMessage({ tone: 'error', text: why });
    },
    commandLog: () => (view === 'commandlog' ? nav.back() : openView('commandlog')),
    help: () => (view === 'help' ? nav.back() : openView('help')),
    quit: () => exit(),
    console: () => openView('console'),
    consolePane: () => setConsoleInPane((on) => !on),
    consoleKeyboard: () => {
      if (!consoleHost || !props.console) return;
      props.console
        .keyboard(consoleHost, true)
        .catch((err: unknown) => setMessage({ tone: 'error', text: (err as Error).message }));
    },
  };

  const run = (id: string, key?: string) => {
    const h = handlers[id];
    if (h) h(key);
    else launch(id as Parameters<typeof launch>[0], ctx);
  };

  const onCommand = (text: string) => {
    const cmd = parseCommand(text, readOnly);
    if (!cmd) return setMessage({ tone: 'error', text: `:${text}: no such command (tab lists them)` });
    if (cmd.kind === 'hidden')
      return setMessage({
        tone: 'error',
        text: `:${cmd.word} is hidden in read-only mode: it changes gear (start rackpilot without --read-only)`,
      });
    if (cmd.kind === 'quit') return exit();
    if (cmd.kind === 'view') return openView(cmd.view, 'jump');
    // An action from the bar acts where it would as a key: host actions from the host list.
    if (!['hosts', 'detail', 'tasks', 'pane', 'task', 'doctor', 'inspect'].includes(view)) nav.open('hosts');
    run(cmd.id);
  };

  const handleKey = (input: string, key: Key) => {
    if (dialogRef.current) return;
    // The console keyboard taken: every key goes to the host, but the one that gives it back.
    if (consoleHost && consolePane.state?.keyboard === 'you' && props.console) {
      if (isConsoleRelease(input, key))
        void props.console.keyboard(consoleHost, false).catch(() => undefined);
      else {
        const bytes = keysForHost(input, key);
        if (bytes.length)
          props.console
            .input(consoleHost, bytes)
            .catch((err: unknown) => setMessage({ tone: 'error', text: (err as Error).message }));
      }
      return;
    }
    if (lines.edit(input, key, { filter: (t) => nav.setFilter(nav.view, t), command: onCommand })) return;
    const name = keyName(input, key);
    if (name === null) return;
    const action = actionFor(name, nav.view, readOnly);
    if (action) run(action.id, name);
  };

  useKeyInput(handleKey);

  const closeDialog = () => {
    dialogRef.current = null;
    setDialog(null);
  };

  const body = (() => {
    if (dialog)
      return (
        <DialogBody
          {...{ dialog, ctx, rows: allRows, onClose: closeDialog, width: columns, height: bodyHeight }}
        />
      );
    switch (view) {
      case 'help':
        return (
          <HelpView
            width={columns}
            height={bodyHeight}
            offset={nav.cursor('help')}
            readOnly={readOnly}
            held={held}
          />
        );
      case 'tasks':
        return (
          <TasksView
            feed={tasks ? { ...tasks, tasks: visibleTasks } : null}
            selected={taskCursor}
            width={columns}
            height={bodyHeight}
            now={now}
          />
        );
      case 'detail':
        return selectedRow ? <HostDetail row={selectedRow} width={columns} now={now} probe={probe} /> : null;
      case 'hosts':
      case 'pane':
        return (
          <HostsBody
            height={bodyHeight}
            racks={wide ? { list: snapshot.racks, current: nav.rackIndex } : null}
            table={{
              rows: visibleRows,
              selected,
              offset: nav.windowStart('hosts', selected, hostRows, visibleRows.length),
              height: hostRows,
              width: tableWidth,
              now,
              marked: nav.marked,
              stale: snapshot.error !== null && snapshot.rows.length > 0,
              loading: snapshot.refreshedAt === null && snapshot.error === null,
              wide,
            }}
            pane={{
              layout,
              tasks: panes.list,
              focused: view === 'pane',
              selected: panes.paneCursor,
              progress: tasks?.progress,
              maasStatus: panes.maasStatus,
            }}
            {...(paneConsole &&
              consoleHost && {
                console: (
                  <ConsoleView
                    host={consoleHost}
                    console={consolePane}
                    width={layout.width}
                    height={layout.height}
                    readOnly={readOnly}
                    inPane
                  />
                ),
              })}
          />
        );
      case 'doctor':
      case 'inspect':
      case 'cabling':
      case 'triage':
        return trouble.body(view, { offset: nav.cursor(view), width: columns });
      case 'console':
        return consoleHost ? (
          <ConsoleView
            host={consoleHost}
            console={consolePane}
            width={columns}
            height={bodyHeight}
            readOnly={readOnly}
          />
        ) : null;
      case 'task':
      case 'commandlog':
        return (
          <PaneView
            view={view}
            panes={panes}
            nav={nav}
            feed={tasks}
            width={columns}
            height={bodyHeight}
            now={now}
          />
        );
      default: {
        const cursor = nav.cursor(view);
        return (
          <ListView
            model={model}
            selected={cursor}
            offset={nav.windowStart(view, cursor, tableHeight, model.rows.length)}
            height={tableHeight}
            width={columns}
          />
        );
      }
    }
  })();

  const crumbs = nav.stack.map((v) =>
    crumbFor(v, { hostname: selectedRow?.hostname, rack: rack?.name, taskId: panes.openId }),
  );
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header
        snapshot={snapshot}
        label={label}
        width={columns}
        now={now}
        crumbs={crumbs}
        sort={view === 'hosts' ? sortLabel(nav.sort) : ''}
        readOnly={readOnly}
        slowSince={slowRef.current}
        {...(props.peers && { peers: props.peers })}
      />
      {tabs ? <RackTabs racks={snapshot.racks} current={nav.rackIndex} /> : null}
      <Box flexGrow={1} flexDirection="column" overflowY="hidden">
        {body}
      </Box>
      <Footer
        width={columns}
        view={view}
        readOnly={readOnly}
        filterInput={lines.filter}
        appliedFilter={nav.filters[view] ?? ''}
        commandInput={lines.command?.text ?? null}
        completions={lines.completions}
        markedCount={nav.marked.size}
        held={view === 'hosts' || view === 'detail' ? held : null}
        message={message}
        unavailable={untakenTaskActions(ctx.task?.state)}
      />
    </Box>
  );
}
