import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/protocol/records.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { hostBootdevParams, hostPowerParams } from '../../src/runner/workflows/host-bmc.ts';
import { planWorkflow, planWorkflowLive, WORKFLOWS } from '../../src/runner/workflows/index.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { ctx, fakeBmc, fakeHost, fakes } from './fakes.ts';
import type { Instance } from '../../src/protocol/records.ts';

const steps = (f: ReturnType<typeof fakes>, kind: string, params: Record<string, unknown>) =>
  WORKFLOWS[kind]!.steps(f.deps, WORKFLOWS[kind]!.params.parse(params) as Record<string, unknown>);

/** The host goes off by itself at the BMC's `n`th power read (an ACPI shutdown finishing). */
function shutsDownAtRead(bmc: ReturnType<typeof fakeBmc>, n: number) {
  let reads = 0;
  const read = bmc.powerStatus.bind(bmc);
  bmc.powerStatus = async (h, signal) => {
    if (++reads === n) bmc.power_ = 'off';
    return read(h, signal);
  };
}

describe('instance.stop rolled back after a cut-off soft power off', () => {
  const running = { id: 'i1', name: 'vm1', hostId: 'h1', state: 'running' } as unknown as Instance;

  it('waits for the shutdown under way and powers the host on again; done, it powers on at once', async () => {
    const bmc = fakeBmc({ power: 'on' });
    const f = fakes({ bmc, instances: [running] });
    const [soft] = steps(f, 'instance.stop', { instanceId: 'i1' });
    shutsDownAtRead(bmc, 4);
    await soft!.undo!(ctx({}, undefined));
    expect(bmc.sent).toEqual(['power on']);
    expect(bmc.power_).toBe('on');
    expect(soft!.undoPlan!(undefined)[0]).toMatch(/Get Chassis Status until power is off, at most 120 s/);

    const done = fakeBmc({ power: 'off' });
    const [again] = steps(fakes({ bmc: done, instances: [running] }), 'instance.stop', { instanceId: 'i1' });
    const c = ctx({}, { hard: false });
    await again!.undo!(c);
    expect(done.sent).toEqual(['power on']);
    expect(c.logs.join('\n')).not.toMatch(/waiting up to/);
    expect(again!.undoPlan!({ hard: false })[0]).toMatch(/Get Chassis Status$/);
    expect(again!.undoPlan!({ hard: false })[1]).toMatch(/power up \(unless already on\)$/);
    expect(soft!.undoPlan!(undefined)[1]).toMatch(/power up \(unless it stays on\)$/);
  });
});

