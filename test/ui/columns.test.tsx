import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { Dashboard } from '../../components/Dashboard.tsx';
import { layoutColumns } from '../../components/columns.ts';
import type { DashboardRow } from '../../components/rows.ts';
import { Inventory } from '../../bench/support/polled-inventory.ts';
import { fakeSite } from '../../bench/support/fake-inventory.ts';

/**
 * Columns use the terminal's width: at 120 columns and more a host name is never cut while cells
 * stay empty, and each row shows every switch port and MaaS's status message (the README's promise).
 */
afterEach(() => cleanup());

const tick = (ms = 0) => new Promise((r) => setImmediate(() => setTimeout(r, ms)));
const MESSAGE = "Node operation 'Deploying' timed out after 30 minutes.";

/** Six hosts named as a MaaS stand-in names them (petnames), two or three ports each. */
function petSite() {
  const { source, layout } = fakeSite(6, 1);
  const names = ['clever-turtle', 'brave-heron', 'quiet-lynx', 'eager-mantis', 'amber-falcon', 'misty-otter'];
  const machines = source.listMachines().then((ms) =>
    ms.map((m, i) => ({
      ...m,
      hostname: `${names[i]}-0${i}`,
      status_message: MESSAGE,
      interface_set: [
        ...m.interface_set!,
        ...(i === 0 ? [{ mac_address: '52:54:00:00:00:02', name: 'eth2', type: 'physical' }] : []),
      ],
    })),
  );
  // A third cable on the first host: `1/1/1,1/1/2,1/1/13` must still show whole.
  (layout.racks[0]!.nics as { mac: string; port: string }[]).push({
    mac: '52:54:00:00:00:02',
    port: '1/1/13',
  });
  return new Inventory({ ...source, listMachines: () => machines }, layout);
}

function row(over: Partial<DashboardRow>): DashboardRow {
  return {
    key: over.hostname ?? 'h',
    hostname: 'h',
    rack: 'r01',
    switchName: 'tor-r01',
    ports: ['1/1/1', '1/1/2'],
    macs: ['52:54:00:00:00:00', '52:54:00:00:00:01'],
    systemId: 'abc',
    status: 4,
    statusName: 'Ready',
    statusMessage: MESSAGE,
    powerState: 'off',
    since: 0,
    sinceExact: true,
    ...over,
  } as DashboardRow;
}

describe('layoutColumns', () => {
  it('a wide terminal gives the host name its length, every port and the message; the message takes the rest', () => {
    const rows = [row({ hostname: 'clever-turtle-00-long-name' }), row({ hostname: 'r01-n002' })];
    // 120 columns less the rack pane: the table has 91.
    const cols = layoutColumns(91, rows, true);
    const by = Object.fromEntries(cols.map((c) => [c.id, c]));
    expect(by['host']!.width).toBe('clever-turtle-00-long-name'.length);
    expect(by['ports']!.ports).not.toBe('short');
    expect(by['message']).toBeDefined();
    // Nothing left unused while the message is cut.
    const used = 2 + cols.reduce((n, c) => n + c.width, 0) + cols.length - 1;
    expect(used).toBe(91);
  });

  it('at 120 columns a host with a task, an instance and a long status keeps its message; the ports give way', () => {
    const busy = row({
      hostname: 'r01-n002',
      ports: ['1/1/26', '1/1/27'],
      statusName: 'Failed commissioning',
      task: { id: 't-1', kind: 'instance.create', step: 'rollback 2/7' },
      instance: 'r01-n002-vm',
      vlans: '101',
    });
    const cols = layoutColumns(91, [row({ hostname: 'r01-n001' }), busy], true);
    const by = Object.fromEntries(cols.map((c) => [c.id, c]));
    expect(by['message']!.width).toBeGreaterThanOrEqual(10);
    expect(by['task']).toBeDefined();
    expect(by['instance']!.width).toBeGreaterThanOrEqual('r01-n002-vm'.length);
    // The first port and a count: the rest are in the details view.
    expect(by['ports']!.ports).toBe('short');
    expect(2 + cols.reduce((n, c) => n + c.width, 0) + cols.length - 1).toBeLessThanOrEqual(91);
  });

  it('an 80-column terminal keeps the short forms: the first port and a count, no message; the host cut only when room runs out', () => {
    const cols = layoutColumns(80, [row({ hostname: 'clever-turtle-00' })], false);
    const by = Object.fromEntries(cols.map((c) => [c.id, c]));
    expect(by['host']!.width).toBe('clever-turtle-00'.length);
    const busy = layoutColumns(
      66,
      [
        row({
          hostname: 'clever-turtle-00',
          task: { id: 't-1', kind: 'instance.create', step: 'deploy 7/13' },
          instance: 'clever-turtle-00-vm',
        }),
      ],
      false,
    );
    // A narrow table with a task: the host keeps its 10 and the row still fits.
    expect(busy.find((c) => c.id === 'host')!.width).toBeGreaterThanOrEqual(10);
    expect(2 + busy.reduce((n, c) => n + c.width, 0) + busy.length - 1).toBeLessThanOrEqual(66);
    expect(busy.map((c) => c.id)).toContain('task');
    expect(by['ports']!.ports).toBe('short');
    expect(by['message']).toBeUndefined();
  });

  it('with room to spare, the switch name joins the ports and nothing is cut', () => {
    const cols = layoutColumns(200, [row({ hostname: 'r01-n001' })], true);
    const by = Object.fromEntries(cols.map((c) => [c.id, c]));
    expect(by['ports']!.ports).toBe('full');
    expect(by['ports']!.title).toBe('SWITCH PORTS');
    expect(by['message']!.width).toBeGreaterThanOrEqual(MESSAGE.length);
  });
});

describe('the host table at 120 and 200 columns', () => {
  for (const columns of [120, 200]) {
    it(`${columns} columns: whole host names, every port, MaaS's message, no line past the edge`, async () => {
      const inventory = petSite();
      await inventory.refresh();
      const ui = render(<Dashboard inventory={inventory} now={Date.now()} size={{ columns, rows: 30 }} />);
      await tick(20);
      const frame = ui.lastFrame()!;
      for (const line of frame.split('\n')) expect(stringWidth(line)).toBeLessThanOrEqual(columns);
      const first = frame.split('\n').find((l) => l.includes('clever-turtle-00'))!;
      expect(first).toMatch(/clever-turtle-00\s/);
      expect(first).toContain('1/1/1,1/1/2,1/1/13');
      expect(first).toMatch(/Node operation/);
      if (columns >= 200) expect(first).toContain(MESSAGE);
      expect(frame).not.toMatch(/[a-z]-…/);
    });
  }
});
