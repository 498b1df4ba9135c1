import type { IpmiClient } from '../ipmi/index.ts';
import type { MaasPowerDriver, MaasPowerTarget } from './maas-power.ts';

/**
 * The lab MaaS's power driver over real IPMI to the lab BMCs, as MaaS's ipmi driver does with
 * freeipmi: boot device PXE for the next boot, then power on (a running host is cycled).
 */
export function ipmiPowerDriver(client: IpmiClient): MaasPowerDriver {
  const target = (t: MaasPowerTarget) => {
    const p = t.powerParameters;
    const address = p['power_address'] ?? '';
    const [host, port] = address.includes(':')
      ? [address.slice(0, address.lastIndexOf(':')), address.slice(address.lastIndexOf(':') + 1)]
      : [address, undefined];
    if (!host) throw new Error(`Failed to contact BMC of ${t.hostname}: no power_address`);
    return {
      host,
      ...(port !== undefined && { port: Number(port) }),
      username: p['power_user'] ?? '',
      password: p['power_pass'] ?? '',
      name: `BMC of ${t.hostname}`,
    };
  };
  return {
    async powerOn(t) {
      const bmc = target(t);
      await client.setBootDevice(bmc, {
        device: 'pxe',
        persistent: false,
        efi: t.powerParameters['power_boot_type'] === 'efi',
      });
      const state = await client.powerStatus(bmc);
      await client.power(bmc, state === 'on' ? 'cycle' : 'on');
    },
    async powerOff(t) {
      await client.power(target(t), 'off');
    },
    async query(t) {
      return client.powerStatus(target(t));
    },
  };
}
