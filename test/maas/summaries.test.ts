import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { MaasClient } from '../../src/gear/maas/client.ts';

describe('listMachineSummaries', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ timeScale: 0, hosts: 6, racks: 2, maasPower: 'world' });
  });
  afterAll(() => lab.close());

  it('returns the inventory fields of the same list call, equal to the full machines', async () => {
    const client = new MaasClient({ url: lab.maas.url, apiKey: lab.maas.apiKeyParts });
    const [full, summary] = await Promise.all([client.listMachines(), client.listMachineSummaries()]);
    expect(summary).toHaveLength(6);
    for (const s of summary) {
      const m = full.find((x) => x.system_id === s.system_id)!;
      expect(s).toMatchObject({
        hostname: m.hostname,
        status: m.status,
        status_name: m.status_name,
        power_state: m.power_state,
      });
      expect(s.interface_set.map((i) => i.mac_address)).toEqual(m.interface_set.map((i) => i.mac_address));
      // Only the picked fields survive: nothing the inventory does not show is kept in memory.
      expect(Object.keys(s)).not.toContain('ip_addresses');
    }
  });
});
