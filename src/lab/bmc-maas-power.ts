/**
 * A MaaS power driver that speaks IPMI, so the lab MaaS powers hosts with the same packets a real
 * region sends (MaaS's IPMI driver: next boot PXE once, then power on, cycling a host that is
 * already on). Plug it into startLabMaas({ powerDriver }) with the lab BMC endpoints.
 */
import type { IpmiClient } from '../gear/ipmi/client.ts';
import type { IpmiTarget } from '../gear/ipmi/session.ts';
import type { LabBmcEndpoint } from './bmc-server.ts';
import type { MaasPowerDriver, MaasPowerTarget } from './maas-power.ts';
import type { LabWorld } from './world.ts';

export type IpmiTargetResolver = (t: MaasPowerTarget) => IpmiTarget | undefined;

export function ipmiMaasPowerDriver(client: IpmiClient, resolve: IpmiTargetResolver): MaasPowerDriver {
  const target = (t: MaasPowerTarget): IpmiTarget => {
    const r = resolve(t);
    // MaaS's own wording, which operators know from its event log.
    if (!r) throw new Error(`Failed to contact BMC of ${t.hostname}: no IPMI power parameters`);
    return r;
  };
  return {
    async powerOn(t) {
      const bmc = target(t);
      await client.setBootDevice(bmc, { device: 'pxe', efi: t.powerParameters['power_boot_type'] === 'efi' });
      await client.power(bmc, (await client.powerStatus(bmc)) === 'on' ? 'cycle' : 'on');
    },
    async powerOff(t) {
      await client.power(target(t), 'off');
    },
    async query(t) {
      return client.powerStatus(target(t));
    },
  };
}

/** From MaaS IPMI power parameters: power_address (host or host:port), power_user, power_pass. */
export function targetFromPowerParameters(t: MaasPowerTarget): IpmiTarget | undefined {
  const p = t.powerParameters;
  const address = p['power_address'];
  const username = p['power_user'];
  const password = p['power_pass'];
  if (!address || !username || password === undefined) return undefined;
  const m = /^(?<host>[^:]+|\[[^\]]+\])(?::(?<port>\d{1,5}))?$/.exec(address);
  if (!m?.groups) return undefined;
  return {
    host: m.groups['host']!.replace(/^\[|\]$/g, ''),
    port: m.groups['port'] ? Number(m.groups['port']) : 623,
    username,
    password,
    name: t.hostname,
  };
}

/** The lab's own BMCs by hostname, with the credentials of the lab spec. */
export function labBmcResolver(world: LabWorld, bmcs: readonly LabBmcEndpoint[]): IpmiTargetResolver {
  const byHost = new Map(bmcs.map((b) => [b.hostname, b]));
  return (t) => {
    const b = byHost.get(t.hostname);
    const h = world.spec.hosts.find((x) => x.hostname === t.hostname);
    if (!b || !h) return undefined;
    return { host: b.host, port: b.port, username: h.bmc.user, password: h.bmc.password, name: t.hostname };
  };
}
