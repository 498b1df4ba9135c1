import { describe, expect, it } from 'vitest';
import { NODE_STATUS, NODE_STATUS_NAME, type NodeStatusCode } from '../../src/gear/maas/node-status.ts';
import { bootMethodFromMaas } from '../../src/runner/workflows/boot-method.ts';
import {
  createInstanceSteps,
  isAllocated,
  OWNER_DATA_TASK,
} from '../../src/runner/workflows/instance-create.ts';
import { destroyInstanceSteps } from '../../src/runner/workflows/instance-lifecycle.ts';
import { bootStep } from '../../src/runner/workflows/steps.ts';
import type { Instance } from '../../src/protocol/records.ts';
import { ctx, fakes } from './fakes.ts';

const instance: Instance = {
  id: 'i1',
  name: 'vm1',
  hostId: 'h1',
  offeringId: 'o1',
  templateId: 't1',
  networkIds: ['n1'],
  mac: '02:00:00:00:00:01',
  state: 'creating',
  createdAt: '2026-01-01T00:00:00Z',
};

function stepNamed<T extends { title: string }>(list: T[], title: string): T {
  const s = list.find((x) => x.title === title);
  if (!s) throw new Error(`no step "${title}" in ${list.map((x) => x.title).join(', ')}`);
  return s;
}

describe("EFI or legacy from MaaS's bios_boot_method", () => {
  it('reads the values MaaS records as MaaS acts on them', () => {
    expect(bootMethodFromMaas('uefi')).toMatchObject({ efi: true });
    expect(bootMethodFromMaas('pxe')).toMatchObject({ efi: false });
    expect(bootMethodFromMaas('pxe').assumed).toBeUndefined();
    // Never PXE-booted, or a method MaaS does not act on: MaaS's own default (pxe), flagged.
    for (const v of [null, undefined, '', 'ipxe', 'open-firmware', 's390x_partition']) {
      expect(bootMethodFromMaas(v)).toMatchObject({ efi: false, assumed: true });
      expect(bootMethodFromMaas(v).why).toContain('bootMethod');
    }
  });

  it.each([
    ['uefi', 'boot disk persistent efi'],
    ['pxe', 'boot disk persistent'],
    [null, 'boot disk persistent'],
  ])('create: "Boot from disk" with bios_boot_method %s sends %s', async (method, sent) => {
    const f = fakes({ instances: [instance] });
    f.machines.set('abc123', { status: NODE_STATUS.DEPLOYED, bios_boot_method: method });
    const s = stepNamed(createInstanceSteps(f.deps, { instanceId: 'i1' }), 'Boot from disk');
    const c = ctx({ instanceId: 'i1' });
    expect(await s.verify!(c)).toBe(false);
    await s.run(c);
    expect(f.bmc.sent).toEqual([sent]);
    expect(await s.verify!(c)).toBe(true);
    if (method === null) expect(c.logs[0]).toMatch(/^warn: .*no bios_boot_method/);
    else expect(c.logs[0]).toContain(`bios_boot_method "${method}"`);
  });

  it('destroy: "Boot from PXE" follows the rack file override over MaaS, without asking MaaS', async () => {
    const f = fakes({ instances: [instance] });
    f.machines.set('abc123', { status: NODE_STATUS.DEPLOYED, bios_boot_method: 'uefi' });
    f.bootMethods.set('r01-n001', 'legacy');
    const s = stepNamed(destroyInstanceSteps(f.deps, { instanceId: 'i1' }), 'Boot from PXE');
    await s.run(ctx({ instanceId: 'i1' }));
    expect(f.bmc.sent).toEqual(['boot pxe persistent']);
    expect(f.maasReads).toBe(0);
  });

  it('a BMC holding the right device with the wrong EFI bit is not done: verify compares the bit too', async () => {
    const f = fakes({ instances: [instance] });
    f.machines.set('abc123', { status: NODE_STATUS.DEPLOYED, bios_boot_method: 'uefi' });
    f.bmc.boot = { device: 'disk', valid: true, persistent: true, efi: false };
    const s = stepNamed(createInstanceSteps(f.deps, { instanceId: 'i1' }), 'Boot from disk');
    expect(await s.verify!(ctx({ instanceId: 'i1' }))).toBe(false);
  });

  it('plan shows the one command once MaaS is read (prepare), both while it is not', async () => {
    const f = fakes();
    f.machines.set('abc123', { status: NODE_STATUS.READY, bios_boot_method: 'uefi' });
    const s = bootStep(f.deps, 'h1', { title: 'Boot from disk', device: 'disk', undoable: true });
    expect(s.plan()).toEqual([
      'IPMI 10.0.0.11:623: Set System Boot Options param 5: boot disk, persistent, EFI [05 e0 08 00 00 00] if MaaS reports ' +
        'bios_boot_method "uefi", else legacy [05 c0 08 00 00 00] ' +
        '(Get System Boot Options 05 00 00 first, for undo)',
    ]);
    await s.prepare!();
    expect(s.plan()).toEqual([
      'IPMI 10.0.0.11:623: Set System Boot Options param 5: boot disk, persistent, EFI [05 e0 08 00 00 00] ' +
        '(MaaS bios_boot_method "uefi") (Get System Boot Options 05 00 00 first, for undo)',
    ]);
  });

  it('plan says why when MaaS cannot be read', async () => {
    const f = fakes();
    const s = bootStep(f.deps, 'h1', { title: 'Boot from disk', device: 'disk', undoable: false });
    await s.prepare!();
    expect(s.plan()[0]).toMatch(/, else legacy \[05 c0 08 00 00 00\] \(MaaS not read: no machine abc123\)$/);
  });

  it('undo of the create boot step also reads back journals written before `valid` was recorded', async () => {
    const f = fakes({ instances: [instance] });
    const s = stepNamed(createInstanceSteps(f.deps, { instanceId: 'i1' }), 'Boot from disk');
    await s.undo!(ctx({ instanceId: 'i1' }, { before: { device: 'pxe', persistent: true, efi: false } }));
    expect(f.bmc.sent).toEqual(['boot pxe persistent']);
  });
});

describe('Allocate: done only when MaaS says the machine is allocated', () => {
  it('Allocated, Deploying and Deployed are allocated; nothing else is', () => {
    const yes = [NODE_STATUS.ALLOCATED, NODE_STATUS.DEPLOYING, NODE_STATUS.DEPLOYED];
    for (const code of Object.values(NODE_STATUS))
      expect(isAllocated(code)).toBe(yes.includes(code as never));
  });

  it.each([
    [NODE_STATUS.READY, false],
    [NODE_STATUS.COMMISSIONING, false],
    [NODE_STATUS.BROKEN, false],
    [NODE_STATUS.FAILED_DEPLOYMENT, false],
    [NODE_STATUS.RELEASING, false],
    [NODE_STATUS.NEW, false],
    [NODE_STATUS.ALLOCATED, true],
    [NODE_STATUS.DEPLOYING, true],
    [NODE_STATUS.DEPLOYED, true],
  ] as [NodeStatusCode, boolean][])('the step verify with MaaS at %s → %s', async (status, done) => {
    const f = fakes({ instances: [instance] });
    // Allocated by this very task (t1): its id is in the machine's owner_data.
    f.machines.set('abc123', {
      status,
      status_name: NODE_STATUS_NAME[status],
      owner_data: { [OWNER_DATA_TASK]: 't1' },
    });
    const s = stepNamed(createInstanceSteps(f.deps, { instanceId: 'i1' }), 'Allocate the machine in MaaS');
    expect(await s.verify!(ctx({ instanceId: 'i1' }))).toBe(done);
  });
});
