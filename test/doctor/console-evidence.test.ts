import { describe, expect, it } from 'vitest';
import { consoleEvidence } from '../../src/runner/doctor/console-evidence.ts';

const b = (s: string) => Buffer.from(s);

describe('console evidence for the doctor', () => {
  it('names a PXE ROM that got no DHCP offer, in iPXE and EDK2 words', () => {
    const ipxe = consoleEvidence(
      b(
        'Configuring (net0 52:54:00:00:02:00)..... No configuration methods succeeded (https://ipxe.org/040ee186)\r\nNo more network devices\r\n',
      ),
    );
    expect(ipxe.causes.map((c) => c.id)).toEqual(['pxe-no-offer']);
    const edk2 = consoleEvidence(b('>>Start PXE over IPv4.\r\n  PXE-E16: No valid offer received.\r\n'));
    expect(edk2.causes[0]?.id).toBe('pxe-no-offer');
  });

  it('names no bootable device, GRUB rescue and a kernel panic; the latest first', () => {
    const e = consoleEvidence(
      b(
        'Boot failed: not a bootable disk\r\n\r\nNo bootable device.\r\n' +
          'error: no such partition.\r\nEntering rescue mode...\r\ngrub rescue> ',
      ),
    );
    expect(e.causes.map((c) => c.id)).toEqual(['grub-rescue', 'no-bootable-device']);
    expect(e.lines.at(-1)).toBe('grub rescue> ');
    const p = consoleEvidence(
      b('[    1.602118] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\r\n'),
    );
    expect(p.causes[0]).toMatchObject({ id: 'kernel-panic' });
  });

  it('keeps the last lines only, as text, and finds nothing wrong in a login prompt', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}\r\n`).join('') + '\x1b]0;t\x07r01 login: ';
    const e = consoleEvidence(b(lines), 5);
    expect(e.lines).toEqual(['line 46', 'line 47', 'line 48', 'line 49', 'r01 login: ']);
    expect(e.causes.map((c) => c.id)).toEqual(['os-login']);
  });
});
