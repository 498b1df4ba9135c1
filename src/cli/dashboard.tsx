import { useSyncExternalStore } from 'react';
import { render } from 'ink';
import { Dashboard, type DashboardProps } from '../../components/Dashboard.tsx';
import type { PeerStatus } from '../../components/actions.ts';
import { clockTime } from '../../components/format.ts';
import { RunnerInventory } from '../../state/runner-inventory.ts';
import { RunnerCatalog } from '../../state/runner-catalog.ts';
import { PoweredInventory } from '../../state/power-merge.ts';
import { RunnerTaskFeed } from '../../state/runner-task-feed.ts';
import { RunnerConsole } from '../../state/runner-console.ts';
import type { RunnerClient } from '../client/runner-client.ts';
import type { RunnerStatus } from '../protocol/messages.ts';
import type { CommandContext } from './context.ts';
import { membersAnswering } from './etcd-text.ts';
import { runnerActions } from './dashboard-actions.ts';
import { keyByKeyStdin } from './key-stdin.ts';

/**
 * The runner, and etcd behind it on a site of several jump hosts, as peers for the header: since
 * when one is gone, if it is (the rows are then the last known state, and the header says so).
 */
/** How long after a lease was renewed the header still says the runner lost one. */
const LEASE_NOTE_MS = 10 * 60_000;

/** etcd as the header shows it: no quorum, unreachable, a lost lease (and a recent renewal). */
export function etcdPeers(c: NonNullable<RunnerStatus['coordination']>, now: number): PeerStatus[] {
  const out: PeerStatus[] = [];
  const members = membersAnswering(c.members);
  if (!c.available) {
    out.push({
      name: 'etcd',
      what: c.condition === 'quorum-lost' ? `has no quorum${members}` : `unreachable${members}`,
      error: c.error ?? c.endpoints.join(', '),
      ...(c.staleSince && { since: Date.parse(c.staleSince) }),
    });
  }
  const l = c.lease;
  if (l.lostAt && !l.renewedAt) {
    out.push({
      name: "this runner's etcd lease",
      what: 'lost',
      error: 'changes refused until a new one is taken (as soon as etcd answers); its tasks are interrupted',
      since: Date.parse(l.lostAt),
    });
  } else if (l.lostAt && l.renewedAt && now - Date.parse(l.renewedAt) < LEASE_NOTE_MS) {
    out.push({
      name: "this runner's etcd lease",
      what: 'was lost',
      error: `renewed at ${clockTime(Date.parse(l.renewedAt))}; the tasks it held then are interrupted (task resume)`,
      since: Date.parse(l.lostAt),
    });
  }
  return out;
}

class RunnerPeer {
  private snapshot: readonly PeerStatus[] = [];
  private readonly listeners = new Set<() => void>();
  private gone = false;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly runner: RunnerClient) {
    runner.onClose((reason) => {
      this.gone = true;
      this.set([{ name: 'runner', error: reason, since: Date.now() }]);
    });
    this.timer = setInterval(() => void this.poll(), 10_000);
    this.timer.unref();
    void this.poll();
  }

  private async poll(): Promise<void> {
    if (this.gone) return;
    const status = await this.runner.call('runner.status', {}).catch(() => null);
    const c = status?.coordination;
    const next: PeerStatus[] = c ? etcdPeers(c, Date.now()) : [];
    if (JSON.stringify(next) !== JSON.stringify(this.snapshot)) this.set(next);
  }

  private set(next: readonly PeerStatus[]): void {
    this.snapshot = next;
    for (const l of this.listeners) l();
  }

  close(): void {
    clearInterval(this.timer);
  }

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  getSnapshot = () => this.snapshot;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** A row's MACs as the request takes them (MaaS may send upper case; anything else is not a MAC). */
function liveMacs(macs: readonly string[]): string[] {
  return macs.map((m) => m.toLowerCase()).filter((m) => MAC.test(m));
}

/** The dashboard with the runner's live catalog and state (views take props; this connects them). */
function LiveDashboard(props: DashboardProps & { catalogSource: RunnerCatalog; peer: RunnerPeer }) {
  const { catalogSource, peer, ...rest } = props;
  const { catalog } = useSyncExternalStore(catalogSource.subscribe, catalogSource.getSnapshot);
  const peers = useSyncExternalStore(peer.subscribe, peer.getSnapshot);
  return <Dashboard {...rest} peers={peers} {...(catalog && { catalog, eraseMode: catalog.eraseMode })} />;
}

/**
 * The default command: the full-screen dashboard. Rows, tasks, catalog and every action through
 * the site's runner, so a task started here goes on when the dashboard closes, tasks started
 * anywhere appear here, and any number of dashboards cost MaaS one poller.
 */
export async function dashboardCommand(ctx: CommandContext): Promise<number> {
  ctx.asDashboard();
  // The runner first: with no MaaS configured it is what hosts the lab the dashboard shows.
  const runner = await ctx.runner();
  // Rows come from the runner, the site's one MaaS poller: a snapshot, then only what changes.
  const inventory = new RunnerInventory(runner);
  // POWER from the runner's BMC sweep, MaaS's view beside it when they differ.
  const powered = new PoweredInventory(inventory, runner);
  const taskFeed = new RunnerTaskFeed(runner);
  const catalog = new RunnerCatalog(runner);
  const peer = new RunnerPeer(runner);
  const consoles = new RunnerConsole(runner);
  // The screen first, "loading" in it, then the data: the operator sees the dashboard at once, not
  // a blank terminal while 10,000 rows cross the socket.
  const app = render(
    <LiveDashboard
      inventory={powered}
      label={ctx.config().lab ? 'lab' : ''}
      prober={(host, macs) => runner.call('host.live', { host, macs: liveMacs(macs) })}
      taskFeed={taskFeed}
      console={consoles}
      catalogSource={catalog}
      peer={peer}
      readOnly={ctx.readOnly}
      {...(!ctx.readOnly && { actions: runnerActions(runner) })}
    />,
    {
      alternateScreen: true,
      incrementalRendering: true,
      // A key's frame within ~16 ms, not Ink's default 33: the keyboard must feel instant.
      maxFps: 60,
      exitOnCtrlC: true,
      // Enter and Tab as keys of their own, even when they come in one read with what was typed.
      stdin: keyByKeyStdin(process.stdin),
    },
  );
  void Promise.all([inventory.connect(), powered.connect(), taskFeed.connect(), catalog.connect()]);
  try {
    await app.waitUntilExit();
  } finally {
    inventory.close();
    powered.close();
    taskFeed.close();
    catalog.close();
    peer.close();
  }
  return 0;
}
