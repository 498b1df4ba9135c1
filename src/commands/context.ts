import { loadConfig, type Config } from '../config/index.ts';
import { OperatorError } from '../util/errors.ts';
import { openSite, type Site } from '../site/open.ts';
import { openWorkbench, type Workbench } from '../site/workbench.ts';
import { eprintln, type CommandIo } from './io.ts';

/**
 * What a command needs, opened lazily and closed once: settings, the site (MaaS, rack file,
 * switches, BMCs — the lab when none is configured) and, for provisioning, the store and engine.
 */
export class CommandContext {
  private configValue: Config | undefined;
  private siteValue: Promise<Site> | undefined;
  private benchValue: Promise<Workbench> | undefined;

  constructor(
    readonly io: CommandIo,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

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

  /** `demo`: a lab started here gets some activity staged (the dashboard's lab). */
  site(opts: { demo?: boolean } = {}): Promise<Site> {
    this.siteValue ??= openSite(this.config(), opts);
    return this.siteValue;
  }

  /**
   * The store and the task engine. Provisioning needs a site that outlives this command: a lab
   * started inside it would vanish with its machines, so that case is refused with the way out.
   */
  async workbench(opts: { allowEphemeralLab?: boolean } = {}): Promise<Workbench> {
    const config = this.config();
    if (config.lab && !opts.allowEphemeralLab) {
      throw new OperatorError(
        'no MaaS is configured, and a lab started for one command would vanish with it',
        {
          hint:
            'run `rackpilot lab --env-out lab.env` in another terminal, then `RACKPILOT_ENV_FILE=lab.env rackpilot …`; ' +
            'or set MAAS_URL and MAAS_API_KEY for a real MaaS',
        },
      );
    }
    this.benchValue ??= this.site().then((site) =>
      openWorkbench(site, { onNotice: (t) => eprintln(this.io, `store: ${t}`) }).then((wb) => {
        for (const id of wb.interrupted) {
          eprintln(
            this.io,
            `task ${id} was interrupted by a previous exit: \`rackpilot task resume ${id}\` or \`rackpilot task rollback ${id}\``,
          );
        }
        return wb;
      }),
    );
    return this.benchValue;
  }

  async close(): Promise<void> {
    if (this.benchValue) await (await this.benchValue.catch(() => undefined))?.close();
    if (this.siteValue) await (await this.siteValue.catch(() => undefined))?.close();
  }
}
