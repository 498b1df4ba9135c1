/**
 * The lab MaaS's power driver for machines with power_type redfish, as MaaS's own redfish driver
 * does it (provisioningserver/drivers/power/redfish.py): power on = off first when on, PATCH Boot
 * Pxe Once (with the system's ETag), then On; power off = ForceOff. Through rackpilot's Redfish
 * client to the lab's Redfish BMCs, so MaaS's requests cross the loopback like anyone's.
 */
import type { RedfishClient, RedfishTarget } from '../gear/redfish/client.ts';
import type { MaasPowerDriver, MaasPowerTarget } from './maas-power.ts';

/** From MaaS redfish power parameters: power_address (a URL, https:// when it has no scheme), power_user, power_pass, node_id. */
export function redfishTargetFromPowerParameters(t: MaasPowerTarget): RedfishTarget | undefined {
  const p = t.powerParameters;
  const raw = p['power_address'];
  const username = p['power_user'];
  const password = p['power_pass'];
  if (!raw || !username || password === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(/^https?:\/\//.test(raw) ? raw : `https://${raw}`);
  } catch {
    return undefined;
  }
  const scheme = url.protocol === 'http:' ? 'http' : 'https';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : scheme === 'https' ? 443 : 80,
    scheme,
    username,
    password,
    ...(p['node_id'] && { systemId: p['node_id'] }),
    name: t.hostname,
  };
}

export function redfishMaasPowerDriver(client: RedfishClient): MaasPowerDriver {
  const target = (t: MaasPowerTarget): RedfishTarget => {
    const r = redfishTargetFromPowerParameters(t);
    if (!r) throw new Error(`Failed to contact BMC of ${t.hostname}: no redfish power parameters`);
    return r;
  };
  return {
    async powerOn(t) {
      const bmc = target(t);
      if ((await client.powerStatus(bmc)) === 'on') await client.power(bmc, 'off');
      await client.setBootDevice(bmc, {
        device: 'pxe',
        persistent: false,
        efi: t.powerParameters['power_boot_type'] === 'efi',
      });
      await client.power(bmc, 'on');
    },
    async powerOff(t) {
      await client.power(target(t), 'off');
    },
    async query(t) {
      return client.powerStatus(target(t));
    },
  };
}

/** Each machine to the driver of its power type (MaaS's power driver registry, in small). */
export function powerDriverByType(
  drivers: Record<string, MaasPowerDriver>,
  fallback: MaasPowerDriver,
): MaasPowerDriver {
  const pick = (t: MaasPowerTarget) => drivers[t.powerType] ?? fallback;
  return {
    powerOn: (t) => pick(t).powerOn(t),
    powerOff: (t) => pick(t).powerOff(t),
    query: (t) => pick(t).query(t),
  };
}