describe('host.power: one Chassis Control as a task step', () => {
  it('params: hostId and one of the five actions', () => {
    expect(hostPowerParams.parse({ hostId: 'h1', action: 'soft' })).toEqual({ hostId: 'h1', action: 'soft' });
    expect(hostPowerParams.safeParse({ hostId: 'h1', action: 'status' }).success).toBe(false);
    expect(hostPowerParams.safeParse({ action: 'on' }).success).toBe(false);
  });

  it.each([
    ['on', 'Power on', 'Chassis Control 0x01 power up', true],
    ['off', 'Power off (hard)', 'Chassis Control 0x00 power down (hard)', true],
    ['soft', 'Soft power off (ACPI)', 'Chassis Control 0x05 soft shutdown (ACPI)', true],
    ['cycle', 'Power cycle', 'Chassis Control 0x02 power cycle', false],
    ['reset', 'Hard reset', 'Chassis Control 0x03 hard reset', false],
  ])('%s: one step "%s" sending %s (verify and undo: %s)', (action, title, command, checked) => {
    const f = fakes();
    const list = steps(f, 'host.power', { hostId: 'h1', action });
    expect(list.map((s) => s.title)).toEqual([title]);
    const s = list[0]!;
    expect(s.plan()).toContain(`IPMI 10.0.0.11:623: ${command}`);
    expect(s.verify !== undefined).toBe(checked);
    expect(s.undo !== undefined).toBe(checked);
    // Without a verify a retry could repeat a cycle whose reply was lost.
    expect(s.retry?.attempts ?? 1).toBe(checked ? 3 : 1);
  });

  it('plans exactly, through planWorkflow', () => {
    const f = fakes();
    expect(planWorkflow(f.deps, 'host.power', { hostId: 'h1', action: 'on' })).toEqual([
      {
        step: 'Power on',
        actions: [
          'IPMI 10.0.0.11:623: Chassis Control 0x01 power up',
          'IPMI 10.0.0.11:623: Get Chassis Status until power is on',
        ],
      },
    ]);
    expect(() => planWorkflow(f.deps, 'host.power', { hostId: 'h1', action: 'warp' })).toThrow(
      /invalid params for host.power: action/,
    );
  });

  it('power on is done when the BMC says on; undo puts it back off', async () => {
    const f = fakes();
    const [s] = steps(f, 'host.power', { hostId: 'h1', action: 'on' });
    const c = ctx({});
    expect(await s!.verify!(c)).toBe(false);
    const out = await s!.run(c);
    expect(out).toEqual({ before: 'off' });
    expect(f.bmc.power_).toBe('on');
    expect(await s!.verify!(c)).toEqual({ output: { before: 'on' } });
    await s!.undo!(ctx({}, out));
    expect(f.bmc.sent).toEqual(['power on', 'power off']);
  });

  it('a host already on is done without a command (verify), and its undo changes nothing', async () => {
    const f = fakes({ bmc: fakeBmc({ power: 'on' }) });
    const [s] = steps(f, 'host.power', { hostId: 'h1', action: 'on' });
    const v = await s!.verify!(ctx({}));
    expect(v).toEqual({ output: { before: 'on' } });
    // The engine journals verify's output as the step's: undo reads it.
    await s!.undo!(ctx({}, (v as { output: JsonValue }).output));
    expect(f.bmc.sent).toEqual([]);
  });

  it('a power step cut off after its command (no output journaled) is undone to the other state', async () => {
    const f = fakes({ bmc: fakeBmc({ power: 'on' }) });
    const [s] = steps(f, 'host.power', { hostId: 'h1', action: 'on' });
    await s!.undo!(ctx({}, undefined));
    expect(f.bmc.sent).toEqual(['power off']);
  });

  it('a soft off the OS ignores fails after the stop timeout, without a hard power-off', async () => {
    const bmc = fakeBmc({ power: 'on' });
    bmc.onPower = () => undefined; // the OS never shuts down
    const f = fakes({ bmc });
    const [s] = steps(f, 'host.power', { hostId: 'h1', action: 'soft' });
    const err = await s!.run(ctx({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperatorError);
    expect((err as Error).message).toMatch(/did not shut down within 120 s/);
    expect((err as OperatorError).hint).toMatch(/power off/);
    expect(bmc.sent).toEqual(['power soft']);
  });

  it('a soft off cut off after its command waits for the shutdown under way, then powers the host on again', async () => {
    const bmc = fakeBmc({ power: 'on' });
    const f = fakes({ bmc });
    const [s] = steps(f, 'host.power', { hostId: 'h1', action: 'soft' });
    // The OS got the ACPI request before the runner died: it goes off on the BMC's third read.
    shutsDownAtRead(bmc, 3);
    const c = ctx({}, undefined);
    await s!.undo!(c);
    expect(bmc.sent).toEqual(['power on']);
    expect(bmc.power_).toBe('on');
    expect(c.logs[0]).toMatch(
      /r01-n001 is on; a soft power off sent before the interruption .* waiting up to 120 s/,
    );
    expect(s!.undoPlan!(undefined)[0]).toMatch(/until power is off, at most 120 s/);
    expect(s!.undoPlan!({ before: 'on' })[0]).not.toMatch(/until/);
  });

  it('a soft off cut off before the OS got it: the host stays on through the stop timeout, undo sends nothing', async () => {
    const bmc = fakeBmc({ power: 'on' });
    const f = fakes({ bmc });
    const [s] = steps(f, 'host.power', { hostId: 'h1', action: 'soft' });
    await s!.undo!(ctx({}, undefined));
    expect(bmc.sent).toEqual([]);
    expect(bmc.power_).toBe('on');
  });

  it('power cycle of a host that is off is refused before anything is sent', async () => {
    const f = fakes();
    const [s] = steps(f, 'host.power', { hostId: 'h1', action: 'cycle' });
    await expect(s!.run(ctx({}))).rejects.toThrow(/r01-n001 is off: a power cycle does nothing/);
    expect(f.bmc.sent).toEqual([]);
    f.bmc.power_ = 'on';
    await s!.run(ctx({}));
    expect(f.bmc.sent).toEqual(['power cycle']);
  });

  it('names a host that is not in the store', async () => {
    const f = fakes();
    const [s] = steps(f, 'host.power', { hostId: 'nope', action: 'on' });
    await expect(s!.run(ctx({}))).rejects.toThrow(/host nope is not in the local store/);
  });
});

describe('host.bootdev: one Set System Boot Options as a task step', () => {
  it('params: hostId, device pxe|disk|bios, persistent (default next boot only), efi (optional)', () => {
    expect(hostBootdevParams.parse({ hostId: 'h1', device: 'pxe' })).toEqual({
      hostId: 'h1',
      device: 'pxe',
      persistent: false,
    });
    expect(hostBootdevParams.parse({ hostId: 'h1', device: 'disk', persistent: true, efi: true })).toEqual({
      hostId: 'h1',
      device: 'disk',
      persistent: true,
      efi: true,
    });
    expect(hostBootdevParams.safeParse({ hostId: 'h1', device: 'cdrom' }).success).toBe(false);
    expect(hostBootdevParams.safeParse({ hostId: 'h1', device: 'pxe', efi: 'yes' }).success).toBe(false);
  });

  it('plans the exact request bytes', () => {
    const f = fakes();
    expect(planWorkflow(f.deps, 'host.bootdev', { hostId: 'h1', device: 'pxe', efi: true })).toEqual([
      {
        step: 'Boot from pxe, next boot only',
        actions: [
          'IPMI 10.0.0.11:623: Set System Boot Options param 5: boot pxe, next boot only, EFI [05 a0 04 00 00 00] (as asked)' +
            ' (Get System Boot Options 05 00 00 first, for undo)',
        ],
      },
    ]);
    const [p] = planWorkflow(f.deps, 'host.bootdev', {
      hostId: 'h1',
      device: 'disk',
      persistent: true,
      efi: false,
    });
    expect(p!.actions[0]).toContain(
      'Set System Boot Options param 5: boot disk, persistent, legacy [05 c0 08 00 00 00]',
    );
  });

  it('without efi: the rack file says, else MaaS; the plan says which, reading MaaS only when live', async () => {
    const f = fakes();
    f.machines.set('abc123', { status: NODE_STATUS.READY, bios_boot_method: 'uefi' });
    const params = { hostId: 'h1', device: 'bios' };
    const [offline] = planWorkflow(f.deps, 'host.bootdev', params);
    expect(offline!.actions[0]).toMatch(
      /param 5: boot bios, next boot only, EFI \[05 a0 18 00 00 00\] if MaaS reports bios_boot_method "uefi", else legacy \[05 80 18 00 00 00\]/,
    );
    expect(f.maasReads).toBe(0);
    const [live] = await planWorkflowLive(f.deps, 'host.bootdev', params);
    expect(live!.actions[0]).toContain(
      'param 5: boot bios, next boot only, EFI [05 a0 18 00 00 00] (MaaS bios_boot_method "uefi")',
    );
    f.bootMethods.set('r01-n001', 'legacy');
    const [overridden] = planWorkflow(f.deps, 'host.bootdev', params);
    expect(overridden!.actions[0]).toContain(
      'param 5: boot bios, next boot only, legacy [05 80 18 00 00 00] (rack file bootMethod "legacy")',
    );
  });

  it('run reads the flags first and sets; verify is true once they match; undo writes back what was there', async () => {
    const f = fakes({
      bmc: fakeBmc({ boot: { device: 'cdrom', valid: true, persistent: true, efi: true } }),
    });
    const [s] = steps(f, 'host.bootdev', { hostId: 'h1', device: 'pxe', efi: false });
    const c = ctx({});
    expect(await s!.verify!(c)).toBe(false);
    const out = await s!.run(c);
    expect(out).toEqual({ before: { device: 'cdrom', valid: true, persistent: true, efi: true } });
    expect(await s!.verify!(c)).toBe(true);
    await s!.undo!(ctx({}, out));
    expect(f.bmc.sent).toEqual(['boot pxe', 'boot cdrom persistent efi']);
    expect(f.bmc.boot).toEqual({ device: 'cdrom', valid: true, persistent: true, efi: true });
  });

  it('undo of a change made over no override clears the override again', async () => {
    const f = fakes();
    const [s] = steps(f, 'host.bootdev', { hostId: 'h1', device: 'disk', persistent: true, efi: true });
    const out = await s!.run(ctx({}));
    await s!.undo!(ctx({}, out));
    expect(f.bmc.sent).toEqual(['boot disk persistent efi', 'boot none']);
    expect(f.bmc.boot.valid).toBe(false);
  });

  it('a device that cannot be written back is cleared instead, with a warning', async () => {
    const f = fakes({ bmc: fakeBmc({ boot: { device: 'remote-cdrom', valid: true, persistent: false } }) });
    const [s] = steps(f, 'host.bootdev', { hostId: 'h1', device: 'pxe', efi: false });
    const out = await s!.run(ctx({}));
    const u = ctx({}, out);
    await s!.undo!(u);
    expect(f.bmc.sent).toEqual(['boot pxe', 'boot none']);
    expect(u.logs[0]).toMatch(
      /^warn: r01-n001: the BMC had boot device remote cdrom, which cannot be written back/,
    );
  });

  it('a next-boot-only override does not count as the persistent one, nor the other way round', async () => {
    const f = fakes({ bmc: fakeBmc({ boot: { device: 'pxe', valid: true, persistent: true, efi: false } }) });
    const [once] = steps(f, 'host.bootdev', { hostId: 'h1', device: 'pxe', efi: false });
    expect(await once!.verify!(ctx({}))).toBe(false);
    const [always] = steps(f, 'host.bootdev', { hostId: 'h1', device: 'pxe', persistent: true, efi: false });
    expect(await always!.verify!(ctx({}))).toBe(true);
    // An expired override (valid bit clear) is no override, whatever device it still names.
    f.bmc.boot.valid = false;
    expect(await always!.verify!(ctx({}))).toBe(false);
  });
});

describe('fakes', () => {
  it('give the host by id', () => {
    expect(fakes().deps.store.hosts.get('h1')).toEqual(fakeHost());
  });
});
