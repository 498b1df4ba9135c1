import { describe, expect, it } from 'vitest';
import { RunnerInventory } from '../../state/runner-inventory.ts';
import type { RunnerClient } from '../../src/client/runner-client.ts';
import type { HostRow } from '../../state/live.ts';

function row(hostname: string, statusName = 'Ready', rack = 'r01'): HostRow {
  return {
    key: `maas:${hostname}`,
    hostname,
    rack,
    switchName: 'tor-r01',
    ports: ['1/1/1'],
    macs: ['52:54:00:00:00:01'],
    systemId: hostname,
    status: 4,
    statusName,
    statusMessage: '',
    powerState: 'off',
    since: 1,
    sinceExact: false,
  };
}

/** A runner client that answers inventory.subscribe and lets the test push deltas. */
function fakeClient(rows: HostRow[]) {
  let push: (p: unknown) => void = () => undefined;
  const client = {
    call: async (method: string) => {
      if (method !== 'inventory.subscribe') throw new Error(method);
      return {
        endpoint: 'http://maas/MAAS',
        site: 'lab',
        racks: [{ name: 'r01', switchName: 'tor-r01' }],
        rows,
        refreshedAt: 1_000,
        error: null,
        version: 1,
      };
    },
    onNotification: (_m: string, l: (p: unknown) => void) => {
      push = l;
      return () => undefined;
    },
    onClose: () => () => undefined,
  } as unknown as RunnerClient;
  return { client, push: (p: unknown) => push(p) };
}

describe('the dashboard rows fed by the runner', () => {
  it('a delta that arrives before the snapshot waits for it: never drawn alone, never lost', async () => {
    const f = fakeClient([row('r01-n001'), row('r01-n002')]);
    let answer: () => void = () => undefined;
    const subscribe = f.client.call.bind(f.client);
    (f.client as { call: unknown }).call = (method: string) =>
      new Promise((resolve) => (answer = () => resolve(subscribe(method as 'inventory.subscribe', {}))));
    const inv = new RunnerInventory(f.client);
    const connected = inv.connect();
    // The snapshot is version 1: the first delta is older than it, the second newer.
    f.push({ version: 1, upsert: [row('r01-n001', 'Broken')], remove: [], refreshedAt: 500, error: null });
    f.push({
      version: 2,
      upsert: [row('r01-n002', 'Deploying')],
      remove: [],
      refreshedAt: 2_000,
      error: null,
    });
    expect(inv.getSnapshot().rows).toEqual([]);
    expect(inv.getSnapshot().refreshedAt).toBeNull();
    answer();
    await connected;
    expect(inv.getSnapshot().endpoint).toBe('http://maas/MAAS');
    expect(inv.getSnapshot().rows.map((r) => `${r.hostname} ${r.statusName}`)).toEqual([
      'r01-n001 Ready',
      'r01-n002 Deploying',
    ]);
  });

  it('patches rows from deltas, keeps order, and redraws only for what the screen shows', async () => {
    const f = fakeClient([row('r01-n001'), row('r01-n003')]);
    const inv = new RunnerInventory(f.client);
    let renders = 0;
    inv.subscribe(() => renders++);
    await inv.connect();
    expect(inv.getSnapshot().rows.map((r) => r.hostname)).toEqual(['r01-n001', 'r01-n003']);
    const base = renders;

    // A change and a new host: one redraw, rows in order, counts follow.
    f.push({
      version: 2,
      upsert: [row('r01-n003', 'Broken'), row('r01-n002')],
      remove: [],
      refreshedAt: 2_000,
      error: null,
    });
    expect(renders).toBe(base + 1);
    expect(inv.getSnapshot().rows.map((r) => `${r.hostname} ${r.statusName}`)).toEqual([
      'r01-n001 Ready',
      'r01-n002 Ready',
      'r01-n003 Broken',
    ]);
    expect(inv.getSnapshot().counts.get('Broken')).toBe(1);

    // Heartbeats (nothing changed) redraw nothing; the fresher time is there at the next render.
    f.push({ version: 3, upsert: [], remove: [], refreshedAt: 4_000, error: null });
    f.push({ version: 4, upsert: [], remove: [], refreshedAt: 9_000, error: null });
    expect(renders).toBe(base + 1);
    expect(inv.getSnapshot().refreshedAt).toBe(9_000);

    // An old delta arriving late is ignored; an error redraws.
    f.push({
      version: 3,
      upsert: [row('r01-n001', 'Deploying')],
      remove: [],
      refreshedAt: 9_500,
      error: null,
    });
    expect(inv.getSnapshot().rows[0]!.statusName).toBe('Ready');
    f.push({
      version: 5,
      upsert: [],
      remove: ['maas:r01-n002'],
      refreshedAt: 9_000,
      error: 'MaaS unreachable',
    });
    expect(renders).toBe(base + 2);
    expect(inv.getSnapshot().rows.map((r) => r.hostname)).toEqual(['r01-n001', 'r01-n003']);
    expect(inv.getSnapshot().error).toBe('MaaS unreachable');
  });
});
