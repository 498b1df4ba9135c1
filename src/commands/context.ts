import { loadConfig, type Config } from '../config/index.ts';
import type { Site } from '../site/open.ts';
import { connectRunner, type RunnerClient } from '../runner/client.ts';
import { labSiteFiles, siteIdentity, siteStorePath } from '../runner/site-files.ts';
import { eprintln, type CommandIo } from './io.ts';

/** Settings that point at a site; the embedded lab's env file replaces them for a client of it. */
const SITE_VARIABLES = [
  'MAAS_URL',
  'MAAS_API_KEY',
  'MAAS_SYSTEM_URL',
  'RACKPILOT_LAB',
  'RACKPILOT_STORE',
  'RACKPILOT_RACK_FILE',
];

/**
 * What a command needs, opened lazily and closed once: settings, the site's runner (which owns
 * the store and runs every task) and, for direct reads of the gear, the site's clients. With no
 * MaaS configured the runner hosts the lab, and the site is read through the lab's env file.
 */
export class CommandContext {
  private configValue: Config | undefined;
  private siteValue: Promise<Site> | undefined;
  private runnerValue: Promise<RunnerClient> | undefined;

  constructor(
    readonly io: CommandIo,
    readonly env: Readonly<Record<string, string | undefined>> = process.env,
    private readonly client: { kind: 'cli' | 'tui'; readOnly?: boolean } = { kind: 'cli' },
  ) {}

  /** --read-only or RACKPILOT_READ_ONLY: the runner refuses this client's changes. */
  get readOnly(): boolean {
    return (this.client.readOnly ?? false) || this.config().readOnly;
  }

  /** The dashboard connects as a TUI client. */
  asDashboard(): void {
    this.client.kind = 'tui';
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
        env: { ...this.env, ...(config.envFile && { RACKPILOT_ENV_FILE: config.envFile }) },
        cwd: process.cwd(),
      });
      if (config.etcd && this.client.kind === 'cli') await this.markIfStale(runner);
      return runner;
    })();
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
        ? `etcd has no quorum${c.members ? ` (${c.members.answering} of ${c.members.total} members answer)` : ''}`
        : 'etcd cannot be reached';
    this.io.stale = { since: c.staleSince, reason };
    eprintln(
      this.io,
      `stale: ${reason} since ${c.staleSince ?? '?'}; what follows is this runner's last known state, and changes are refused`,
    );
  }

  /** The configuration of the site's gear: the embedded lab's (through its runner) or the real one. */
  async siteConfig(): Promise<Config> {
    const config = this.config();
    if (!config.lab) return config;
    await this.runner();
    const env = Object.fromEntries(Object.entries(this.env).filter(([k]) => !SITE_VARIABLES.includes(k)));
    return loadConfig({ env, envFile: labSiteFiles(config).env });
  }

  /** MaaS, the rack file, switches and BMCs, for reads that need no store and no task. */
  site(): Promise<Site> {
    // Loaded when first needed: the site's clients (SSH, IPMI, the rack file) cost a client that only
    // talks to the runner, the dashboard above all, tens of megabytes.
    this.siteValue ??= this.siteConfig().then(async (c) => (await import('../site/open.ts')).openSite(c));
    return this.siteValue;
  }

  async close(): Promise<void> {
    if (this.runnerValue) (await this.runnerValue.catch(() => undefined))?.close();
    if (this.siteValue) await (await this.siteValue.catch(() => undefined))?.close();
  }
}
