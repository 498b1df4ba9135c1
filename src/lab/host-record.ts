import type { Lab } from './index.ts';
import type { LabHost } from './spec.ts';

/**
 * The record `rackpilot host add` writes for a lab host: its dimensions, its MACs, its running
 * BMC and that BMC's credentials. Undefined when the host has no BMC running.
 */
export function labHostRecord(lab: Pick<Lab, 'bmcs'> & Partial<Pick<Lab, 'redfish'>>, h: LabHost) {
  const bmc = lab.bmcs.bmcs.find((b) => b.hostname === h.hostname);
  const rf = lab.redfish?.bmcs.find((b) => b.hostname === h.hostname);
  if (!bmc && !rf) return undefined;
  const address = (rf ?? bmc)!;
  return {
    hostname: h.hostname,
    mac: h.nics[0]!.mac,
    macs: h.nics.map((n) => n.mac),
    ipmi: {
      address: address.host,
      port: address.port,
      username: h.bmc.user,
      password: h.bmc.password,
      ...(rf && {
        protocol: 'redfish' as const,
        scheme: rf.scheme,
        ...(rf.certSha256 && { certSha256: rf.certSha256 }),
      }),
      // As `host add` records a BMC the lab's rack file gives.
      source: 'rack file' as const,
    },
    cpuCores: h.cpuCount,
    cpuMhz: h.cpuMhz,
    memoryMb: h.memoryMb,
  };
}
