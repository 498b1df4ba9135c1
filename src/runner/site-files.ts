import { dirname, join } from 'node:path';
import type { Config } from '../config/index.ts';

/**
 * The embedded default: with no MaaS configured the runner hosts the lab itself, with a store of
 * its own beside the real one. The lab lives as long as the runner; its files let any client
 * reach the same lab directly for reads (hosts, switch show, ipmi status) as it would a real site.
 */
export interface LabSiteFiles {
  dir: string;
  store: string;
  env: string;
  rackFile: string;
}

export function labSiteFiles(config: Pick<Config, 'store'>): LabSiteFiles {
  const dir = join(dirname(config.store), 'lab');
  return {
    dir,
    store: join(dir, 'store.json'),
    env: join(dir, 'lab.env'),
    rackFile: join(dir, 'lab.rack.json'),
  };
}

/** The site a configuration names, as runner and client compare it: the MaaS URL, or "lab". */
export function siteIdentity(config: Config): string {
  return config.lab ? 'lab' : (config.maas?.url ?? 'none');
}

/** The store (and so the runner) a configuration uses: the lab's own when the lab is embedded. */
export function siteStorePath(config: Config): string {
  return config.lab ? labSiteFiles(config).store : config.store;
}
