import { OperatorError } from '../../util/errors.ts';
import type { Topology } from '../../config/rack/topology.ts';
import { switchTargetInput } from '../../config/rack/switch-target.ts';
import type { SwitchService } from '../../gear/switch/service.ts';
import type { PortChange, SwitchTargetInput } from '../../gear/switch/target.ts';
import type { IpmiTarget } from '../../gear/ipmi/index.ts';
import type { BmcService } from '../../gear/bmc/service.ts';
import { bmcTargetForHost } from './bmc-target.ts';
import type { Host } from '../../protocol/records.ts';
import type { BmcPort, BootReading, RackPort, SwitchPort } from '../workflows/adapters.ts';

/**
 * The real clients seen through the workflows' interfaces. Credentials are resolved here, at the
 * edge, from the rack file's env references and the store; the workflows only name things.
 */
export function switchPort(
  service: SwitchService,
  topology: Topology,
  env: Readonly<Record<string, string | undefined>>,
): SwitchPort {
  const targets = new Map<string, SwitchTargetInput>();
  const target = (name: string): SwitchTargetInput => {
    let t = targets.get(name);
    if (!t) {
      const sw = topology.switch(name);
      if (!sw) throw new OperatorError(`switch ${name} is not in the rack file`, { target: name });
      t = switchTargetInput(sw, env);
      targets.set(name, t);
    }
    return t;
  };
  return {
    async apply(name, changes, signal) {
      const result = await service.apply(target(name), changes as PortChange[], {
        ...(signal && { signal }),
      });
      // The exact lines sent, for the task log and the command log: the shared session's too.
      return {
        lines: result.sent,
        ...(result.batchSize > 1 && {
          note: `configure, end and save were typed once for a session of ${result.batchSize} changes`,
        }),
      };
    },
    async showPort(name, port, signal) {
      const v = await service.showPort(target(name), port, { ...(signal && { signal }) });
      return { untagged: v.untagged, tagged: [...v.tagged] };
    },
    async findMac(name, mac, signal) {
      const e = await service.findMac(target(name), mac, { ...(signal && { signal }) });
      return e ? e.port : null;
    },
    plan(name, changes, current) {
      return service.plan(target(name), changes as PortChange[], current);
    },
    pxeVlan(name) {
      return target(name).pxeVlan;
    },
  };
}

export function ipmiTargetFor(host: Host): IpmiTarget {
  return {
    host: host.ipmi.address,
    ...(host.ipmi.port !== undefined && { port: host.ipmi.port }),
    username: host.ipmi.username,
    password: host.ipmi.password,
    name: `BMC of ${host.hostname} (${host.ipmi.address}${host.ipmi.port ? `:${host.ipmi.port}` : ''})`,
  };
}

/** The workflows' BMCs, IPMI or Redfish as the host record says. */
export function bmcPort(bmc: BmcService): BmcPort {
  return {
    async powerStatus(host, signal) {
      return bmc.powerStatus(bmcTargetForHost(host), signal);
    },
    async power(host, action, signal) {
      await bmc.power(bmcTargetForHost(host), action, signal);
    },
    async setBootDevice(host, boot, signal) {
      await bmc.setBootDevice(bmcTargetForHost(host), boot, signal);
    },
    async getBootDevice(host, signal): Promise<BootReading> {
      // As the BMC holds it: a cdrom or an unknown selector is reported as such, never as disk.
      return bmc.getBootDevice(bmcTargetForHost(host), signal);
    },
  };
}

export function rackPort(topology: Topology): RackPort {
  return {
    nicsFor(macs, hostname) {
      const named = hostname ? topology.host(hostname) : undefined;
      const all = [...macs, ...(named ? named.nics.map((n) => n.mac) : [])];
      return topology.nicsForMacs(all).map((n) => ({ mac: n.mac, switch: n.switch, port: n.port }));
    },
    // A rack file lists at least one rack; none means no rack file is configured.
    configured: topology.rack.racks.length > 0,
    vlanAllowed: (sw, vlan) => topology.vlanAllowed(sw, vlan),
    bootMethod: (macs, hostname) => topology.bootMethodOf(macs, hostname),
  };
}
