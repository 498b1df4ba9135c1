import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployConfirmed, planDigest } from '../confirmed.ts';
import type { InspectNode } from '../../src/protocol/doctor.ts';
import { inspect, type InspectFacts } from '../../src/runner/doctor/inspect.ts';
import { offeringFor } from '../e2e/helpers.ts';
import { handlersCall, openTroubleshootBench, testCaller, type TroubleshootBench } from './harness.ts';

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

let bench: TroubleshootBench;

beforeAll(async () => {
  bench = await openTroubleshootBench(
    { hosts: 2, racks: 1, seed: 8, timeScale: 0.01 },
    { settings: { pollMs: 50 } },
  );
}, 60_000);

afterAll(async () => {
  await bench?.close();
});

describe('the inspection of a deployed lab host', () => {
  it('finds a deployed host powered off as drift, and the reconcile task powers it on', async () => {
    const { tl, op, h, tasks } = bench;
    const caller = testCaller;
    const x = tl.lab.spec.hosts[0]!;
    const r = await deployConfirmed(handlersCall(tasks), {
      name: 'vm-bmc',
      offering: offeringFor(x),
      template: 'jammy',
      networks: ['tenant-a'],
      host: x.hostname,
    });
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
    const plan = await planDigest(handlersCall(tasks), { action: 'reconcile', host: x.hostname });
    const fix = (await h['host.reconcile']!({ host: x.hostname, plan }, caller)) as { taskId: string };
    expect((await op.wb.engine.wait(fix.taskId)).state).toBe('done');
    expect(tl.lab.world.host(x.hostname).power).toBe('on');
    expect(((await h['host.inspect']!({ host: x.hostname }, caller)) as { drift: string[] }).drift).toEqual(
      [],
    );
  }, 120_000);
});
