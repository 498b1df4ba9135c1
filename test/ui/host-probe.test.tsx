import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Dashboard } from '../../components/Dashboard.tsx';
import type { HostProber } from '../../components/live-warnings.ts';
import type { MachineRecord } from '../../src/runner/inventory/merge.ts';
import { Inventory } from '../../bench/support/polled-inventory.ts';
import type { HostLive } from '../../src/protocol/messages.ts';
import { fakeSite } from '../../bench/support/fake-inventory.ts';

const tick = (ms = 0) => new Promise((r) => setImmediate(() => setTimeout(r, ms)));

async function until(check: () => boolean, what: string, frame: () => string | undefined) {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${frame()}`);
    await tick(10);
  }
}

/** A site of one host whose MaaS power the test moves, and a prober that answers the BMC's. */
function oneHost() {
  const { source, layout } = fakeSite(1, 1);
  let power = 'on';
  const live = { source: { ...source, listMachines: async () => patched() }, layout };
  let machines: readonly MachineRecord[] = [];
  const patched = async () => {
    machines = (await source.listMachines()).map((m) => ({ ...m, power_state: power }));
    return machines;
  };
  let bmcPower: 'on' | 'off' = 'on';
  const calls: string[] = [];
  const prober: HostProber = async (hostname) => {
    calls.push(hostname);
    return {
      bmc: { power: bmcPower, bootDevice: 'disk', persistent: true },
      ports: [{ switch: 'tor-r01', port: '1/1/1', pxeVlan: 10, untagged: 10, tagged: [] }],
      readAt: Date.UTC(2026, 0, 1, 3, 0, 0),
    } satisfies HostLive;
  };
  return {
    inventory: new Inventory(live.source, live.layout),
    prober,
    calls,
    setPower(p: 'on' | 'off') {
      power = p;
      bmcPower = p;
    },
  };
}

afterEach(() => cleanup());

describe('the details view reads the gear again when what it shows moves', () => {
  it('re-reads after the power changes (a power off) and shows the new reading', async () => {
    const site = oneHost();
    await site.inventory.refresh();
    const ui = render(
      <Dashboard inventory={site.inventory} prober={site.prober} size={{ columns: 100, rows: 30 }} />,
    );
    await tick();
    ui.stdin.write('\r');
    await until(() => /BMC\s+power on, boot disk/.test(ui.lastFrame()!), 'the first reading', ui.lastFrame);
    expect(site.calls).toHaveLength(1);
    expect(ui.lastFrame()).toMatch(/live from the gear read \d\d:\d\d:\d\d/);

    // The power off: MaaS and the BMC now say off; the next refresh moves the row, and the view reads again.
    site.setPower('off');
    await site.inventory.refresh();
    await until(() => /BMC\s+power off, boot disk/.test(ui.lastFrame()!), 'the new reading', ui.lastFrame);
    expect(site.calls).toHaveLength(2);
    expect(ui.lastFrame()).not.toMatch(/power on, boot/);
  });

  it('re-reads on r, and keeps the last reading on screen while it does', async () => {
    const site = oneHost();
    await site.inventory.refresh();
    let release: () => void = () => undefined;
    const slow: HostProber = async (h, m) => {
      if (site.calls.length >= 1) await new Promise<void>((r) => (release = r));
      return site.prober(h, m);
    };
    const ui = render(
      <Dashboard inventory={site.inventory} prober={slow} size={{ columns: 100, rows: 30 }} />,
    );
    await tick();
    ui.stdin.write('\r');
    await until(() => /BMC\s+power on/.test(ui.lastFrame()!), 'the first reading', ui.lastFrame);
    ui.stdin.write('r');
    await until(() => ui.lastFrame()!.includes('reading again…'), 'the re-read mark', ui.lastFrame);
    expect(ui.lastFrame()).toMatch(/BMC\s+power on/);
    release();
    await until(() => !ui.lastFrame()!.includes('reading again…'), 'the re-read done', ui.lastFrame);
    expect(site.calls).toHaveLength(2);
  });

  it('says why when the runner cannot read the gear', async () => {
    const site = oneHost();
    await site.inventory.refresh();
    const failing: HostProber = async () => {
      throw new Error('the runner went away');
    };
    const ui = render(
      <Dashboard inventory={site.inventory} prober={failing} size={{ columns: 100, rows: 30 }} />,
    );
    await tick();
    ui.stdin.write('\r');
    await until(
      () => ui.lastFrame()!.includes('cannot read the gear: the runner went away'),
      'the error',
      ui.lastFrame,
    );
  });
});
