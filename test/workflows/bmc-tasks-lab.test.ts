import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labBiosBootMethod } from '../../src/lab/maas-core.ts';
import type { LabHost } from '../../src/lab/spec.ts';
import { ipmiTargetFor } from '../../src/runner/site/adapters.ts';
import { planWorkflowLive } from '../../src/runner/workflows/index.ts';
import type { Host } from '../../src/protocol/records.ts';
import {
  expectDone,
  hostRecord,
  openOperator,
  runTask,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from '../e2e/helpers.ts';

/**
 * host.power and host.bootdev through the task engine against the lab's BMCs over RMCP+, read
 * back through the product's IPMI client and the lab's world. Host records as `host add` writes them.
 */
let tl: TestLab;
let op: Operator;
let uefi: LabHost;
let legacy: LabHost;
const records = new Map<string, Host>();

beforeAll(async () => {
  tl = await startTestLab({ hosts: 6, racks: 2, seed: 5 });
  op = await openOperator(tl);
  uefi = tl.lab.spec.hosts.find((h) => labBiosBootMethod(h.hostname) === 'uefi')!;
  legacy = tl.lab.spec.hosts.find((h) => labBiosBootMethod(h.hostname) === 'pxe')!;
  for (const h of [uefi, legacy]) {
    const systemId = tl.lab.maas.machines.byHostname(h.hostname)!.systemId;
    records.set(h.hostname, await op.wb.store.hosts.insert({ ...hostRecord(tl, h), maasSystemId: systemId }));
  }
}, 60_000);

afterAll(async () => {
  await op?.close();
  await tl?.close();
});

const rec = (h: LabHost) => records.get(h.hostname)!;

/** Like the e2e helper's runTask, for params that are not all strings (bootdev's booleans). */
async function run(kind: string, params: Record<string, unknown>, t: { hostId: string; hostname: string }) {
  return op.wb.engine.wait(await op.wb.engine.start(kind, t, params));
}
const target = (h: LabHost) => ({ hostId: rec(h).id, hostname: h.hostname });

describe('host.power against the lab BMC', () => {
  it('on, then soft off, each done when the BMC says so', async () => {
    const h = uefi;
    expect(tl.lab.world.host(h.hostname).power).toBe('off');
    const on = await runTask(op, 'host.power', { hostId: rec(h).id, action: 'on' }, target(h));
    expectDone(on);
    expect(await op.site.ipmi.powerStatus(ipmiTargetFor(rec(h)))).toBe('on');
    expect(tl.lab.world.host(h.hostname).power).toBe('on');

    const soft = await runTask(op, 'host.power', { hostId: rec(h).id, action: 'soft' }, target(h));
    expectDone(soft);
    expect(tl.lab.world.host(h.hostname).power).toBe('off');
  });

  it('power on of a host already on sends nothing (verify)', async () => {
    const h = uefi;
    expectDone(await runTask(op, 'host.power', { hostId: rec(h).id, action: 'on' }, target(h)));
    const powers: string[] = [];
    const off = tl.lab.world.on((e) => e.kind === 'power' && powers.push(`${e.power} ${e.source}`));
    try {
      const again = await runTask(op, 'host.power', { hostId: rec(h).id, action: 'on' }, target(h));
      expectDone(again);
      expect(powers).toEqual([]);
    } finally {
      off();
    }
  });

  it('a cycle of a host that is off fails with the reason, and the BMC received nothing', async () => {
    const h = legacy;
    expect(tl.lab.world.host(h.hostname).power).toBe('off');
    const powers: string[] = [];
    const off = tl.lab.world.on((e) => e.kind === 'power' && powers.push(e.source));
    try {
      const t = await runTask(op, 'host.power', { hostId: rec(h).id, action: 'cycle' }, target(h));
      expect(t.state).toBe('failed');
      expect(t.error).toMatch(/is off: a power cycle does nothing/);
      expect(powers).toEqual([]);
    } finally {
      off();
    }
  });

  it('is refused while another task holds the host, naming that task', async () => {
    const h = legacy;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const holder = await op.wb.engine.start(
      'test.hold',
      target(h),
      {},
      { steps: [{ title: 'Hold the host', run: () => held }] },
    );
    try {
      await expect(
        op.wb.engine.start('host.power', target(h), { hostId: rec(h).id, action: 'off' }),
      ).rejects.toThrow(new RegExp(holder));
    } finally {
      release();
      await op.wb.engine.wait(holder);
    }
  });
});

describe('host.bootdev against the lab BMC', () => {
  it('without --efi: EFI on a host MaaS reports uefi, legacy on one it reports pxe', async () => {
    for (const [h, efi] of [
      [uefi, true],
      [legacy, false],
    ] as const) {
      const t = await run('host.bootdev', { hostId: rec(h).id, device: 'disk', persistent: true }, target(h));
      expectDone(t);
      expect(await op.site.ipmi.getBootDevice(ipmiTargetFor(rec(h)))).toEqual({
        valid: true,
        device: 'disk',
        persistent: true,
        efi,
      });
    }
  });

  it('as asked: next boot only, legacy', async () => {
    const h = uefi;
    expectDone(await run('host.bootdev', { hostId: rec(h).id, device: 'pxe', efi: false }, target(h)));
    expect(await op.site.ipmi.getBootDevice(ipmiTargetFor(rec(h)))).toEqual({
      valid: true,
      device: 'pxe',
      persistent: false,
      efi: false,
    });
  });

  it('plans the exact command from what MaaS reports, touching nothing', async () => {
    const before = await op.site.ipmi.getBootDevice(ipmiTargetFor(rec(legacy)));
    const [step] = await planWorkflowLive(op.wb.deps, 'host.bootdev', {
      hostId: rec(legacy).id,
      device: 'bios',
    });
    const bmc = tl.lab.bmcs.bmcs.find((b) => b.hostname === legacy.hostname)!;
    expect(step).toEqual({
      step: 'Boot from bios, next boot only',
      actions: [
        `IPMI ${bmc.host}:${bmc.port}: Set System Boot Options param 5: boot bios, next boot only, legacy [05 80 18 00 00 00] ` +
          '(MaaS bios_boot_method "pxe" (legacy BIOS)) (Get System Boot Options 05 00 00 first, for undo)',
      ],
    });
    expect(await op.site.ipmi.getBootDevice(ipmiTargetFor(rec(legacy)))).toEqual(before);
  });

  it("deploy's plan boots from disk in the host's own mode", async () => {
    await seedCatalog(op);
    const offering = op.wb.store.offerings.find((o) => o.cpuCores === uefi.cpuCount)!;
    const inst = await op.wb.store.instances.insert({
      name: 'vm-plan',
      hostId: rec(uefi).id,
      offeringId: offering.id,
      templateId: op.wb.store.templates.find((t) => t.name === 'jammy')!.id,
      networkIds: [op.wb.store.networks.find((n) => n.name === 'tenant-a')!.id],
      mac: '02:00:00:00:99:01',
      state: 'creating',
    });
    const plan = await planWorkflowLive(op.wb.deps, 'instance.create', { instanceId: inst.id });
    const boot = plan.find((s) => s.step === 'Boot from disk')!;
    expect(boot.actions[0]).toContain(
      'Set System Boot Options param 5: boot disk, persistent, EFI [05 e0 08 00 00 00] (MaaS bios_boot_method "uefi")',
    );
    await op.wb.store.instances.remove(inst.id);
  });
});
