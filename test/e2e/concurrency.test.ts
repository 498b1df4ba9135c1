import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCreate } from '../../src/runner/site/provision.ts';
import {
  addHost,
  expectDone,
  expectFree,
  expectRunning,
  offeringFor,
  openOperator,
  runTask,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from './helpers.ts';

/**
 * 50 creates started at once on one workbench: the planner's pick and the instance record are one
 * store transaction, so no host is used twice; the switch service keeps one CLI session per
 * switch, so VLAN changes on a switch never overlap.
 */
const LAB = { hosts: 64, racks: 4, seed: 31 };
const CREATES = 50;

let tl: TestLab;
let op: Operator;

beforeAll(async () => {
  tl = await startTestLab(LAB);
  op = await openOperator(tl, { concurrency: 64 });
  await seedCatalog(op);
  await Promise.all(tl.lab.spec.hosts.map((h) => addHost(op, tl, h)));
}, 120_000);
afterAll(async () => {
  await op?.close();
  await tl?.close();
});

describe('50 creates at once', () => {
  it('all complete, each on its own exactly matching host; changes per switch never overlap', async () => {
    // Offerings by the lab's host shapes, as many creates per shape as it has hosts, 50 in all.
    const byShape = new Map<string, number>();
    for (const h of tl.lab.spec.hosts) byShape.set(offeringFor(h), (byShape.get(offeringFor(h)) ?? 0) + 1);
    const offerings: string[] = [];
    for (const [o, n] of byShape) offerings.push(...Array<string>(n).fill(o));
    const requests = offerings.slice(0, CREATES).map((offering, i) => ({
      name: `vm${String(i).padStart(2, '0')}`,
      offering,
      template: 'jammy',
      networks: i % 2 ? ['tenant-a', 'tenant-b'] : ['tenant-c'],
    }));
    expect(requests).toHaveLength(CREATES);
    const logins = new Map(tl.lab.spec.switches.map((s) => [s.name, tl.lab.switches.logins(s.name)]));

    const started = await Promise.all(requests.map((r) => startCreate(op.wb, op.site.maas, r)));
    const tasks = await Promise.all(started.map((s) => op.wb.engine.wait(s.taskId)));
    for (const t of tasks) expectDone(t);

    const hostIds = started.map((s) => s.host.id);
    expect(new Set(hostIds).size).toBe(CREATES);
    for (const s of started) {
      const inst = op.wb.store.instances.get(s.instance.id)!;
      const host = op.wb.store.hosts.get(inst.hostId)!;
      const offering = op.wb.store.offerings.get(inst.offeringId)!;
      expect([host.cpuCores, host.cpuMhz, host.memoryMb]).toEqual([
        offering.cpuCores,
        offering.cpuMhz,
        offering.memoryMb,
      ]);
      await expectRunning(op, s.instance.id);
    }
    expect(new Set(started.map((s) => s.instance.mac)).size).toBe(CREATES);

    for (const sw of tl.lab.spec.switches) {
      const shells = tl.lab.switches.shells(sw.name);
      expect(shells.peak, `${sw.name}: CLI sessions open at once`).toBe(1);
      // One session carries many hosts' changes: far fewer logins than changes.
      const hostsOnSwitch = started.filter((s) => s.host.hostname.startsWith(`r${sw.name.slice(-2)}-`));
      const used = tl.lab.switches.logins(sw.name) - logins.get(sw.name)!;
      expect(used).toBeLessThan(hostsOnSwitch.length);
    }

    // The first shape's hosts are all taken: one more create of it finds no host.
    const [firstShape] = [...byShape.keys()];
    await expect(
      startCreate(op.wb, op.site.maas, {
        name: 'vm-extra',
        offering: firstShape!,
        template: 'jammy',
        networks: ['tenant-a'],
      }),
    ).rejects.toThrow(/no free host matches offering/);

    // Then all of them destroyed at once.
    const destroyed = await Promise.all(
      started.map((s) => runTask(op, 'instance.destroy', { instanceId: s.instance.id })),
    );
    for (const t of destroyed) expectDone(t);
    for (const s of started) await expectFree(op, op.wb.store.hosts.get(s.host.id)!);
  }, 170_000);

  it('never picks a host a task still holds, and leaves no record when the task cannot start', async () => {
    const [held, other] = tl.lab.spec.hosts.filter((h) => offeringFor(h) === 'c16');
    const heldHost = op.wb.store.hosts.find((h) => h.hostname === held!.hostname)!;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holder = await op.wb.engine.start(
      'test.hold',
      { hostId: heldHost.id, hostname: heldHost.hostname },
      {},
      { steps: [{ title: 'hold the host', run: () => gate }] },
    );
    try {
      // Planner: every c16 host but the held one is free and Ready; it must not get the held one.
      const picked: string[] = [];
      const c16 = tl.lab.spec.hosts.filter((h) => offeringFor(h) === 'c16').length;
      const started = [];
      for (let i = 0; i < c16 - 1; i++) {
        const s = await startCreate(op.wb, op.site.maas, {
          name: `vm-h${i}`,
          offering: 'c16',
          template: 'jammy',
          networks: ['tenant-a'],
        });
        picked.push(s.host.hostname);
        started.push(s);
      }
      expect(picked).not.toContain(held!.hostname);
      expect(picked).toContain(other!.hostname);
      await expect(
        startCreate(op.wb, op.site.maas, {
          name: 'vm-hx',
          offering: 'c16',
          template: 'jammy',
          networks: ['tenant-a'],
        }),
      ).rejects.toThrow(/no free host matches offering c16/);
      // Asked for by name: the engine refuses the busy host, and the record made for it goes again.
      await expect(
        startCreate(op.wb, op.site.maas, {
          name: 'vm-held',
          offering: 'c16',
          template: 'jammy',
          networks: ['tenant-a'],
          host: held!.hostname,
        }),
      ).rejects.toThrow(/is busy: task/);
      expect(op.wb.store.instances.find((i) => i.name === 'vm-held')).toBeUndefined();
      for (const s of started) expectDone(await op.wb.engine.wait(s.taskId));
      for (const s of started)
        expectDone(await runTask(op, 'instance.destroy', { instanceId: s.instance.id }));
    } finally {
      release();
      await op.wb.engine.wait(holder);
    }
  }, 120_000);
});
