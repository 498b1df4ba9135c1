import { describe, expect, it } from 'vitest';
import { labBiosBootMethod } from '../../src/lab/maas-core.ts';
import { startSite } from './lab-helpers.ts';

/**
 * MaaS records `bios_boot_method` from the boot loader a machine asks for when it PXE-boots
 * ("uefi" for the EFI loaders, "pxe" for pxelinux, i.e. legacy BIOS) and reports it on the machine;
 * it is null until the machine has PXE-booted. The lab serves it the same way, per host.
 */
describe('lab MaaS: bios_boot_method', () => {
  it('is reported per machine, some UEFI and some legacy, as the firmware booted', async () => {
    const s = await startSite();
    const seen = new Map<string, string | null | undefined>();
    for (const m of await s.client.listMachines()) seen.set(m.hostname, m.bios_boot_method);
    expect(seen.get('r01-n001')).toBe('uefi');
    expect(seen.get('r01-n003')).toBe('pxe');
    for (const [hostname, method] of seen) expect(method).toBe(labBiosBootMethod(hostname));
    expect(new Set(seen.values())).toEqual(new Set(['uefi', 'pxe']));
    expect((await s.client.readMachine(s.id('r02-n002'))).bios_boot_method).toBe('uefi');
  });

  it('is null for a new machine until it PXE-boots for commissioning', async () => {
    const s = await startSite({ unregistered: ['r02-n003'] });
    const spec = s.world.spec.hosts.find((h) => h.hostname === 'r02-n003')!;
    const m = await s.client.createMachine({
      hostname: 'r02-n003',
      macAddresses: spec.nics.map((n) => n.mac),
      power: { address: '127.0.0.1', user: 'admin', pass: spec.bmc.password },
    });
    expect(m.bios_boot_method).toBeNull();
    const ready = await s.waitStatus(m.system_id, 'Ready');
    expect(ready.bios_boot_method).toBe('pxe');
  });

  it('can be set by a test, as any value a real region may hold', async () => {
    const s = await startSite();
    s.lab.machines.setBiosBootMethod('r01-n001', 'ipxe');
    expect((await s.client.readMachine(s.id('r01-n001'))).bios_boot_method).toBe('ipxe');
    s.lab.machines.setBiosBootMethod('r01-n001', null);
    expect((await s.client.readMachine(s.id('r01-n001'))).bios_boot_method).toBeNull();
  });
});
