/**
 * The one seam between the product and the built-in lab: the runner (and `rackpilot lab`) start
 * the lab's MaaS, switches and BMCs through here, and nothing else in the product imports
 * `src/lab/` (test/architecture.test.ts keeps it so). The lab is a site like any other once it
 * runs: its URL, API key, rack file and env are all the rest of the runner sees.
 */
import type { Config } from '../config/index.ts';
import type { MaasClient } from '../gear/maas/client.ts';
import { startLab, type Lab } from '../lab/index.ts';
import { generateLabSpec } from '../lab/spec.ts';
import { demoPlan, stageDemo } from '../lab/demo.ts';

export { startLab, type Lab } from '../lab/index.ts';
export { writeLabEnvFile } from '../lab/env-file.ts';
export { labHostRecord } from '../lab/host-record.ts';

/** A started lab site and, when asked for, the demo's activity to stage once MaaS has a client. */
export interface SiteLab {
  lab: Lab;
  stageDemo(maas: MaasClient): Promise<void>;
}

export async function startSiteLab(config: Config, demo: boolean): Promise<SiteLab> {
  const hostnames = generateLabSpec(config.labSpec).hosts.map((h) => h.hostname);
  const plan = demo ? demoPlan(hostnames) : undefined;
  const lab = await startLab({
    timeScale: config.timeScale,
    ...config.labSpec,
    maas: { listCostMs: config.labListCostMs, ...(plan && { unregistered: plan.unregistered }) },
  });
  return { lab, stageDemo: async (maas) => (plan ? stageDemo(lab, maas, plan) : undefined) };
}
