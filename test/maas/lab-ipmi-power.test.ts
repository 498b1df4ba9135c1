import { describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/index.ts';
import { startLabBmcs } from '../../src/lab/bmc-server.ts';
import { ipmiMaasPowerDriver, targetFromPowerParameters } from '../../src/lab/bmc-maas-power.ts';
import { moveToTenantVlan, startSite } from './lab-helpers.ts';

describe('lab MaaS powering hosts over IPMI through the lab BMCs', () => {
  it('deploys and releases with MaaS driving power and boot device over RMCP+', async () => {
    const ipmi = new IpmiClient({ timeoutMs: 500, retries: 3 });
    let bmcs: Awaited<ReturnType<typeof startLabBmcs>> | undefined;
    try {
      const s = await startSite({
        powerDriver: ipmiMaasPowerDriver(ipmi, targetFromPowerParameters),
        minStallTimeoutMs: 60_000,
      });
      // The BMCs' ports are known once they listen: fill power_parameters as an integrator does.
      bmcs = await startLabBmcs(s.world);
      for (const b of bmcs.bmcs) {
        const h = s.world.spec.hosts.find((x) => x.hostname === b.hostname)!;
        s.lab.machines.setPowerParameters(b.hostname, {
          power_address: `${b.host}:${b.port}`,
          power_user: h.bmc.user,
          power_pass: h.bmc.password,
        });
      }
      const host = s.hostnames[0]!;
      const id = s.id(host);
      s.world.setBoot(host, 'disk', true, false);
      await s.client.deploy(id, { distroSeries: 'jammy' });
      // MaaS set a one-time PXE boot over IPMI and powered the host on: it PXE-booted.
      const m = await s.waitStatus(id, 'Deployed');
      expect(m.power_state).toBe('on');
      expect(s.lab.machines.events(host)).toContain('PXE Request - installation');
      expect(await s.client.queryPowerState(id)).toBe('on');
      await s.client.release(id, { erase: 'quick' });
      await s.waitStatus(id, 'Ready');
      expect(s.world.host(host).power).toBe('off');

      // A host on its tenant VLAN still gets powered on over IPMI, and still cannot deploy.
      const other = s.hostnames[1]!;
      moveToTenantVlan(s.world, other, 300);
      await s.client.deploy(s.id(other), { distroSeries: 'jammy' });
      await s.waitFor(() => s.world.host(other).power === 'on', 'IPMI power on');
      expect((await s.client.readMachine(s.id(other))).status_name).toBe('Deploying');
    } finally {
      await bmcs?.close();
      await ipmi.close();
    }
  });
});
