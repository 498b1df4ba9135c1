import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { labHostRecord } from '../../src/lab/host-record.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { inventorySource, openSite, rackLayout } from '../../src/runner/site/open.ts';
import { startCreate } from '../../src/runner/site/provision.ts';
import { openWorkbench } from '../../src/runner/site/workbench.ts';
import { Inventory } from '../../bench/support/polled-inventory.ts';

/** A real-looking site: a MaaS URL and key, the lab off, and no RACKPILOT_RACK_FILE at all. */
describe('no rack file configured: MaaS alone', () => {
  let lab: Lab;
  let home: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    lab = await startLab({ timeScale: 0, hosts: 6, racks: 2, seed: 3 });
    home = mkdtempSync(join(tmpdir(), 'rp-norack-'));
    env = {
      HOME: home,
      RACKPILOT_LAB: 'off',
      RACKPILOT_ENV_FILE: join(home, 'none.env'),
      RACKPILOT_STORE: join(home, 'store.json'),
      MAAS_URL: lab.maas.url,
      MAAS_API_KEY: lab.maas.apiKey,
    };
  });

  afterAll(async () => {
    await lab?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('opens the site with an empty rack', async () => {
    const site = await openSite(loadConfig({ env, envFile: false }));
    try {
      expect(site.topology.summary().racks).toBe(0);
      expect((await site.maas.listMachines()).length).toBe(6);
    } finally {
      await site.close();
    }
  });

  it('the inventory (`rackpilot hosts`, the dashboard) lists every MaaS machine, uncabled', async () => {
    const site = await openSite(loadConfig({ env, envFile: false }));
    try {
      const inventory = new Inventory(inventorySource(site), rackLayout(site.topology));
      await inventory.refresh();
      const snap = inventory.getSnapshot();
      expect(snap.error).toBeFalsy();
      expect(snap.rows).toHaveLength(6);
      expect(snap.rows.every((r) => r.switchName === null || r.switchName === undefined)).toBe(true);
      expect(snap.counts.get('Ready')).toBe(6);
    } finally {
      await site.close();
    }
  });

  it('host add, deploy and destroy drive MaaS and the BMC and leave the switches alone', async () => {
    const site = await openSite(loadConfig({ env, envFile: false }));
    const wb = await openWorkbench(site, { storePath: join(home, 'wb.json'), settings: { pollMs: 100 } });
    try {
      const h = lab.spec.hosts.find((x) => x.nics.length >= 2)!;
      const ports = () => h.nics.map((n) => lab.world.ports.get(`${n.switch}|${n.port}`));
      const portsBefore = JSON.stringify(ports(), (_k, v) => (v instanceof Set ? [...v] : v));

      const host = await wb.store.hosts.insert(labHostRecord(lab, h)!);
      const added = await wb.engine.wait(
        await wb.engine.start('host.add', { hostId: host.id, hostname: h.hostname }, { hostId: host.id }),
      );
      expect(added.state, added.error).toBe('done');
      expect(added.log.some((l) => /no rack file configured/.test(l.text))).toBe(true);

      await wb.store.templates.insert({ name: 'jammy', image: 'ubuntu/jammy' });
      await wb.store.offerings.insert({
        name: 'o',
        cpuCores: h.cpuCount,
        cpuMhz: h.cpuMhz,
        memoryMb: h.memoryMb,
      });
      await wb.store.networks.insert({ name: 'tenant-a', vlan: 200 });
      const { instance, taskId } = await startCreate(wb, site.maas, {
        name: 'vm1',
        offering: 'o',
        template: 'jammy',
        networks: ['tenant-a'],
        host: h.hostname,
      });
      const created = await wb.engine.wait(taskId);
      expect(created.state, created.error).toBe('done');
      const m = await site.maas.readMachine(wb.store.hosts.get(host.id)!.maasSystemId!);
      expect(m.status).toBe(NODE_STATUS.DEPLOYED);
      expect(lab.world.host(h.hostname).power).toBe('on');
      // No bond without the rack file's cabling: the instance MAC is on MaaS's first NIC.
      expect(m.interface_set.some((i) => i.type === 'bond')).toBe(false);

      const destroyed = await wb.engine.wait(
        await wb.engine.start(
          'instance.destroy',
          { hostId: host.id, hostname: h.hostname, instanceId: instance.id },
          { instanceId: instance.id },
        ),
      );
      expect(destroyed.state, destroyed.error).toBe('done');
      expect((await site.maas.readMachine(m.system_id)).status).toBe(NODE_STATUS.READY);
      expect(JSON.stringify(ports(), (_k, v) => (v instanceof Set ? [...v] : v))).toBe(portsBefore);
    } finally {
      await wb.close();
      await site.close();
    }
  }, 60_000);
});
