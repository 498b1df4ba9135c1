import { describe, expect, it } from 'vitest';
import { consoleEvidence } from '../../src/runner/doctor/console-evidence.ts';
import { diagnose, type DoctorFacts } from '../../src/runner/doctor/diagnose.ts';

/**
 * The doctor reads the host's console (its lines come as further evidence, source `console`) and
 * names the cause it shows, in the real software's words: Linux's panic, initramfs-tools' and
 * dracut's emergency shells, iPXE's boot-file timeout, cloud-init's module failures and its
 * fallback datasource.
 */
const b = (s: string) => Buffer.from(s);

function facts(console: string[], over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    hostname: 'r01-n004',
    now: Date.now(),
    maas: {
      systemId: 'abc123',
      status: 9,
      statusName: 'Deploying',
      statusMessage: '',
      powerState: 'on',
      bootInterfaceMac: '52:54:00:00:00:04',
    },
    events: [],
    curtin: null,
    bmc: { answer: 'ok', power: 'on', boot: { device: 'pxe', valid: true, persistent: false } },
    outOfBand: null,
    ports: [],
    macs: [],
    instanceMac: null,
    task: { id: 't-1a2b3c4d', kind: 'instance.create', state: 'failed', step: 'Wait for deploy', error: 'x' },
    extra: console.map((text) => ({ source: 'console', at: null, text })),
    ...over,
  };
}

describe('console wording of the real software', () => {
  it("initramfs-tools' and dracut's emergency shells", () => {
    const busybox = consoleEvidence(
      b(
        'Gave up waiting for root file system device.  Common problems:\r\n' +
          ' - Boot args (cat /proc/cmdline)\r\n' +
          'ALERT!  UUID=3caf26b5-4d08-43e0-86a3-5f3e8c2d1a90 does not exist.  Dropping to a shell!\r\n' +
          '(initramfs) ',
      ),
    );
    expect(busybox.causes[0]?.id).toBe('initramfs-shell');
    const dracut = consoleEvidence(
      b(
        '[  199.101674] dracut-initqueue[450]: Warning: dracut-initqueue timeout - starting timeout scripts\r\n' +
          '[  199.400096] dracut-initqueue[450]: Warning: Could not boot.\r\n',
      ),
    );
    expect(dracut.causes[0]?.id).toBe('initramfs-shell');
    expect(consoleEvidence(b('Entering emergency mode. Exit the shell to continue.\r\n')).causes[0]?.id).toBe(
      'initramfs-shell',
    );
  });

  it("iPXE's boot-file timeout after an address, and the PXE ROM's codes", () => {
    const e = consoleEvidence(
      b(
        'Configuring (net0 52:54:00:00:02:00)...... ok\r\n' +
          'tftp://10.20.0.2/lpxelinux.0... Connection timed out (https://ipxe.org/4c0a6035)\r\n' +
          'Could not boot: Connection timed out (https://ipxe.org/4c0a6035)\r\n',
      ),
    );
    expect(e.causes.map((c) => c.id)).toEqual(['pxe-no-boot-file']);
    expect(consoleEvidence(b('PXE-E32: TFTP open timeout\r\n')).causes[0]?.id).toBe('pxe-no-boot-file');
  });

  it("cloud-init's failed module and its fallback datasource", () => {
    const mod = consoleEvidence(
      b(
        '[   61.2] cloud-init[1123]: 2026-12-06 10:12:15,234 - subp.py[WARNING]: Runparts: 1 failures (runcmd) in 1 attempted commands\r\n' +
          '[   61.3] cloud-init[1123]: 2026-12-06 10:12:15,235 - cc_scripts_user.py[WARNING]: Failed to run module scripts_user (scripts in /var/lib/cloud/instance/scripts)\r\n' +
          "[   61.3] cloud-init[1123]: 2026-12-06 10:12:15,236 - log_util.py[WARNING]: Running module scripts_user (<module 'cloudinit.config.cc_scripts_user'>) failed\r\n",
      ),
    );
    expect(mod.causes.map((c) => c.id)).toEqual(['cloud-init-failed']);
    const none = consoleEvidence(
      b(
        "[  120.0] cloud-init[604]: 2026-12-06 10:14:01,002 - url_helper.py[WARNING]: Calling 'http://10.20.0.2:5240/MAAS/metadata/2012-03-01/meta-data/instance-id' failed [120/120s]: request error [timed out]\r\n" +
          '[  121.5] cloud-init[1123]: Cloud-init v. 24.1.3-0ubuntu1~22.04.5 finished at Sun, 06 Dec 2026 10:14:03 +0000. Datasource DataSourceNone.  Up 121.50 seconds\r\n',
      ),
    );
    expect(none.causes.map((c) => c.id)).toEqual(['cloud-init-no-datasource']);
  });

  it('a login prompt after the trouble means the trouble is over', () => {
    const e = consoleEvidence(
      b('[    1.6] Kernel panic - not syncing: VFS: Unable to mount root fs\r\n\r\nr01 login: '),
    );
    expect(e.causes.map((c) => c.id)).toEqual(['os-login', 'kernel-panic']);
  });
});

describe('the doctor names what the console shows', () => {
  it('a kernel panic: the cause, the panic line and the lines before it as evidence, a PXE boot and a power cycle', () => {
    const d = diagnose(
      facts([
        '[    1.024118] Run /init as init process',
        '[    1.601002] VFS: Cannot open root device "UUID=6a7f1c2e" or unknown-block(0,0): error -6',
        '[    1.602118] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
        '[    1.602900] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---',
      ]),
    );
    expect(d.cause?.id).toBe('console-kernel-panic');
    expect(d.cause?.sentence).toMatch(/r01-n004's console shows it: the kernel panicked/);
    expect(d.cause?.evidence.join('\n')).toContain('console: [    1.601002] VFS: Cannot open root device');
    expect(d.fixes.map((f) => f.id)).toEqual(['pxe-boot', 'power-cycle', 'resume']);
    expect(d.console?.at(-1)).toContain('end Kernel panic');
    expect(d.cause?.hints.join('\n')).toContain('rackpilot console r01-n004');
  });

  it('an initramfs shell outranks the timeline, and names the device it waited for', () => {
    const d = diagnose(
      facts([
        'Gave up waiting for root file system device.  Common problems:',
        'ALERT!  UUID=3caf26b5-4d08-43e0-86a3-5f3e8c2d1a90 does not exist.  Dropping to a shell!',
        '(initramfs) ',
      ]),
    );
    expect(d.cause?.id).toBe('console-initramfs-shell');
    expect(d.cause?.evidence.join('\n')).toContain('UUID=3caf26b5');
  });

  it('a cloud-init failure names the user data, with no gear fix', () => {
    const d = diagnose(
      facts([
        "cloud-init[1123]: 2026-12-06 10:12:15,236 - log_util.py[WARNING]: Running module scripts_user (<module 'cloudinit.config.cc_scripts_user'>) failed",
      ]),
    );
    expect(d.cause?.id).toBe('console-cloud-init-failed');
    expect(d.fixes.map((f) => f.id)).toEqual(['resume']);
  });

  it('a console at its login prompt, or no console at all, names no console cause', () => {
    expect(
      diagnose(facts(['Ubuntu 22.04.4 LTS r01-n004 ttyS0', '', 'r01-n004 login: '])).cause?.id ?? '',
    ).not.toMatch(/^console-/);
    const none = diagnose(facts([]));
    expect(none.cause?.id ?? '').not.toMatch(/^console-/);
    expect(none.console).toBeUndefined();
  });
});
