import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/runner/doctor/diagnose.ts';
import { load, names } from './corpus-load.ts';

/**
 * The recorded timelines: each fixture is a machine as a real region shows it (its events in
 * MaaS's own words, newest first, curtin's log) read from a jump host that reaches neither the
 * BMC nor the switches. The rules must name the fixture's cause from the story alone, and name
 * none for the healthy and the slow-but-progressing ones.
 */
describe('the fixture corpus', () => {
  it('holds one timeline per cause, and healthy and slow-but-fine ones', () => {
    const expects = names.map((n) => load(n).fx.expect);
    for (const cause of [
      'no-pxe',
      'no-kernel',
      'no-installer',
      'curtin-failed',
      'never-came-back',
      'cloud-init-failed',
      'maas-cannot-power',
      'operator-marked',
      'rescue-stuck',
      'erase-stalled',
    ])
      expect(expects).toContain(cause);
    expect(expects.filter((e) => e === null).length).toBeGreaterThanOrEqual(3);
  });

  for (const name of names) {
    it(`${name}: ${load(name).fx.about}`, () => {
      const { fx, facts } = load(name);
      const d = diagnose(facts);
      expect(d.cause?.id ?? null, d.cause?.sentence ?? d.summary).toBe(fx.expect);
      // Neither the BMC nor the switches answered: the doctor says so, and concludes anyway.
      expect(d.unchecked).toEqual(
        expect.arrayContaining(['BMC power and boot device', 'ToR ports and VLANs']),
      );
      if (fx.expect) {
        expect(d.cause!.stage, 'the cause names its stage').toBeTruthy();
        expect(d.cause!.evidence.length).toBeGreaterThan(0);
        // Every quoted line is one the fixture holds: an event, a curtin line, a status message.
        const story = [
          ...fx.events.map((e) => `${e.type}${e.description ? ` - ${e.description}` : ''}`),
          ...(fx.curtin?.lines ?? []),
          fx.maas.statusMessage,
          fx.maas.errorDescription ?? '',
        ];
        const quoted = d.cause!.evidence.filter((l) => !l.startsWith('BMC') && !l.startsWith('no '));
        for (const q of quoted)
          expect(
            story.some((s) => s && q.includes(s)),
            `"${q}" comes from the fixture`,
          ).toBe(true);
      }
    });
  }
});

describe('what each cause says', () => {
  const cause = (name: string) => diagnose(load(name).facts).cause!;

  it('never network-booted: the stage, the time since, and the PXE fixes', () => {
    const c = cause('no-pxe');
    expect(c.stage).toBe('powered on');
    expect(c.sentence).toMatch(/never network-booted after power-on: stopped after "powered on" at 07:30:20/);
    expect(diagnose(load('no-pxe').facts).fixes.map((f) => f.id)).toEqual(['pxe-boot', 'ports-pxe']);
  });

  it('boot loader then nothing: names the loader and the firmware it implies', () => {
    const c = cause('no-kernel');
    expect(c.stage).toBe('boot loader over TFTP/HTTP');
    expect(c.sentence).toMatch(/UEFI\/legacy mismatch \(it booted UEFI\)/);
    expect(c.evidence.join('\n')).toMatch(/TFTP Request - \/grubx64\.efi/);
  });

  it("curtin: names the failing stage and quotes the log's first error line", () => {
    const c = cause('curtin-failed');
    expect(c.stage).toBe('curtin stage partitioning (configuring storage)');
    expect(c.sentence).toContain(
      "\"An error occured handling 'sda': RuntimeError - Failed to find device for serial 'S3Z9NB0K415632E'\"",
    );
    expect(c.hints.join()).toMatch(/--log/);
    expect(diagnose(load('curtin-failed').facts).fixes.map((f) => f.id)).toEqual(['reset-failed']);
  });

  it('never came back: installed and rebooted, with the reboot time and disk boot first', () => {
    const c = cause('never-came-back');
    expect(c.sentence).toMatch(/rebooted, then never came back: stopped after "rebooting" at 07:39:21/);
    expect(diagnose(load('never-came-back').facts).fixes.map((f) => f.id)).toEqual([
      'disk-boot',
      'power-cycle',
      'reset-failed',
    ]);
  });

  it('cloud-init: points at the user data when scripts_user failed', () => {
    expect(cause('cloud-init-failed').sentence).toMatch(/user data \(module scripts_user\)/);
  });

  it('MaaS cannot power: quotes the BMC error MaaS reported', () => {
    expect(cause('maas-cannot-power').sentence).toContain(
      '"Failed to power on node - Incorrect password.  Check BMC configuration and try again."',
    );
  });

  it("the operator's own words, verbatim, with mark fixed", () => {
    const d = diagnose(load('operator-marked').facts);
    expect(d.cause!.sentence).toContain(
      'by admin at 2026-12-06 07:30:00: "PSU 2 failed; waiting for a replacement"',
    );
    expect(d.fixes.map((f) => f.id)).toEqual(['mark-fixed']);
  });

  it('slow erase of big disks: no cause, and the expected duration from the disk size', () => {
    const d = diagnose(load('erase-slow-but-fine').facts);
    expect(d.cause).toBeNull();
    expect(d.timeline.erase).toMatchObject({ bytes: 4e12, rateFrom: 'assumed' });
    expect(d.summary).toMatch(
      /erase on time: "erasing disks" for 2\.5 h, expected about 10\.6 h for its disks/,
    );
  });

  it('a healthy deployment: on time against the site history, no cause', () => {
    const d = diagnose(load('healthy-deploy').facts);
    expect(d.cause).toBeNull();
    expect(d.timeline.stages.at(-1)).toMatchObject({
      id: 'extract',
      typicalS: 90,
      patienceFrom: 'site history',
    });
    expect(d.summary).toMatch(/on time/);
  });

  it('the timeline of a finished deployment: every stage in order with its duration', () => {
    const d = diagnose(load('deployed').facts);
    expect(d.timeline.outcome).toBe('done');
    expect(d.timeline.stages.map((s) => s.id)).toEqual([
      'requested',
      'powered-on',
      'pxe',
      'boot-loader',
      'kernel',
      'ephemeral',
      'installer',
      'partitioning',
      'extract',
      'curthooks',
      'installed',
      'rebooting',
      'local-boot',
      'cloud-init',
      'deployed',
    ]);
    expect(d.timeline.stages.find((s) => s.id === 'curthooks')!.durationS).toBe(180);
  });
});
