import { loadConfig, type Config } from '../config/index.ts';
import { connectRunner, type RunnerClient } from '../client/runner-client.ts';
import { labSiteFiles, siteStorePath } from '../runner/site-files.ts';
import type { CommandContext } from './context.ts';

/** The MaaS settings blanked: an empty value counts as unset, over `.env` too. */
const WITHOUT_SITE = { MAAS_URL: '', MAAS_API_KEY: '', MAAS_SYSTEM_URL: '', RACKPILOT_LAB: '' };

export interface StoreRunners {
  /** This terminal's settings, or the store's alone when the MaaS ones are wrong. */
  config: Config;
  /** The store this terminal's settings name (undefined when they cannot be read). */
  configured: string | undefined;
  /** Every store a runner of RACKPILOT_STORE may own: the configured one first. */
  stores: string[];
}

/**
 * The runners `runner status|stop|logs|restart` look for. One RACKPILOT_STORE holds two sites'
 * runners: a MaaS site's at the store itself and the embedded lab's beside it. Which one the MaaS
 * variables of this terminal name must not decide whether `runner stop` finds the one that runs.
 */
export function storeRunners(ctx: CommandContext): StoreRunners {
  let config: Config | undefined;
  let configured: string | undefined;
  try {
    config = ctx.config();
    configured = siteStorePath(config);
  } catch {
    // Settings this terminal cannot use still name the store (RACKPILOT_STORE has its own check).
  }
  const plain = loadConfig({ env: { ...ctx.env, ...WITHOUT_SITE } });
  const stores = [...new Set([configured, plain.store, labSiteFiles(plain).store])].filter(
    (s): s is string => s !== undefined,
  );
  return { config: config ?? plain, configured, stores };
}

/**
 * A control connection to the first runner that answers among the store's (the configured one
 * first). Nothing is started; null when none runs.
 */
export async function findStoreRunner(
  ctx: CommandContext,
  found: StoreRunners,
): Promise<{ runner: RunnerClient; store: string } | null> {
  for (const store of found.stores) {
    try {
      const runner = await connectRunner({
        start: false,
        control: true,
        storePath: store,
        site: '',
        client: { kind: 'cli', readOnly: readOnly(ctx, found.config) },
        env: ctx.runnerEnv(found.config),
        config: found.config,
      });
      return { runner, store };
    } catch {
      // none here (or not ours): look at the next store
    }
  }
  return null;
}

function readOnly(ctx: CommandContext, config: Config): boolean {
  try {
    return ctx.readOnly;
  } catch {
    return config.readOnly;
  }
}
