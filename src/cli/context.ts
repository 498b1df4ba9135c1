import { loadConfig, type Config } from '../config/index.ts';
import { connectRunner, type RunnerClient } from '../client/runner-client.ts';
import { siteIdentity, siteStorePath } from '../runner/site-files.ts';
import { membersAnswering } from './etcd-text.ts';
import { eprintln, type CommandIo } from './io.ts';
import { Deadline } from '../util/deadline.ts';
import { WaitLine, waitLineStream } from './wait-line.ts';
import { readWait, type Peer } from './waits.ts';

/**
 * Each peer's setting: what bounds a command's whole wait on it. A switch or BMC read is a login
 * (session) then a command, each bounded by the setting in the runner, whose own error names it
 * first; the command's bound covers both, so it only ends a wait the gear's timers did not.
 */
const PEER_BOUNDS: Record<Peer, (c: Config) => { ms: number; setting: string }> = {
  maas: (c) => ({ ms: c.maasTimeoutMs, setting: 'RACKPILOT_MAAS_TIMEOUT' }),
  switch: (c) => ({ ms: 2 * c.switchTimeoutMs, setting: 'RACKPILOT_SWITCH_TIMEOUT' }),
  bmc: (c) => ({ ms: 2 * c.bmcTimeoutMs, setting: 'RACKPILOT_BMC_TIMEOUT' }),
};

/**
 * What a command needs, opened lazily and closed once: settings and the site's runner, which owns
 * the store, runs every task and does every read of the gear (MaaS, switches, BMCs): a command
 * never opens a session to the gear itself. With no MaaS configured the runner hosts the lab.
 */
export class CommandContext {
  private configValue: Config | undefined;
  private runnerValue: Promise<RunnerClient> | undefined;

  constructor(
    readonly io: CommandIo,
    readonly env: Readonly<Record<string, string | undefined>> = process.env,
    private readonly client: { kind: 'cli' | 'tui'; readOnly?: boolean; json?: boolean } = { kind: 'cli' },
  ) {
    // The wait line is for an operator at a terminal: never in a pipe, a log or --json output.
    this.waitLine = new WaitLine(waitLineStream(io.stderr, { json: client.json ?? false }));
  }

  /** One line on stderr while the command waits (the runner starting, MaaS, a switch, a BMC). */
  waitLine: WaitLine;
  /** One deadline per peer for the whole command, started by its first wait on that peer. */
  private readonly deadlines = new Map<Peer, Deadline>();

  /** --read-only or RACKPILOT_READ_ONLY: the runner refuses this client's changes. */
  get readOnly(): boolean {
    return (this.client.readOnly ?? false) || this.config().readOnly;
  }

  /** The dashboard connects as a TUI client. */
  asDashboard(): void {
    this.client.kind = 'tui';
    // Ink owns the terminal and says itself what it waits for: a line on stderr beside its frame
    // would push the frame past the screen's height.
    this.waitLine.close();
    this.waitLine = new WaitLine(null);
  }

  /** A setting read from the environment or .env, e.g. RACKPILOT_IPMI_PASSWORD. */
  envValue(name: string): string | undefined {
    return this.config().env[name] ?? this.env[name];
  }

  config(): Config {
    if (!this.configValue) {
      this.configValue = loadConfig({ env: this.env });
      for (const w of this.configValue.warnings) eprintln(this.io, `warning: ${w}`);
    }
    return this.configValue;
  }

  /** The site's runner, started if none is running. */
  runner(): Promise<RunnerClient> {
    this.runnerValue ??= this.connect(true);
    return this.runnerValue;
  }

  /** The site's runner if one is running; null otherwise (nothing is started). */
  async runnerIfRunning(): Promise<RunnerClient | null> {
    this.runnerValue ??= this.connect(false);
    return this.runnerValue.catch(() => null);
  }

  private connect(start: boolean): Promise<RunnerClient> {
    return (async () => {
      const config = this.config();
      const runner = await connectRunner({
        start,
        storePath: siteStorePath(config),
        site: siteIdentity(config),
        client: { kind: this.client.kind, readOnly: this.readOnly },
        env: this.runnerEnv(config),
        cwd: process.cwd(),
        config,
        startTimeoutMs: config.runnerStartTimeoutMs,
        onWait: (what) => this.waitLine.begin(what),
      });
      this.observe(runner);
      // A runner this command started says what the operator must know at once (a new lab began).
      for (const n of runner.startNotices) eprintln(this.io, `note: ${n}`);
      if (config.etcd && this.client.kind === 'cli') await this.markIfStale(runner);
      return runner;
    })();
  }

  /**
   * Hangs the command's deadlines and its wait line on a runner client. The dashboard draws its own
   * screen: it gets the deadlines, never the wait line.
   */
  observe(runner: Pick<RunnerClient, 'showWait' | 'watch'>): void {
    const cli = this.client.kind === 'cli';
    if (cli) runner.showWait = (label) => this.waitLine.begin(label);
    runner.watch = (method, params) => {
      const wait = readWait(method, params);
      return {
        ...(wait.peer && { deadline: this.deadline(wait.peer) }),
        done: cli ? this.waitLine.begin(wait.what) : () => undefined,
      };
    };
  }

  /** The environment a runner started by this terminal gets: its own, with the .env it read. */
  runnerEnv(config: Config): Record<string, string | undefined> {
    return { ...this.env, ...(config.envFile && { RACKPILOT_ENV_FILE: config.envFile }) };
  }

  /**
   * With several jump hosts, a runner whose etcd has no quorum (or cannot be reached) answers
   * from its last known state: every command then says so on stderr, and its JSON carries `stale`.
   */
  private async markIfStale(runner: RunnerClient): Promise<void> {
    const c = (await runner.call('runner.status', {})).coordination;
    if (!c || c.available) return;
    const reason =
      c.condition === 'quorum-lost'
        ? `etcd has no quorum${membersAnswering(c.members)}`
        : 'etcd cannot be reached';
    this.io.stale = { since: c.staleSince, reason };
    eprintln(
      this.io,
      `stale: ${reason} since ${c.staleSince ?? '?'}; what follows is this runner's last known state, and changes are refused`,
    );
  }

  /** The command's deadline on a peer: the first wait on it starts it, later ones get what is left. */
  deadline(peer: Peer): Deadline {
    let d = this.deadlines.get(peer);
    if (!d) {
      const bound = PEER_BOUNDS[peer](this.config());
      d = new Deadline(bound.ms, bound.setting);
      this.deadlines.set(peer, d);
    }
    return d;
  }

  async close(): Promise<void> {
    this.waitLine.close();
    for (const d of this.deadlines.values()) d.dispose();
    if (this.runnerValue) (await this.runnerValue.catch(() => undefined))?.close();
  }
}
