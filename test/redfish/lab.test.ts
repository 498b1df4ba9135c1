import { afterEach, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { validateRackObject } from '../../src/config/rack/parse.ts';
import { RedfishClient } from '../../src/gear/redfish/client.ts';
import { MaasClient } from '../../src/gear/maas/client.ts';

let lab: Lab | undefined;
afterEach(async () => {
  await lab?.close();
  lab = undefined;
});

describe('the lab with Redfish BMCs', () => {
  it('serves the asked share of BMCs over HTTPS, pinned in its rack file, coupled to the world and to MaaS', async () => {
    lab = await startLab({ hosts: 4, racks: 1, seed: 3, timeScale: 0, redfishPercent: 50 });
    expect(lab.redfish.bmcs.map((b) => b.hostname)).toHaveLength(2);
    expect(lab.bmcs.bmcs).toHaveLength(2);
    const parsed = validateRackObject(lab.rackFile, { source: 'lab' });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const rf = lab.redfish.bmcs[0]!;
    const entry = parsed.rack.nics.find((n) => n.hostname === rf.hostname)!.bmc!;
    expect(entry).toMatchObject({
      protocol: 'redfish',
      scheme: 'https',
      port: rf.port,
      certSha256: rf.certSha256,
    });
    expect(entry.systemId).toBeUndefined();

    const spec = lab.spec.hosts.find((h) => h.hostname === rf.hostname)!;
    const client = new RedfishClient({});
    try {
      const t = {
        host: rf.host,
        port: rf.port,
        username: spec.bmc.user,
        password: spec.bmc.password,
        certSha256: rf.certSha256!,
        name: rf.hostname,
      };
      expect((await client.system(t)).path).toBe('/redfish/v1/Systems/System.Embedded.1');
      // MaaS powers the host through its redfish driver: PXE once, then On.
      const maas = new MaasClient({ url: lab.maas.url, apiKey: lab.maas.apiKeyParts, timeoutMs: 10_000 });
      const m = (await maas.listMachines({ hostname: [rf.hostname] }))[0]!;
      expect(m.power_type).toBe('redfish');
      lab.world.setBoot(rf.hostname, 'disk', true, false);
      const sessionsBefore = lab.redfish.bmc(rf.hostname).counts.sessionsCreated;
      await maas.powerOn(m.system_id);
      const end = Date.now() + 10_000;
      while ((await client.powerStatus(t)) !== 'on') {
        if (Date.now() > end) throw new Error('MaaS never powered the Redfish host on');
        await new Promise((r) => setTimeout(r, 20));
      }
      // It went through the BMC (a session of MaaS's), PXE once, as MaaS's redfish driver does.
      expect(lab.redfish.bmc(rf.hostname).counts.sessionsCreated).toBeGreaterThan(sessionsBefore);
      expect(lab.world.host(rf.hostname).bootedFrom).toBe('pxe');
    } finally {
      await client.close();
    }
  });
});
