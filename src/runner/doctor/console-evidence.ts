/**
 * The host's console as doctor evidence: its last lines (filtered text) and the causes they show,
 * recognised by the firmware's, boot loader's, kernel's, initramfs's and cloud-init's own wording,
 * whichever gear printed them. Pure: the caller reads the console.
 *
 * Sources of the wording: iPXE's error texts (src/net/netdevice.c "No configuration methods
 * succeeded", src/core/errno.c / ipxe.org error pages "Connection timed out"), Intel/EDK2 PXE ROM
 * codes (PXE-E16, PXE-E32, PXE-E51, PXE-E53), SeaBIOS and EDK2 BdsDxe, GRUB's rescue mode, Linux
 * kernel/panic.c ("Kernel panic - not syncing: "), initramfs-tools scripts/local ("Gave up waiting
 * for root file system device", "ALERT!  … does not exist.  Dropping to a shell!"), dracut
 * (dracut-initqueue "timeout - starting timeout scripts", "Could not boot.", dracut-emergency
 * "Entering emergency mode"), systemd's emergency shell, and canonical/cloud-init
 * (cloudinit/config/modules.py "Running module %s (%s) failed", cc_scripts_user "Failed to run
 * module %s (%s in %s)", subp "Runparts: %s failures", url_helper "Calling '%s' failed",
 * cmd/main.py's final message naming DataSourceNone).
 */
import { consoleText, lastLines } from '../../util/console-text.ts';

export type ConsoleCauseId =
  | 'pxe-no-offer'
  | 'pxe-no-boot-file'
  | 'no-bootable-device'
  | 'grub-rescue'
  | 'kernel-panic'
  | 'initramfs-shell'
  | 'curtin-failed'
  | 'cloud-init-failed'
  | 'cloud-init-no-datasource'
  | 'os-login';

export interface ConsoleCause {
  id: ConsoleCauseId;
  text: string;
  line: string;
}

export interface ConsoleEvidence {
  lines: string[];
  /** Latest first. */
  causes: ConsoleCause[];
}

const RULES: { id: ConsoleCauseId; match: RegExp; text: string }[] = [
  {
    id: 'pxe-no-offer',
    match: /No configuration methods succeeded|PXE-E16: No valid offer received|PXE-E51: No DHCP/,
    text: "the PXE ROM got no DHCP offer: the host's ports are not on the PXE VLAN, or MaaS's DHCP does not serve that VLAN",
  },
  {
    id: 'pxe-no-boot-file',
    match:
      /Could not boot(?: image)?: Connection timed out|PXE-E32: TFTP open timeout|PXE-E53: No boot filename received/,
    text: "the PXE ROM got an address but not its boot file: the rack controller's TFTP/HTTP is not reachable from the host, or the offer named no boot file",
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
    id: 'initramfs-shell',
    match:
      /Gave up waiting for root (?:file system )?device|does not exist\. +Dropping to a shell|dracut-initqueue timeout - starting timeout scripts|Entering emergency mode|You are in emergency mode|^\(initramfs\) ?$/,
    text: 'the initramfs did not find the root file system and dropped to its emergency shell: a missing disk driver in the initrd, a wrong root= or a root partition that is gone',
  },
  {
    id: 'curtin-failed',
    match: /curtin: Installation failed|finish: cmd-install: FAIL/,
    text: 'the installer (curtin) failed: its log in MaaS says which stage',
  },
  {
    id: 'cloud-init-failed',
    match: /Running module \S+ \(.*\) failed|Failed to run module \S+ \(|Runparts: \d+ failures/,
    text: "a cloud-init module failed on the installed OS: the user data's scripts or commands (see /var/log/cloud-init-output.log on the host)",
  },
  {
    id: 'cloud-init-no-datasource',
    match: /Datasource DataSourceNone|Calling '[^']*\/MAAS\/metadata[^']*' failed \[/,
    text: "cloud-init could not reach MaaS's metadata service: the deployed host's network or the region's URL as seen from the host",
  },
  { id: 'os-login', match: / login: ?$/, text: 'the installed OS is up and at its login prompt' },
];

/** The causes these lines show, latest first (one per kind, at its latest line). */
export function consoleCauses(lines: readonly string[]): ConsoleCause[] {
  const causes: ConsoleCause[] = [];
  for (const line of [...lines].reverse()) {
    for (const r of RULES) {
      if (r.match.test(line) && !causes.some((c) => c.id === r.id))
        causes.push({ id: r.id, text: r.text, line });
    }
  }
  return causes;
}

/** The last `n` lines of console bytes, with the causes they show (latest first). */
export function consoleEvidence(bytes: Buffer, n = 20): ConsoleEvidence {
  const lines = consoleText(lastLines(bytes, n));
  return { lines, causes: consoleCauses(lines) };
}
