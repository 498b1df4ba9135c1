import { describeError } from '../util/errors.ts';
import { bootDeviceLabel } from '../ipmi/commands.ts';
import { rackBmcTarget } from '../bmc/target.ts';
import type { Site } from './open.ts';
import { switchPort } from './adapters.ts';

/**
 * What the gear itself says about one host, read on demand for the host details: the BMC's power
 * and boot device, and each ToR port's VLANs. MaaS's view can lag or be wrong; these are the truth
 * an operator checks by hand at 3 a.m.
 */
export interface PortReading {
  switch: string;
  port: string;
  pxeVlan: number | undefined;
  untagged?: number | null;
  tagged?: number[];
  error?: string;
}

export interface HostProbe {
  bmc?: { power: 'on' | 'off'; bootDevice: string; persistent: boolean } | { error: string };
  ports: PortReading[];
}

export type HostProber = (hostname: string, macs: readonly string[]) => Promise<HostProbe>;

export function hostProber(openSite: () => Promise<Site>): HostProber {
  // Opened at the first probe: a dashboard that never probes never reads the rack file.
  let opened: Promise<{ site: Site; switches: ReturnType<typeof switchPort> }> | undefined;
  return async (hostname, macs) => {
    opened ??= openSite().then((site) => ({
      site,
      switches: switchPort(site.switches, site.topology, site.env),
    }));
    let site: Site;
    let switches: ReturnType<typeof switchPort>;
    try {
      ({ site, switches } = await opened);
    } catch (err) {
      opened = undefined;
      return {
        ports: [],
        bmc: { error: `cannot read the site's gear: ${describeError(err).split('\n')[0]!}` },
      };
    }
    const rackHost = site.topology.host(hostname);
    const nics = site.topology.nicsForMacs([...macs, ...(rackHost?.nics.map((n) => n.mac) ?? [])]);
    const ports = Promise.all(
      nics.map(async (nic): Promise<PortReading> => {
        const base = {
          switch: nic.switch,
          port: nic.port,
          pxeVlan: site.topology.switch(nic.switch)?.pxeVlan,
        };
        try {
          const m = await switches.showPort(nic.switch, nic.port);
          return { ...base, untagged: m.untagged, tagged: m.tagged };
        } catch (err) {
          return { ...base, error: describeError(err).split('\n')[0]! };
        }
      }),
    );
    const bmc = (async (): Promise<HostProbe['bmc']> => {
      try {
        const target = rackBmcTarget(rackHost?.bmc, hostname, site.env);
        if (!target) {
          return rackHost?.bmc?.username
            ? { error: 'no BMC password in the rack file or environment' }
            : undefined;
        }
        const [power, boot] = await Promise.all([
          site.bmc.powerStatus(target),
          site.bmc.getBootDevice(target),
        ]);
        return {
          power,
          bootDevice: boot.valid ? bootDeviceLabel(boot.device) : 'BIOS order',
          persistent: boot.valid && boot.persistent,
        };
      } catch (err) {
        return { error: describeError(err).split('\n')[0]! };
      }
    })();
    const [p, b] = await Promise.all([ports, bmc]);
    return { ports: p, ...(b && { bmc: b }) };
  };
}

/** What the readings mean for the host's MaaS status: the mismatches an operator must act on. */
export function probeWarnings(statusName: string, maasPower: string, probe: HostProbe): string[] {
  const warnings: string[] = [];
  const needsPxe = ['Commissioning', 'Deploying', 'Disk erasing', 'Releasing', 'Testing'].includes(
    statusName,
  );
  for (const p of probe.ports) {
    if (needsPxe && p.pxeVlan !== undefined && p.untagged !== undefined && p.untagged !== p.pxeVlan) {
      warnings.push(
        `${p.switch} ${p.port} is untagged on VLAN ${p.untagged}, not the PXE VLAN ${p.pxeVlan}: MaaS cannot reach the host while it is ${statusName}; it will time out`,
      );
    }
  }
  if (
    probe.bmc &&
    'power' in probe.bmc &&
    (maasPower === 'on' || maasPower === 'off') &&
    probe.bmc.power !== maasPower
  ) {
    warnings.push(
      `the BMC says power ${probe.bmc.power}, MaaS says ${maasPower}: someone changed it out of band, or MaaS has not polled yet`,
    );
  }
  return warnings;
}
