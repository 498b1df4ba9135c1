import type { DashboardRow } from './rows.ts';
import { width as cells } from './format.ts';

/**
 * The host table's columns for a width: which fit (by priority) and how wide each is. Every column
 * has the least it can show and the width its longest text needs; the space left after the least
 * goes to the columns in need order (the host name first, then all the switch ports…), and MaaS's
 * status message takes the rest. So a wide terminal cuts nothing while cells stay empty.
 */
export type ColumnId =
  'host' | 'ports' | 'mac' | 'status' | 'age' | 'power' | 'task' | 'instance' | 'vlans' | 'message';

export interface Column {
  id: ColumnId;
  title: string;
  width: number;
  /** The ports column: with the switch, every port, or the first and a count (one form per table). */
  ports?: PortsForm;
}

export type PortsForm = 'full' | 'all' | 'short';

interface Spec {
  id: ColumnId;
  title: string;
  /** The least width it is shown at. */
  min: number;
  /** The width its longest text needs. */
  want: number;
  /** Lower stays longer when the terminal is narrow. */
  priority: number;
}

/** The gutter: mark (`*`) and staleness (`~`). */
export const GUTTER = 2;
/** A status message longer than this is cut even on the widest terminal. */
const MESSAGE_MAX = 100;

/** Switch and every port (`tor-r01 1/1/1,1/1/2`), when the column has room for it. */
export function fullPorts(row: DashboardRow): string {
  if (row.ports.length === 0) return row.switchName ? '?' : '-';
  return `${row.switchName ?? ''} ${row.ports.join(',')}`.trim();
}

/** Every port without the switch (`1/1/1,1/1/2`): the rack says which switch. */
export function allPorts(row: DashboardRow): string {
  if (row.ports.length === 0) return row.switchName ? '?' : '-';
  return row.ports.join(',');
}

export function portsText(row: DashboardRow, form: PortsForm): string {
  return form === 'full' ? fullPorts(row) : form === 'all' ? allPorts(row) : shortPorts(row);
}

/** The first port and how many more (`1/1/1+1`). */
export function shortPorts(row: DashboardRow): string {
  if (row.ports.length === 0) return row.switchName ? '?' : '-';
  return row.ports.length > 1 ? `${row.ports[0]}+${row.ports.length - 1}` : row.ports[0]!;
}

export function macText(row: DashboardRow): string {
  if (row.macs.length === 0) return '-';
  return row.macs.length > 1 ? `${row.macs[0]}+${row.macs.length - 1}` : row.macs[0]!;
}

/** The widest text of each column over the rows (one walk per data change, not per key). */
function longest(rows: readonly DashboardRow[]) {
  const n = {
    ...{ host: 8, ports: 5, allPorts: 5, shortPorts: 5, status: 6 },
    ...{ task: 0, instance: 0, vlans: 0, message: 0 },
  };
  for (const r of rows) {
    n.host = Math.max(n.host, cells(r.hostname));
    n.ports = Math.max(n.ports, cells(fullPorts(r)));
    n.allPorts = Math.max(n.allPorts, cells(allPorts(r)));
    n.shortPorts = Math.max(n.shortPorts, cells(shortPorts(r)));
    n.status = Math.max(n.status, cells(r.statusName));
    if (r.task) n.task = Math.max(n.task, cells(r.task.step));
    if (r.instance) n.instance = Math.max(n.instance, cells(r.instance));
    if (r.vlans) n.vlans = Math.max(n.vlans, cells(r.vlans));
    n.message = Math.max(n.message, Math.min(MESSAGE_MAX, cells(r.statusMessage)));
  }
  return n;
}

/**
 * Who grows first into the room left, and up to what: every port, then (wide) the MAC if it fits,
 * then the message, then the switch name (the rack pane already says which switch a rack has).
 */
type Longest = ReturnType<typeof longest>;
type Growth = { id: ColumnId; upTo?: (n: Longest) => number } | { joins: ColumnId };
const GROWTH: readonly Growth[] = [
  { id: 'host' },
  { id: 'status' },
  { id: 'task' },
  { id: 'instance' },
  { id: 'vlans' },
  { id: 'ports', upTo: (n) => n.allPorts },
  { joins: 'mac' },
  { id: 'message' },
  { id: 'ports' },
];

