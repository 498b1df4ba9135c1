import type { Lab } from './index.ts';
import type { LabHost } from './spec.ts';

/**
 * The record `rackpilot host add` writes for a lab host: its dimensions, its MACs, its running
 * BMC and that BMC's credentials. Undefined when the host has no BMC running.
 */
export function labHostRecord(lab: Pick<Lab, 'bmcs'>, h: LabHost) {
  const bmc = lab.bmcs.bmcs.find((b) => b.hostname === h.hostname);
  if (!bmc) return undefined;
  return {
    hostname: h.hostname,
    mac: h.nics[0]!.mac,
    macs: h.nics.map((n) => n.mac),
    ipmi: { address: bmc.host, port: bmc.port, username: h.bmc.user, password: h.bmc.password },
    cpuCores: h.cpuCount,
    cpuMhz: h.cpuMhz,
    memoryMb: h.memoryMb,
  };
}
