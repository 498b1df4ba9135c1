import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { troubleshootHandlers, createPowerSweep } from '../../src/runner/service/troubleshoot.ts';
import { taskHandlers } from '../../src/runner/service/tasks.ts';
import type { Caller, Handlers } from '../../src/runner/service/context.ts';
import type { BmcPowerSweep } from '../../src/runner/power-sweep.ts';
import type { InspectNode } from '../../src/doctor/schema.ts';
import { inspect, type InspectFacts } from '../../src/doctor/inspect.ts';
import {
  hostRecord,
  offeringFor,
  openOperator,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from '../e2e/helpers.ts';

/**
 * The inspection checks a deployed host's BMC beside its VLANs and bond: a running instance's host
 * is powered on and boots from disk (a stopped one's is off). A host a runner left powered off
 * between "tenant VLANs" and "power on" is drift, with a reconcile step that powers it on.
 */
const facts = (bmc: InspectFacts['bmc'], state = 'running'): InspectFacts => ({
  hostname: 'r01-n004',
  now: 0,
  interfaces: [],
  nics: [],
  instance: { name: 'vm-a', access: 200, tagged: [], state },
  bmc,
});

describe('the inspection of power and boot device (pure)', () => {
  it('is drift when a running instance is off or boots from PXE, with the fix', () => {
    const i = inspect(facts({ power: 'off', boot: { device: 'pxe', valid: true } }));
    expect(i.drift).toEqual([
      'BMC: power off; instance vm-a is running, so on is expected',
      'BMC: boot device pxe; a deployed host boots from disk',
    ]);
    expect(i.reconcile).toEqual({ ports: [], power: 'on', boot: 'disk' });
    const node = i.tree.children.find((c) => c.kind === 'bmc')!;
    expect(node.values['power']).toEqual({ actual: 'off', expected: 'on', drift: true });
  });

  it('expects a stopped instance off; an unreadable BMC is unknown, not drift; no instance, no check', () => {
    expect(inspect(facts({ power: 'off', boot: { device: 'disk', valid: true } }, 'stopped')).drift).toEqual(
      [],
    );
    const unread = inspect(facts({ power: { error: 'timeout' }, boot: { error: 'timeout' } }));
    expect(unread.drift).toEqual([]);
    expect(unread.reconcile).toBeNull();
    expect(unread.tree.children[0]!.values['power']).toMatchObject({
      actual: 'not read (timeout)',
      drift: false,
    });
    expect(inspect({ ...facts(null), instance: null }).tree.children).toEqual([]);
    expect(
      inspect(facts({ power: 'on', boot: { device: 'disk', valid: true } }, 'creating')).tree.children,
    ).toEqual([]);
  });
});

let tl: TestLab;
let op: Operator;
let h: Handlers;
let tasks: Handlers;
let sweep: BmcPowerSweep;
const caller: Caller = {
  id: 1,
  kind: 'test',
  pid: process.pid,
  subscription: { all: true, follows: new Set() },
  notify: () => undefined,
};

beforeAll(async () => {
  tl = await startTestLab({ hosts: 2, racks: 1, seed: 8, timeScale: 0.01 });
  op = await openOperator(tl, { settings: { pollMs: 50 } });
  await seedCatalog(op);
  for (const lh of tl.lab.spec.hosts) {
    const systemId = tl.lab.maas.machines.byHostname(lh.hostname)!.systemId;
    await op.wb.store.hosts.insert({ ...hostRecord(tl, lh), maasSystemId: systemId });
  }
  sweep = createPowerSweep(op.site, op.wb, { intervalMs: 60_000, log: () => undefined });
  h = troubleshootHandlers({ site: op.site, wb: op.wb }, sweep);
  tasks = taskHandlers({ site: op.site, wb: op.wb });
}, 60_000);

afterAll(async () => {
  sweep?.dispose();
  await op?.close();
  await tl?.close();
});

describe('the inspection of a deployed lab host', () => {
  it('finds a deployed host powered off as drift, and the reconcile task powers it on', async () => {
    const x = tl.lab.spec.hosts[0]!;
    const r = (await tasks['instance.create']!(
      {
        name: 'vm-bmc',
        offering: offeringFor(x),
        template: 'jammy',
        networks: ['tenant-a'],
        host: x.hostname,
      },
      caller,
    )) as { taskId: string };
    expect((await op.wb.engine.wait(r.taskId)).state).toBe('done');
    const clean = (await h['host.inspect']!({ host: x.hostname }, caller)) as {
      drift: string[];
      tree: InspectNode;
    };
    expect(clean.drift).toEqual([]);
    expect(clean.tree.children.find((c) => c.kind === 'bmc')!.values).toMatchObject({
      power: { actual: 'on', drift: false },
      boot: { actual: 'disk', drift: false },
    });

    // As a runner killed between "tenant VLANs" and "power on" leaves it.
    tl.lab.world.setPower(x.hostname, 'off', 'power button');
    const i = (await h['host.inspect']!({ host: x.hostname }, caller)) as {
      drift: string[];
      plan: { step: string; actions: string[] }[];
    };
    expect(i.drift).toEqual(['BMC: power off; instance vm-bmc is running, so on is expected']);
    expect(i.plan.map((s) => s.step)).toEqual(['Power on']);
    const fix = (await h['host.reconcile']!({ host: x.hostname }, caller)) as { taskId: string };
    expect((await op.wb.engine.wait(fix.taskId)).state).toBe('done');
    expect(tl.lab.world.host(x.hostname).power).toBe('on');
    expect(((await h['host.inspect']!({ host: x.hostname }, caller)) as { drift: string[] }).drift).toEqual(
      [],
    );
  }, 120_000);
});
