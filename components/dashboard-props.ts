import type { InventoryView } from '../state/live.ts';
import type { TaskFeedSnapshot } from '../src/protocol/task-states.ts';
import type { LiveTaskSnapshot } from '../state/runner-task-feed.ts';
import type { HostProber } from './live-warnings.ts';
import type { ConsoleSource } from '../state/runner-console.ts';
import type {
  CatalogSnapshot,
  DashboardActions,
  DashboardEvent,
  EraseMode,
  HostExtras,
  PeerStatus,
} from './actions.ts';

/** Where tasks come from: the runner's event stream (with live step progress), or the store file. */
export interface TaskSource {
  subscribe(listener: () => void): () => void;
  getSnapshot(): LiveTaskSnapshot | null;
  refresh?(): Promise<void>;
}

export interface DashboardProps {
  inventory: InventoryView;
  /** Shown beside the endpoint, e.g. "lab". */
  label?: string;
  /** Fixed clock for tests; live otherwise (ages tick every second). */
  now?: number;
  /** Fixed size for tests; the terminal's otherwise. */
  size?: { columns: number; rows: number };
  /** The task journal, when the site has one. */
  taskFeed?: TaskSource;
  /** Reads a host's BMC and switch ports for the details view (a runner request). */
  prober?: HostProber;
  /** Starts tasks; without it every action key says it needs the runner. */
  actions?: DashboardActions;
  /** Offerings, templates, networks, instances and hosts, for the forms and the catalog views. */
  catalog?: CatalogSnapshot;
  /** What runs on each host, by hostname (wins over what the catalog and the task feed say). */
  hostExtras?: ReadonlyMap<string, HostExtras>;
  /** The `:events` view; the task feed's log lines when absent. */
  events?: readonly DashboardEvent[];
  /** Shown when confirming a destroy. */
  eraseMode?: EraseMode;
  /** No dangerous action in keys, help, footer or command bar. */
  readOnly?: boolean;
  /** No colour; defaults to the NO_COLOR environment variable. */
  noColor?: boolean;
  /** Hosts' serial consoles (the runner's SOL sessions), for the console view. */
  console?: ConsoleSource;
  /** Peers besides MaaS (the runner…) and whether they answer, for the header. */
  peers?: readonly PeerStatus[];
}

/** The `:events` view from the task journal's log lines, newest first. */
export function eventsFromTasks(feed: TaskFeedSnapshot | null): DashboardEvent[] {
  const out: DashboardEvent[] = [];
  for (const t of feed?.tasks ?? [])
    for (const l of t.log)
      out.push({
        at: l.at,
        source: t.kind.split('.').pop() ?? t.kind,
        text: l.text,
        level: l.level,
        ...(t.target.hostname && { host: t.target.hostname }),
      });
  return out.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, 1000);
}

/** Substring filter over a list row's cells; `!text` inverts. */
export function listMatches(cells: readonly string[], filter: string): boolean {
  if (!filter) return true;
  const invert = filter.startsWith('!');
  const needle = (invert ? filter.slice(1) : filter).toLowerCase();
  return !needle || cells.join(' ').toLowerCase().includes(needle) !== invert;
}
