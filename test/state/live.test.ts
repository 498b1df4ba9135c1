import { describe, expect, it } from 'vitest';
import { NOT_IN_MAAS, type RackLayout } from '../../src/protocol/inventory.ts';
import { mergeInventory, type MachineRecord } from '../../src/runner/inventory/merge.ts';
import { Inventory } from '../../bench/support/polled-inventory.ts';

const layout: RackLayout = {
  racks: [
    {
      name: 'r01',
      switchName: 'tor-r01',
      nics: [
        { mac: '00:18:8B:52:79:80', port: '1/1/1' },
        { mac: '00:18:8b:52:79:81', port: '1/1/2' },
        { mac: '00:18:8b:52:79:90', port: '1/1/3', hostname: 'spare-01' },
      ],
    },
  ],
};

function machine(over: Partial<MachineRecord> = {}): MachineRecord {
  return {
    system_id: 'abc123',
    hostname: 'node-1',
    status: 4,
    status_name: 'Ready',
    status_message: null,
    power_state: 'off',
    interface_set: [
      { mac_address: '00:18:8b:52:79:80', name: 'eth0', type: 'physical' },
      { mac_address: '00:18:8b:52:79:81', name: 'eth1', type: 'physical' },
      { mac_address: '00:18:8b:52:79:80', name: 'bond0', type: 'bond' },
    ],
    ...over,
  };
}

describe('mergeInventory', () => {
  it('places a machine on its rack ports by any of its MACs, case-insensitively', () => {
    const rows = mergeInventory([machine()], layout, new Map(), 0);
    const node = rows.find((r) => r.hostname === 'node-1')!;
    expect(node.rack).toBe('r01');
    expect(node.switchName).toBe('tor-r01');
    expect(node.ports).toEqual(['1/1/1', '1/1/2']);
    expect(node.macs).toEqual(['00:18:8b:52:79:80', '00:18:8b:52:79:81']);
  });

  it('lists cabled hosts MaaS does not know, grouped by rack-file hostname', () => {
    const rows = mergeInventory([machine()], layout, new Map(), 0);
    const spare = rows.find((r) => r.hostname === 'spare-01')!;
    expect(spare.statusName).toBe(NOT_IN_MAAS);
    expect(spare.status).toBeNull();
    expect(spare.ports).toEqual(['1/1/3']);
  });

  it('keeps a machine with no rack entry, unplaced', () => {
    const rows = mergeInventory(
      [
        machine({
          system_id: 'zzz',
          hostname: 'stray',
          interface_set: [{ mac_address: 'aa:bb:cc:dd:ee:ff', name: 'eth0', type: 'physical' }],
        }),
      ],
      layout,
      new Map(),
      0,
    );
    const stray = rows.find((r) => r.hostname === 'stray')!;
    expect(stray.rack).toBeNull();
    expect(rows.at(-1)!.hostname).toBe('stray');
  });

  it('times a status from when it was seen to change; the first look is a lower bound', () => {
    const first = mergeInventory([machine()], layout, new Map(), 1000);
    const r1 = first.find((r) => r.hostname === 'node-1')!;
    expect(r1).toMatchObject({ since: 1000, sinceExact: false });
    const prev = new Map(first.map((r) => [r.key, r]));
    const same = mergeInventory([machine()], layout, prev, 5000).find((r) => r.hostname === 'node-1')!;
    expect(same).toMatchObject({ since: 1000, sinceExact: false });
    const changed = mergeInventory(
      [machine({ status: 10, status_name: 'Allocated' })],
      layout,
      prev,
      9000,
    ).find((r) => r.hostname === 'node-1')!;
    expect(changed).toMatchObject({ since: 9000, sinceExact: true });
  });
});

describe('Inventory', () => {
  it('makes exactly one MaaS list call per refresh, shared by concurrent callers', async () => {
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inv = new Inventory(
      {
        endpoint: 'http://maas',
        async listMachines() {
          calls++;
          await gate;
          return [machine()];
        },
      },
      layout,
    );
    const a = inv.refresh();
    const b = inv.refresh();
    expect(inv.getSnapshot().refreshing).toBe(true);
    release();
    await Promise.all([a, b]);
    expect(calls).toBe(1);
    await inv.refresh();
    expect(calls).toBe(2);
    expect(inv.getSnapshot().counts.get('Ready')).toBe(1);
  });

  it('notifies subscribers with a new snapshot object on every change', async () => {
    const inv = new Inventory({ endpoint: 'x', listMachines: async () => [machine()] }, layout);
    const seen: unknown[] = [];
    inv.subscribe(() => seen.push(inv.getSnapshot()));
    await inv.refresh();
    expect(seen.length).toBe(2); // refreshing, then the result
    expect(seen[0]).not.toBe(seen[1]);
  });
});
