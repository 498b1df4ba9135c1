import type { MaasClient } from '../gear/maas/client.ts';
import type { Lab } from './index.ts';
import { labTroubles } from './troubles.ts';

/**
 * A lived-in site for `npm start` on the lab: some hosts commissioning, some deploying, one
 * deployment that will hang until MaaS's node_timeout turns it into Failed deployment (the 3 a.m.
 * case), one Broken host and cabled hosts MaaS has never seen; on a site of 24 hosts or more, one
 * deployment per doctor's cause (curtin failing, no kernel after the boot loader, no installer
 * after the ephemeral, cloud-init failing the user data, a BMC that refuses MaaS) and a host left
 * in rescue mode; on 30 hosts or more also a host whose firmware never network-boots and a full
 * disk erase, slow (as long as its disks need) but on time. All of it through the lab's real API and physics, so what the dashboard shows is
 * what MaaS reports.
 */
export interface DemoPlan {
  commission: string[];
  deploy: string[];
  stuck: string[];
  broken: string[];
  /** Hosts left out of MaaS: they show as "Not in MaaS" until added with `host add`. */
  unregistered: string[];
  /** Deployments that meet one trouble each, and hosts put in rescue mode. */
  troubles: { hostname: string; kind: DemoTrouble }[];
}

export type DemoTrouble =
  | 'curtin-fails'
  | 'no-kernel'
  | 'no-installer'
  | 'user-data-fails'
  | 'bmc-refuses'
  | 'rescue'
  | 'no-netboot'
  | 'full-erase';
const TROUBLES: readonly DemoTrouble[] = [
  'curtin-fails',
  'no-kernel',
  'no-installer',
  'user-data-fails',
  'bmc-refuses',
  'rescue',
];
/** Beyond the first six, on a site big enough that their hosts are free of the other roles. */
const MORE_TROUBLES: readonly DemoTrouble[] = ['no-netboot', 'full-erase'];

export function demoPlan(hostnames: readonly string[]): DemoPlan {
  const pick = (i: number) => hostnames[i % hostnames.length]!;
  const n = hostnames.length;
  if (n < 8) return { commission: [], deploy: [], stuck: [], broken: [], unregistered: [], troubles: [] };
  return {
    commission: [pick(2), pick(n - 3)],
    deploy: [pick(4), pick(7), pick(n - 5)],
    stuck: [pick(5)],
    broken: [pick(n - 2)],
    unregistered: [pick(n - 1)],
    troubles:
      n < 24
        ? []
        : [...TROUBLES, ...(n < 30 ? [] : MORE_TROUBLES)].map((kind, i) => ({
            hostname: pick(9 + 2 * i),
            kind,
          })),
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
  const trouble = labTroubles(lab);
  const deployed: string[] = [];
  const erasing: string[] = [];
  for (const { hostname, kind } of plan.troubles) {
    if (kind === 'rescue') {
      trouble.rescueMode(hostname);
      continue;
    }
    if (kind === 'full-erase') {
      erasing.push(hostname);
      continue;
    }
    if (kind === 'no-netboot') trouble.netbootDisabled(hostname);
    if (kind === 'curtin-fails') trouble.curtinFails(hostname);
    if (kind === 'no-kernel') trouble.noKernel(hostname);
    if (kind === 'no-installer') trouble.noInstaller(hostname);
    if (kind === 'user-data-fails') trouble.userDataFails(hostname);
    if (kind === 'bmc-refuses') trouble.bmcPasswordChanged(hostname);
    deployed.push(hostname);
  }
  for (const h of [...plan.deploy, ...plan.stuck, ...deployed]) {
    const sid = id(h);
    if (!sid) continue;
    await maas.allocate(sid);
    await maas.deploy(sid, { distroSeries: 'ubuntu/jammy', comment: 'demo' });
  }
  // A tenant gone: the machine released with a full erase of its disks.
  for (const h of erasing) {
    const sid = id(h);
    if (!sid) continue;
    await maas.allocate(sid);
    await maas.release(sid, { erase: 'full', comment: 'tenant left' });
  }
}
