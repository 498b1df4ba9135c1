import { describe, expect, it } from 'vitest';
import { bootDeviceLabel, decodeBootFlags, encodeBootFlags } from '../../src/gear/ipmi/commands.ts';

const hex = (s: string) => Buffer.from(s, 'hex');

/** Boot flags byte 2, bits 5:2: the device selector (IPMI v2.0 table 28-14). */
describe('boot flags: every device a BMC may report is read as what it is', () => {
  it.each([
    ['8000000000', 'none', 'none'],
    ['8004000000', 'pxe', 'pxe'],
    ['8008000000', 'disk', 'disk'],
    ['800c000000', 'safe', 'disk (safe mode)'],
    ['8010000000', 'diag', 'diagnostic partition'],
    ['8014000000', 'cdrom', 'cdrom'],
    ['8018000000', 'bios', 'bios setup'],
    ['801c000000', 'remote-floppy', 'remote floppy'],
    ['8020000000', 'remote-cdrom', 'remote cdrom'],
    ['8024000000', 'remote', 'remote media'],
    ['8028000000', 'unknown (0x0a)', 'unknown (0x0a)'],
    ['802c000000', 'remote-disk', 'remote disk'],
    ['8030000000', 'unknown (0x0c)', 'unknown (0x0c)'],
    ['8038000000', 'unknown (0x0e)', 'unknown (0x0e)'],
    ['803c000000', 'floppy', 'floppy'],
  ])('%s → %s (shown as "%s")', (bytes, device, label) => {
    const f = decodeBootFlags(hex(bytes));
    expect(f.device).toBe(device);
    expect(bootDeviceLabel(f.device)).toBe(label);
    // Written back, the same selector goes out: a setting read first can be restored.
    expect(encodeBootFlags(f).toString('hex')).toBe(bytes);
  });

  it('never reads cdrom, floppy or a reserved selector as disk', () => {
    for (const bytes of ['e014000000', 'e03c000000', 'e028000000']) {
      expect(decodeBootFlags(hex(bytes)).device).not.toBe('disk');
    }
  });

  it('keeps the selector bits apart from the other bits of byte 2 (CMOS clear, lock keyboard)', () => {
    // 0x80 CMOS clear, 0x40 lock keyboard, 0x02 screen blank, 0x01 lock reset: selector cdrom.
    expect(decodeBootFlags(hex('a0d7000000'))).toEqual({
      valid: true,
      persistent: false,
      efi: true,
      device: 'cdrom',
    });
  });

  it('refuses to encode a device name it does not know', () => {
    expect(() =>
      encodeBootFlags({ valid: true, persistent: false, efi: false, device: 'unknown (0x1f)' }),
    ).toThrow(/unknown boot device/);
  });
});
