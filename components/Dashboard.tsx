import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Box, useApp, useInput, useWindowSize, type Key } from 'ink';
import type { HostRow, Inventory } from '../state/live.ts';
import type { TaskFeed, TaskFeedSnapshot } from '../state/task-feed.ts';
import type { HostProbe, HostProber } from '../src/site/probe.ts';
import { TasksView } from './TasksView.tsx';
import { Header } from './Header.tsx';
import { Footer } from './Footer.tsx';
import { HostTable } from './HostTable.tsx';
import { HostDetail } from './HostDetail.tsx';
import { HelpView } from './HelpView.tsx';
import { RackPane, RackTabs, RACK_PANE_WIDTH } from './RackBar.tsx';
import type { DashboardAction } from './keys.ts';

export interface DashboardProps {
  inventory: Inventory;
  /** Shown beside the endpoint, e.g. "lab". */
  label?: string;
  /** Fixed clock for tests; live otherwise (ages tick every second). */
  now?: number;
  /** Fixed size for tests; the terminal's otherwise. */
  size?: { columns: number; rows: number };
  /** The task journal, when the site has a store (not for a lab living inside the dashboard). */
  taskFeed?: TaskFeed;
  /** Reads a host's BMC and switch ports for the details view. */
  prober?: HostProber;
}

const NO_FEED = { subscribe: () => () => undefined, getSnapshot: () => null };

export function keyToAction(input: string, key: Key): DashboardAction | null {
  if (key.upArrow || input === 'k') return 'up';
  if (key.downArrow || input === 'j') return 'down';
  if (key.pageUp || (key.ctrl && input === 'b')) return 'pageUp';
  if (key.pageDown || (key.ctrl && input === 'f')) return 'pageDown';
  if (key.home || input === 'g') return 'top';
  if (key.end || input === 'G') return 'bottom';
  if (key.tab && key.shift) return 'prevRack';
  if (key.rightArrow || input === 'l' || key.tab) return 'nextRack';
  if (key.leftArrow || input === 'h') return 'prevRack';
  if (key.return) return 'details';
  if (key.escape) return 'back';
  if (input === '/') return 'filter';
  if (input === 'r') return 'refresh';
  if (input === 't') return 'tasks';
  if (input === '?') return 'help';
  if (input === 'q') return 'quit';
  return null;
}

export function matchesFilter(row: HostRow, filter: string): boolean {
  if (!filter) return true;
  const invert = filter.startsWith('!');
  const needle = (invert ? filter.slice(1) : filter).toLowerCase();
  if (!needle) return true;
  const hay = [
    row.hostname,
    row.statusName,
    row.powerState,
    row.systemId ?? '',
    row.rack ?? '',
    ...row.macs,
    ...row.ports,
  ]
    .join(' ')
    .toLowerCase();
  return hay.includes(needle) !== invert;
}

