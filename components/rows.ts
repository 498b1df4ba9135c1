import type { HostRow } from '../state/live.ts';
import type { Task } from '../src/protocol/records.ts';
import { IN_FLIGHT } from '../src/protocol/task-states.ts';
import type { CatalogSnapshot, HostExtras } from './actions.ts';
import { rollbackProgress } from './task-panes.ts';

/** A host row as the dashboard shows it: MaaS and the rack file, plus what runs on the host. */
export type DashboardRow = HostRow & HostExtras;

export type SortColumn = 'name' | 'status' | 'power' | 'rack';
export interface SortOrder {
  column: SortColumn;
  descending: boolean;
}

const KIND_WORD: Record<string, string> = {
  'instance.create': 'deploy',
  'instance.destroy': 'destroy',
  'instance.start': 'start',
  'instance.stop': 'stop',
  'instance.attach': 'attach',
  'instance.detach': 'detach',
  'host.add': 'add',
};

/** What a task does now in a few cells: `deploy 7/13`, or while it rolls back `rollback 2/6`. */
export function taskStep(t: Pick<Task, 'kind' | 'steps' | 'state'>): string {
  const undo = rollbackProgress(t);
  if (undo) return `rollback ${Math.max(1, undo.at)}/${undo.count}`;
  const word = KIND_WORD[t.kind] ?? t.kind.split('.').pop() ?? t.kind;
  const i = t.steps.findIndex((s) => s.state !== 'done' && s.state !== 'skipped');
  return `${word} ${i < 0 ? t.steps.length : i + 1}/${t.steps.length}`;
}

/**
 * What runs on each host, by hostname: the instance and its VLANs from the catalog, the running task
 * from the task journal, then whatever the caller passes explicitly (it wins).
 */
export function hostExtras(
  catalog: CatalogSnapshot | undefined,
  tasks: readonly Task[] | undefined,
  given: ReadonlyMap<string, HostExtras> | undefined,
): Map<string, HostExtras> {
  const out = new Map<string, HostExtras>();
  const put = (hostname: string, extra: HostExtras) => out.set(hostname, { ...out.get(hostname), ...extra });
  if (catalog) {
    const hostname = new Map(catalog.hosts.map((h) => [h.id, h.hostname]));
    const vlan = new Map(catalog.networks.map((n) => [n.id, n.vlan]));
    for (const inst of catalog.instances) {
      const name = hostname.get(inst.hostId);
      if (!name) continue;
      const vlans = inst.networkIds.map((id) => vlan.get(id)).filter((v) => v !== undefined);
      put(name, { instance: inst.name, ...(vlans.length && { vlans: vlans.join(',') }) });
    }
  }
  for (const t of tasks ?? []) {
    const name = t.target.hostname;
    if (!name || !IN_FLIGHT.has(t.state) || out.get(name)?.task) continue;
    put(name, { task: { id: t.id, kind: t.kind, step: taskStep(t) } });
  }
  for (const [name, extra] of given ?? []) put(name, extra);
  return out;
}

export function enrichRows(
  rows: readonly HostRow[],
  extras: ReadonlyMap<string, HostExtras>,
): readonly DashboardRow[] {
  if (extras.size === 0) return rows;
  return rows.map((r) => {
    const e = extras.get(r.hostname);
    return e ? { ...r, ...e } : r;
  });
}

export function matchesFilter(row: DashboardRow, filter: string): boolean {
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
    row.switchName ?? '',
    row.instance ?? '',
    row.task?.step ?? '',
    ...row.macs,
    ...row.ports,
  ]
    .join(' ')
    .toLowerCase();
  return hay.includes(needle) !== invert;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function sortRows(rows: readonly DashboardRow[], order: SortOrder | null): readonly DashboardRow[] {
  if (!order) return rows;
  const key = (r: DashboardRow): string =>
    order.column === 'name'
      ? r.hostname
      : order.column === 'status'
        ? r.statusName
        : order.column === 'power'
          ? r.powerState
          : (r.rack ?? '~');
  const sign = order.descending ? -1 : 1;
  return [...rows].sort((a, b) => sign * byText(key(a), key(b)) || byText(a.hostname, b.hostname));
}

export function sortLabel(order: SortOrder | null): string {
  return order ? `sort ${order.column}${order.descending ? '↓' : '↑'}` : '';
}

/** Why a host refuses a task-starting action, or null when it is free. */
export function heldReason(row: DashboardRow | undefined): string | null {
  if (!row?.task) return null;
  return `${row.hostname} is held by task ${row.task.id} (${row.task.step})`;
}
