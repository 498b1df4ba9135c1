/**
 * The host's console as doctor evidence: its last lines (filtered text) and the causes they show,
 * recognised by the firmware's, boot loader's and kernel's own wording (iPXE, EDK2, SeaBIOS, GRUB,
 * Linux, cloud-init, getty), whichever gear printed them. Pure: the caller reads the console.
 */
import { consoleText, lastLines } from '../../util/console-text.ts';

export type ConsoleCauseId =
  'pxe-no-offer' | 'no-bootable-device' | 'grub-rescue' | 'kernel-panic' | 'curtin-failed' | 'os-login';

export interface ConsoleEvidence {
  lines: string[];
  causes: { id: ConsoleCauseId; text: string; line: string }[];
}

const RULES: { id: ConsoleCauseId; match: RegExp; text: string }[] = [
  {
    id: 'pxe-no-offer',
    match: /No configuration methods succeeded|PXE-E16: No valid offer received|PXE-E51: No DHCP/,
    text: "the PXE ROM got no DHCP offer: the host's ports are not on the PXE VLAN, or MaaS's DHCP does not serve that VLAN",
  },
  {
    id: 'no-bootable-device',
    match: /No bootable device|No bootable option or device was found|not a bootable disk/,
    text: 'the firmware found nothing to boot: PXE failed and the disk holds no boot loader',
  },
  {
    id: 'grub-rescue',
    match: /grub rescue>|Entering rescue mode/,
    text: "GRUB cannot find its partition: the disk's partitions changed under it (an interrupted install?)",
  },
  {
    id: 'kernel-panic',
    match: /Kernel panic - not syncing/,
    text: 'the kernel panicked: look at the lines before the panic (a corrupt initrd, a missing root)',
  },
  {
    id: 'curtin-failed',
    match: /curtin: Installation failed|finish: cmd-install: FAIL/,
    text: 'the installer (curtin) failed: its log in MaaS says which stage',
  },
  { id: 'os-login', match: / login: ?$/, text: 'the installed OS is up and at its login prompt' },
];

/** The last `n` lines of console bytes, with the causes they show (latest first). */
export function consoleEvidence(bytes: Buffer, n = 20): ConsoleEvidence {
  const lines = consoleText(lastLines(bytes, n));
  const causes: ConsoleEvidence['causes'] = [];
  for (const line of [...lines].reverse()) {
    for (const r of RULES) {
      if (r.match.test(line) && !causes.some((c) => c.id === r.id))
        causes.push({ id: r.id, text: r.text, line });
    }
  }
  return { lines, causes };
}