/** Every column with its least and wanted width and its priority, for this table's rows. */
function columnSpecs(n: Longest, wide: boolean): Spec[] {
  const all: Spec[] = [
    // Wide: a host name is never cut (a MaaS stand-in's petnames run past 10).
    { id: 'host', title: 'HOST', min: wide ? n.host : Math.min(n.host, 10), want: n.host, priority: 0 },
    // Wide: every port (the switch is the rack's), and the switch too when there is room; the first
    // port and a count when a task, its instance and the message leave no more.
    {
      id: 'ports',
      title: wide ? 'SWITCH PORTS' : 'PORTS',
      min: wide ? n.shortPorts : 10,
      want: wide ? Math.max(10, n.ports) : 10,
      priority: wide ? 3 : 5,
    },
    { id: 'mac', title: 'MAC', min: 20, want: 20, priority: 8 },
    { id: 'status', title: 'STATUS', min: Math.min(n.status, 17), want: n.status, priority: 0 },
    { id: 'age', title: 'FOR', min: 6, want: 6, priority: 4 },
    { id: 'power', title: 'POWER', min: 7, want: 7, priority: 1 },
    { id: 'task', title: 'TASK', min: 14, want: Math.max(14, n.task), priority: 2 },
    {
      id: 'instance',
      title: 'INSTANCE',
      min: wide ? Math.min(12, Math.max(8, n.instance)) : 12,
      want: Math.max(12, n.instance),
      priority: wide ? 4.5 : 3,
    },
    { id: 'vlans', title: 'VLANS', min: 9, want: Math.max(9, n.vlans), priority: 7 },
    {
      id: 'message',
      title: 'MESSAGE',
      min: Math.min(10, Math.max(7, n.message)),
      want: Math.max(7, n.message),
      // Wide: MaaS's own word on the host stays on screen, right after the task; the ports give way.
      priority: wide ? 2.5 : 9,
    },
  ];
  return all.filter(
    (c) =>
      (c.id !== 'task' || n.task > 0) &&
      (c.id !== 'instance' || n.instance > 0) &&
      (c.id !== 'vlans' || n.vlans > 0) &&
      (c.id !== 'message' || wide),
  );
}

/**
 * `wide`: the terminal has 120 columns or more (the README's promise: every switch port and
 * MaaS's status message per row), whatever the rack and task panes leave of it to the table.
 */
export function layoutColumns(width: number, rows: readonly DashboardRow[], wide = width >= 120): Column[] {
  const n = longest(rows);
  const specs = columnSpecs(n, wide);
  const chosen = new Map<ColumnId, number>();
  let used = GUTTER;
  const take = (c: Spec) => {
    const need = c.min + (chosen.size ? 1 : 0);
    if (used + need > width) return;
    chosen.set(c.id, c.min);
    used += need;
  };
  // Wide: the MAC gives way first; it joins only with the room the others leave.
  const joinsLater = (c: Spec) => wide && GROWTH.some((g) => 'joins' in g && g.joins === c.id);
  for (const c of [...specs].sort((a, b) => a.priority - b.priority)) if (!joinsLater(c)) take(c);
  // What is left grows the columns to their longest text, in need order; the message takes the rest.
  for (const g of GROWTH) {
    const c = specs.find((s) => s.id === ('joins' in g ? g.joins : g.id));
    if (!c) continue;
    if ('joins' in g) {
      if (joinsLater(c)) take(c);
      continue;
    }
    if (!chosen.has(c.id)) continue;
    const wanted = Math.min(c.want, g.upTo?.(n) ?? c.want) - chosen.get(c.id)!;
    // A longer form (every port) helps only whole: partly grown it still shows the short one.
    if (g.upTo && wanted > width - used) continue;
    const grow = Math.min(width - used, wanted);
    if (grow > 0) {
      chosen.set(c.id, chosen.get(c.id)! + grow);
      used += grow;
    }
  }
  return specs
    .filter((c) => chosen.has(c.id))
    .map((c) => {
      const w = chosen.get(c.id)!;
      if (c.id !== 'ports') return { id: c.id, title: c.title, width: w };
      const form: PortsForm = w >= n.ports ? 'full' : w >= n.allPorts ? 'all' : 'short';
      return { id: c.id, title: form === 'full' && w >= 12 ? c.title : 'PORTS', width: w, ports: form };
    });
}
