import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import {
  ipmiMaasPowerDriver,
  labBmcResolver,
  targetFromPowerParameters,
} from '../../src/lab/bmc-maas-power.ts';
import type { MaasPowerTarget } from '../../src/lab/maas-power.ts';
import { startLab, type Lab } from './helpers.ts';

let lab: Lab;
let client: IpmiClient;
beforeAll(async () => {
  lab = await startLab(2);
  client = new IpmiClient({ timeoutMs: 200 });
});
afterAll(async () => {
  await client.close();
  await lab.bmcs.close();
});

const machine = (hostname: string, params: Record<string, string> = {}): MaasPowerTarget => ({
  systemId: 'abc123',
  hostname,
  powerType: 'ipmi',
  powerParameters: params,
});

describe('IPMI power driver for the lab MaaS', () => {
  it('power on sets PXE once (EFI per power_boot_type) and powers on; a running host is cycled', async () => {
    const driver = ipmiMaasPowerDriver(client, labBmcResolver(lab.world, lab.bmcs.bmcs));
    const h = lab.targets[0]!.name!;
    lab.world.setBoot(h, 'disk', true, false);
    await driver.powerOn(machine(h, { power_boot_type: 'efi' }));
    // The one-time PXE override was consumed by the boot it caused.
    expect(lab.world.host(h)).toMatchObject({
      power: 'on',
      bootedFrom: 'pxe',
      bootDevice: 'none',
      bootEfi: true,
    });
    const events: string[] = [];
    const stop = lab.world.on(
      (e) => e.kind === 'power' && e.hostname === h && events.push(`${e.power}:${e.source}`),
    );
    await driver.powerOn(machine(h));
    stop();
    expect(events).toEqual(['off:ipmi-cycle', 'on:ipmi-cycle']);
    expect(await driver.query(machine(h))).toBe('on');
    await driver.powerOff(machine(h));
    expect(lab.world.host(h).power).toBe('off');
  });

  it('an unknown host fails the way MaaS words it', async () => {
    const driver = ipmiMaasPowerDriver(client, labBmcResolver(lab.world, lab.bmcs.bmcs));
    await expect(driver.query(machine('nowhere'))).rejects.toThrow(/Failed to contact BMC of nowhere/);
  });

  it('reads MaaS IPMI power parameters', () => {
    const m = machine('n1', { power_address: '10.1.2.3:6230', power_user: 'maas', power_pass: 'pw-1234' });
    expect(targetFromPowerParameters(m)).toEqual({
      host: '10.1.2.3',
      port: 6230,
      username: 'maas',
      password: 'pw-1234',
      name: 'n1',
    });
    expect(
      targetFromPowerParameters(
        machine('n1', { power_address: '10.1.2.3', power_user: 'u', power_pass: 'p' }),
      )?.port,
    ).toBe(623);
    expect(targetFromPowerParameters(machine('n1', { power_address: '10.1.2.3' }))).toBeUndefined();
  });
});
