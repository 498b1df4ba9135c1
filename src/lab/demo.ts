import type { MaasClient } from '../maas/client.ts';
import type { Lab } from './index.ts';

/**
 * A lived-in site for `npm start` on the lab: some hosts commissioning, some deploying, one
 * deployment that will hang until MaaS's node_timeout turns it into Failed deployment (the 3 a.m.
 * case), one Broken host and cabled hosts MaaS has never seen. All of it through the lab's real
 * API, so what the dashboard shows is what MaaS reports.
 */
export interface DemoPlan {
  commission: string[];
  deploy: string[];
  stuck: string[];
  broken: string[];
  /** Hosts left out of MaaS: they show as "Not in MaaS" until added with `host add`. */
  unregistered: string[];
}

export function demoPlan(hostnames: readonly string[]): DemoPlan {
  const pick = (i: number) => hostnames[i % hostnames.length]!;
  const n = hostnames.length;
  if (n < 8) return { commission: [], deploy: [], stuck: [], broken: [], unregistered: [] };
  return {
    commission: [pick(2), pick(n - 3)],
    deploy: [pick(4), pick(7), pick(n - 5)],
    stuck: [pick(5)],
    broken: [pick(n - 2)],
    unregistered: [pick(n - 1)],
  };
}

export async function stageDemo(lab: Lab, maas: MaasClient, plan: DemoPlan): Promise<void> {
  const id = (hostname: string) => lab.maas.machines.byHostname(hostname)?.systemId;
  for (const h of plan.broken) {
    const sid = id(h);
    if (sid) await maas.markBroken(sid, 'PSU 2 failed; waiting for a replacement');
  }
  for (const h of plan.commission) {
    const sid = id(h);
    if (sid) await maas.commission(sid, { comment: 'recommission after NIC replacement' });
  }
  for (const h of plan.stuck) lab.maas.faults.stickDeploy(h);
  for (const h of [...plan.deploy, ...plan.stuck]) {
    const sid = id(h);
    if (!sid) continue;
    await maas.allocate(sid);
    await maas.deploy(sid, { distroSeries: 'ubuntu/jammy', comment: 'demo' });
  }
}