function useNow(fixed: number | undefined): number {
  const [now, setNow] = useState(() => fixed ?? Date.now());
  useEffect(() => {
    if (fixed !== undefined) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [fixed]);
  return fixed ?? now;
}

export function Dashboard({ inventory, label = '', now: fixedNow, size, taskFeed, prober }: DashboardProps) {
  const snapshot = useSyncExternalStore(inventory.subscribe, inventory.getSnapshot);
  const feedSource = taskFeed ?? NO_FEED;
  const tasks: TaskFeedSnapshot | null = useSyncExternalStore(feedSource.subscribe, feedSource.getSnapshot);
  const [taskSelected, setTaskSelected] = useState(0);
  const terminal = useWindowSize();
  const columns = size?.columns ?? terminal.columns;
  const rows = size?.rows ?? terminal.rows;
  const now = useNow(fixedNow);
  const { exit } = useApp();

  const [rackIndex, setRackIndex] = useState(0);
  const [selectedKey, setSelectedKey] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [filterInput, setFilterInput] = useState<string | null>(null);
  const [view, setView] = useState<'hosts' | 'detail' | 'help' | 'tasks'>('hosts');

  const rack = rackIndex === 0 ? null : (snapshot.racks[rackIndex - 1] ?? null);
  const activeFilter = filterInput ?? filter;
  const visibleRows = useMemo(
    () =>
      snapshot.rows.filter((r) => (rack === null || r.rack === rack.name) && matchesFilter(r, activeFilter)),
    [snapshot.rows, rack, activeFilter],
  );

  // Selection follows the host, not the row number, so a refresh that reorders rows keeps it.
  const found = selectedKey === null ? -1 : visibleRows.findIndex((r) => r.key === selectedKey);
  const selected = found >= 0 ? found : 0;
  const selectedRow = visibleRows[selected];

  // Details read the gear live, once per opening (not on every refresh of the row); a late answer
  // for another host is dropped.
  const [probe, setProbe] = useState<{ key: string; value: HostProbe | 'loading' } | null>(null);
  const detailKey = view === 'detail' ? selectedRow?.key : undefined;
  useEffect(() => {
    if (!prober || !detailKey || !selectedRow) return;
    let live = true;
    setProbe({ key: detailKey, value: 'loading' });
    prober(selectedRow.hostname, selectedRow.macs).then(
      (value) => live && setProbe({ key: detailKey, value }),
      () => live && setProbe(null),
    );
    return () => {
      live = false;
    };
  }, [detailKey, prober]);

  const wide = columns >= 120;
  const headerLines = 2 + (snapshot.error ? 1 : 0);
  const tabsLines = wide ? 0 : 1;
  const tableHeight = Math.max(1, rows - headerLines - tabsLines - 1 /* table header */ - 1 /* footer */);
  const tableWidth = wide ? columns - RACK_PANE_WIDTH - 1 : columns;
  // The window keeps its place while the cursor moves inside it, and scrolls only to keep it visible.
  const windowRef = useRef(0);
  windowRef.current = scrollWindow(windowRef.current, selected, tableHeight, visibleRows.length);
  const windowStart = windowRef.current;

  // The cursor as of the last key, so a burst of keys in one render moves from where the previous one left it.
  const cursorRef = useRef(selected);
  cursorRef.current = selected;
  const moveTo = (index: number) => {
    const clamped = Math.max(0, Math.min(visibleRows.length - 1, index));
    const row = visibleRows[clamped];
    cursorRef.current = clamped;
    if (row) setSelectedKey(row.key);
  };
  const moveBy = (delta: number) => moveTo(cursorRef.current + delta);

  // Keys typed faster than a frame (or sent in one burst by tmux or a paste) arrive as one string:
  // split it so `jjj` moves three rows.
  useInput((input, key) => {
    if (input.length > 1 && !key.ctrl && !key.meta && !input.startsWith('\u001B')) {
      let filter = filterInput;
      for (const ch of input) {
        const k = { ...key, return: ch === '\r', backspace: ch === '\u007F' || ch === '\b' };
        filter = handleKey(ch === '\r' ? '' : ch, k, filter);
      }
      return;
    }
    handleKey(input, key, filterInput);
  });

  function handleKey(input: string, key: Key, filterInput: string | null): string | null {
    if (filterInput !== null) {
      let next: string | null = filterInput;
      if (key.escape) {
        next = null;
        setFilter('');
      } else if (key.return) {
        setFilter(filterInput);
        next = null;
      } else if (key.backspace || key.delete) {
        next = filterInput.slice(0, -1);
      } else if (input && !key.ctrl && !key.meta) {
        next = filterInput + input;
      }
      setFilterInput(next);
      return next;
    }
    const action = keyToAction(input, key);
    if (action === null) return null;
    if (view === 'tasks' && (action === 'up' || action === 'down')) {
      const count = tasks?.tasks.length ?? 0;
      setTaskSelected((i) => Math.max(0, Math.min(count - 1, i + (action === 'up' ? -1 : 1))));
      return null;
    }
    if (view !== 'hosts' && action !== 'quit' && action !== 'back' && action !== 'help' && action !== 'tasks')
      return null;
    switch (action) {
      case 'up':
        moveBy(-1);
        break;
      case 'down':
        moveBy(1);
        break;
      case 'pageUp':
        moveBy(-tableHeight);
        break;
      case 'pageDown':
        moveBy(tableHeight);
        break;
      case 'top':
        moveTo(0);
        break;
      case 'bottom':
        moveTo(visibleRows.length - 1);
        break;
      case 'nextRack':
        setRackIndex((i) => (i + 1) % (snapshot.racks.length + 1));
        break;
      case 'prevRack':
        setRackIndex((i) => (i + snapshot.racks.length) % (snapshot.racks.length + 1));
        break;
      case 'details':
        if (selectedRow) setView('detail');
        break;
      case 'tasks':
        setView(view === 'tasks' ? 'hosts' : 'tasks');
        if (taskFeed) void taskFeed.refresh();
        break;
      case 'back':
        if (view !== 'hosts') setView('hosts');
        else setFilter('');
        break;
      case 'filter':
        setFilterInput(filter);
        return filter;
      case 'refresh':
        void inventory.refresh();
        break;
      case 'help':
        setView(view === 'help' ? 'hosts' : 'help');
        break;
      case 'quit':
        exit();
        break;
    }
    return null;
  }

  const body =
    view === 'help' ? (
      <HelpView width={columns} />
    ) : view === 'tasks' ? (
      <TasksView
        feed={tasks}
        selected={Math.min(taskSelected, Math.max(0, (tasks?.tasks.length ?? 1) - 1))}
        width={columns}
        height={tableHeight + 1}
        now={now}
      />
    ) : view === 'detail' && selectedRow ? (
      <HostDetail
        row={selectedRow}
        width={columns}
        now={now}
        probe={probe && probe.key === selectedRow.key ? probe.value : undefined}
      />
    ) : (
      <Box flexDirection="row">
        {wide ? <RackPane racks={snapshot.racks} current={rackIndex} height={tableHeight + 1} /> : null}
        {wide ? <Box width={1} /> : null}
        <HostTable
          rows={visibleRows}
          selected={selected}
          offset={windowStart}
          height={tableHeight}
          width={tableWidth}
          now={now}
        />
      </Box>
    );

  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header snapshot={snapshot} label={label} width={columns} now={now} />
      {!wide ? <RackTabs racks={snapshot.racks} current={rackIndex} /> : null}
      <Box flexGrow={1} flexDirection="column">
        {body}
      </Box>
      <Footer width={columns} filterInput={filterInput} appliedFilter={filter} />
    </Box>
  );
}

export function scrollWindow(start: number, selected: number, height: number, total: number): number {
  let s = start;
  if (selected < s) s = selected;
  if (selected >= s + height) s = selected - height + 1;
  return Math.max(0, Math.min(s, Math.max(0, total - height)));
}
