import type { HostLive } from '../src/protocol/messages.ts';

/** Reads a host's BMC and ToR ports through the runner (the dashboard never reaches the gear itself). */
export type HostProber = (hostname: string, macs: readonly string[]) => Promise<HostLive>;

const NEEDS_PXE = new Set(['Commissioning', 'Deploying', 'Disk erasing', 'Releasing', 'Testing']);

/** What the readings mean for the host's MaaS status: the mismatches an operator must act on. */
export function liveWarnings(statusName: string, maasPower: string, live: HostLive): string[] {
  const warnings: string[] = [];
  for (const p of live.ports) {
    if (
      NEEDS_PXE.has(statusName) &&
      p.pxeVlan !== undefined &&
      p.untagged !== undefined &&
      p.untagged !== p.pxeVlan
    ) {
      warnings.push(
        `${p.switch} ${p.port} is untagged on VLAN ${p.untagged}, not the PXE VLAN ${p.pxeVlan}: MaaS cannot reach the host while it is ${statusName}; it will time out`,
      );
    }
  }
  const bmc = live.bmc;
  if (bmc && 'power' in bmc && (maasPower === 'on' || maasPower === 'off') && bmc.power !== maasPower) {
    warnings.push(
      `the BMC says power ${bmc.power}, MaaS says ${maasPower}: someone changed it out of band, or MaaS has not polled yet`,
    );
  }
  return warnings;
}
