import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Dashboard } from '../../components/Dashboard.tsx';
import { Inventory } from '../../state/live.ts';
import { loadConfig } from '../../src/config/index.ts';
import { inventorySource, openSite, rackLayout, type Site } from '../../src/site/open.ts';
import { hostProber, probeWarnings } from '../../src/site/probe.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tick = (ms = 0) => new Promise((r) => setImmediate(() => setTimeout(r, ms)));

describe('host details read the gear live', () => {
  let site: Site;
  beforeAll(async () => {
    const home = mkdtempSync(join(tmpdir(), 'rackpilot-probe-'));
    const config = loadConfig({
      env: {
        HOME: home,
        RACKPILOT_LAB: 'on',
        RACKPILOT_TIME_SCALE: '0',
        RACKPILOT_LAB_HOSTS: '6',
        RACKPILOT_LAB_RACKS: '2',
      },
      envFile: false,
    });
    site = await openSite(config);
  });
  afterAll(async () => {
    cleanup();
    await site.close();
  });

  it('shows BMC power and boot device and each port from the switch, and warns of a port off the PXE VLAN', async () => {
    const lab = site.lab!;
    const host = lab.spec.hosts.find((h) => h.nics.length >= 2)!;
    const nic = host.nics[0]!;
    // Out of band: someone powered the host on, and a tenant VLAN was left on one port.
    lab.world.setPower(host.hostname, 'on', 'test');
    lab.world.updatePort(nic.switch, nic.port, (p) => {
      p.untagged = 300;
    });
    lab.maas.machines.setStatus(host.hostname, 'Deploying');

    const prober = hostProber(async () => site);
    const probe = await prober(
      host.hostname,
      host.nics.map((n) => n.mac),
    );
    expect(probe.bmc).toMatchObject({ power: 'on' });
    expect(probe.ports.find((p) => p.port === nic.port)).toMatchObject({ untagged: 300, pxeVlan: 10 });
    const warnings = probeWarnings('Deploying', 'off', probe);
    expect(
      warnings.some((w) =>
        w.includes(`${nic.switch} ${nic.port} is untagged on VLAN 300, not the PXE VLAN 10`),
      ),
    ).toBe(true);
    expect(warnings.some((w) => w.includes('the BMC says power on, MaaS says off'))).toBe(true);

    const inventory = new Inventory(inventorySource(site), rackLayout(site.topology));
    await inventory.refresh();
    const index = inventory.getSnapshot().rows.findIndex((r) => r.hostname === host.hostname);
    const ui = render(<Dashboard inventory={inventory} prober={prober} size={{ columns: 140, rows: 40 }} />);
    await tick();
    ui.stdin.write('j'.repeat(index));
    await tick();
    ui.stdin.write('\r');
    const deadline = Date.now() + 10_000;
    while (!ui.lastFrame()!.includes('live from the gear') && Date.now() < deadline) await tick(20);
    const frame = ui.lastFrame()!;
    expect(frame).toContain(`${host.hostname} (esc back)`);
    expect(frame).toMatch(/BMC\s+power on, boot/);
    expect(frame).toContain(`untagged 300, tagged none`);
    expect(frame).toContain('not the PXE VLAN 10');
  });

  it('opens the site at the first probe only, and says so when it cannot', async () => {
    let opens = 0;
    const prober = hostProber(async () => {
      opens++;
      throw new Error('rack file /etc/rackpilot/rack.json: no such file');
    });
    expect(opens).toBe(0);
    const probe = await prober('r01-n001', []);
    expect(opens).toBe(1);
    expect(probe).toEqual({
      ports: [],
      bmc: { error: "cannot read the site's gear: rack file /etc/rackpilot/rack.json: no such file" },
    });
    // Tried again at the next probe: the operator may have fixed it meanwhile.
    await prober('r01-n001', []);
    expect(opens).toBe(2);
  });
});
