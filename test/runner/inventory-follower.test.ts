import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { MaasClient } from '../../src/gear/maas/client.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { validateRackObject } from '../../src/config/rack/index.ts';
import { Topology } from '../../src/config/rack/topology.ts';
import { rackLayout } from '../../src/runner/site/open.ts';
import { InventoryFollower, type MaasFeedPort } from '../../src/runner/inventory/follower.ts';
import { maasFeed } from '../../src/runner/inventory/service.ts';
import type { HostRow, RackLayout } from '../../src/protocol/inventory.ts';
import { mergeInventory } from '../../src/runner/inventory/merge.ts';

/**
 * List, then follow, against the lab's MaaS over HTTP: a change reaches the rows through the
 * events feed and one filtered read; a feed that skips, a MaaS that restarts and a machine deleted
 * all end with exactly the rows a fresh full list gives.
 */
let lab: Lab;
let maas: MaasClient;
let layout: RackLayout;

beforeAll(async () => {
  lab = await startLab({ timeScale: 0, hosts: 24, racks: 2, seed: 9 });
  maas = new MaasClient({ url: lab.maas.url, apiKey: lab.maas.apiKeyParts });
  const parsed = validateRackObject(lab.rackFile, { source: 'lab' });
  if (!parsed.ok) throw new Error('lab rack file');
  layout = rackLayout(new Topology(parsed.rack));
}, 60_000);

afterAll(async () => {
  await lab?.close();
});

/** The rows a fresh full list gives now (what the follower must converge to). */
async function fresh(): Promise<string[]> {
  const rows = mergeInventory(await maas.listMachineSummaries(), layout, new Map(), Date.now());
  return rows.map(shape);
}
const shape = (r: HostRow) => `${r.key} ${r.hostname} ${r.statusName} ${r.powerState} ${r.ports.join(',')}`;

/** A MaaS port that counts requests and can be made to fail. */
function counted(port: MaasFeedPort) {
  const calls = { full: 0, filtered: 0, events: 0 };
  let down = false;
  const guard = () => {
    if (down) throw new Error('MaaS unreachable (connection refused)');
  };
  return {
    calls,
    setDown: (d: boolean) => (down = d),
    port: {
      listMachines: async (f: { id?: readonly string[] }, s?: AbortSignal) => {
        guard();
        if (f.id) calls.filtered++;
        else calls.full++;
        return port.listMachines(f, s);
      },
      newestEventId: async (s?: AbortSignal) => (guard(), port.newestEventId(s)),
      eventsAfter: async (a: number, l: number, s?: AbortSignal) => {
        guard();
        calls.events++;
        return port.eventsAfter(a, l, s);
      },
    } satisfies MaasFeedPort,
  };
}

const sidOf = (hostname: string) => lab.maas.machines.byHostname(hostname)!.systemId;

describe('inventory follower', () => {
  it('lists once, then a MaaS change arrives by the events feed and one filtered read', async () => {
    const c = counted(maasFeed(maas));
    const f = new InventoryFollower(c.port, layout);
    await f.step();
    expect(c.calls).toEqual({ full: 1, filtered: 0, events: 0 });
    expect(f.state().rows.map(shape)).toEqual(await fresh());

    // Idle: polls read the events feed only.
    await f.step();
    await f.step();
    expect(c.calls).toEqual({ full: 1, filtered: 0, events: 2 });

    const deltas: string[][] = [];
    f.onDelta((d) => deltas.push(d.upsert.map((r) => `${r.hostname} ${r.statusName}`)));
    await maas.markBroken(sidOf('r01-n003'), 'PSU');
    await f.step();
    expect(c.calls.full).toBe(1);
    expect(c.calls.filtered).toBe(1);
    expect(deltas).toEqual([['r01-n003 Broken']]);
    expect(f.state().rows.map(shape)).toEqual(await fresh());
    await maas.markFixed(sidOf('r01-n003'));
  });

  it('lists again when the feed skips: events lost, ids jumping past the gap threshold', async () => {
    const c = counted(maasFeed(maas));
    const f = new InventoryFollower(c.port, layout, { gapThreshold: 5 });
    await f.step();
    lab.maas.faults.loseEvents(1000);
    // These changes' events are lost: only a full list can see them.
    for (const h of ['r01-n001', 'r01-n002', 'r01-n004']) {
      await maas.markBroken(sidOf(h), 'lost');
      await maas.markFixed(sidOf(h));
      await maas.markBroken(sidOf(h), 'lost again');
    }
    lab.maas.faults.loseEvents(0);
    await maas.markBroken(sidOf('r01-n005'), 'seen');
    await f.step();
    expect(c.calls.full).toBe(2);
    expect(f.state().rows.find((r) => r.hostname === 'r01-n001')!.status).toBe(NODE_STATUS.BROKEN);
    expect(f.state().rows.map(shape)).toEqual(await fresh());
    for (const h of ['r01-n001', 'r01-n002', 'r01-n004', 'r01-n005']) await maas.markFixed(sidOf(h));
  });

  it('survives a MaaS restart: errors are reported, then a full list, then following again', async () => {
    const c = counted(maasFeed(maas));
    const f = new InventoryFollower(c.port, layout);
    await f.step();
    c.setDown(true);
    await f.step();
    expect(f.state().error).toMatch(/MaaS unreachable/);
    // While it was down, MaaS changed (and a restarted region may have renumbered its events).
    await maas.markBroken(sidOf('r02-n002'), 'while down');
    c.setDown(false);
    await f.step();
    expect(f.state().error).toBeNull();
    expect(c.calls.full).toBe(2);
    expect(f.state().rows.map(shape)).toEqual(await fresh());
    await f.step();
    expect(c.calls.full).toBe(2);
    await maas.markFixed(sidOf('r02-n002'));
  });

  it('drops a machine deleted in MaaS (named by an event, or found by the next full list)', async () => {
    const c = counted(maasFeed(maas));
    const f = new InventoryFollower(c.port, layout);
    await f.step();
    const victim = lab.maas.machines.byHostname('r02-n003')!;
    // An event names it, then it is deleted before the follower reads it.
    await maas.markBroken(victim.systemId, 'to be deleted');
    lab.maas.machines.core.delete(victim);
    await f.step();
    expect(f.state().rows.some((r) => r.key === `maas:${victim.systemId}`)).toBe(false);
    expect(f.state().rows.map(shape)).toEqual(await fresh());

    // Deleted with no event at all: the operator's refresh (or the slow cadence) lists again.
    const other = lab.maas.machines.byHostname('r02-n004')!;
    lab.maas.machines.core.delete(other);
    await f.step();
    expect(f.state().rows.some((r) => r.key === `maas:${other.systemId}`)).toBe(true);
    f.requestFullList();
    await f.step();
    expect(f.state().rows.map(shape)).toEqual(await fresh());
  });

  it('never lists more often than 10× the time the last full list took', async () => {
    let now = 0;
    const slowList: MaasFeedPort = {
      ...maasFeed(maas),
      listMachines: async (filter, s) => {
        if (!filter.id) now += 60_000; // a region that takes a minute to list
        return maasFeed(maas).listMachines(filter, s);
      },
    };
    const c = counted(slowList);
    const f = new InventoryFollower(c.port, layout, { fullListEveryMs: 5 * 60_000, clock: () => now });
    await f.step();
    now += 9 * 60_000;
    await f.step();
    expect(c.calls.full).toBe(1);
    now += 2 * 60_000;
    await f.step();
    expect(c.calls.full).toBe(2);
  });
});
