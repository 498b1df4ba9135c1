import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { inventorySource, openSite, rackLayout } from '../../src/site/open.ts';
import { Inventory } from '../../state/live.ts';

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
});
