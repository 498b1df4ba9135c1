import type { LabWorld } from './world.ts';

/**
 * How the lab MaaS reaches a machine's power, as MaaS's power drivers do. The default acts on the
 * LabWorld directly; the integrator can pass one that speaks IPMI to the lab BMCs instead, so the
 * same packets a real region sends cross the loopback.
 */
export interface MaasPowerTarget {
  systemId: string;
  hostname: string;
  powerType: string;
  powerParameters: Readonly<Record<string, string>>;
}

export interface MaasPowerDriver {
  /**
   * As MaaS's IPMI driver does for deploy/commission/erase: next boot from PXE (one time), then
   * power on — a host already on is hard-cycled (`ipmipower --cycle --on-if-off`).
   */
  powerOn(target: MaasPowerTarget): Promise<void>;
  /** Hard off (MaaS's default stop mode for its own operations). */
  powerOff(target: MaasPowerTarget): Promise<void>;
  query(target: MaasPowerTarget): Promise<'on' | 'off'>;
}

/** Acts on the world as a BMC would: boot flags, then chassis power. */
export function worldPowerDriver(world: LabWorld): MaasPowerDriver {
  const host = (t: MaasPowerTarget) => {
    if (!world.hosts.has(t.hostname)) throw new Error(`Failed to contact BMC of ${t.hostname}: no such host`);
    return t.hostname;
  };
  return {
    async powerOn(t) {
      const h = host(t);
      world.setBoot(h, 'pxe', false, t.powerParameters['power_boot_type'] === 'efi');
      if (world.host(h).power === 'on') world.setPower(h, 'off', 'maas');
      world.setPower(h, 'on', 'maas');
    },
    async powerOff(t) {
      world.setPower(host(t), 'off', 'maas');
    },
    async query(t) {
      return world.host(host(t)).power;
    },
  };
}
