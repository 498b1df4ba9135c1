/**
 * What a lab host's serial console prints, stage by stage, in the words of the real firmware and
 * software: SeaBIOS and iPXE on legacy-BIOS hosts, EDK2 (OVMF) on UEFI hosts, PXELINUX and GRUB,
 * Linux's boot and panic lines, cloud-init's banners, curtin's stage lines, a getty login prompt.
 * Pure: each function returns the lines of one stage; host-console.ts times them.
 */

export type Firmware = 'bios' | 'uefi';

export interface ConsoleHost {
  hostname: string;
  firmware: Firmware;
  /** First NIC's MAC, colon form. */
  mac: string;
  /** The address MaaS serves PXE from (the lab's region address). */
  maasIp: string;
  /** The host's address on the PXE network. */
  ip: string;
}

const SERIES: Record<string, { release: string; kernel: string; build: string }> = {
  focal: { release: 'Ubuntu 20.04.6 LTS', kernel: '5.4.0-169-generic', build: '#187-Ubuntu' },
  jammy: { release: 'Ubuntu 22.04.4 LTS', kernel: '5.15.0-101-generic', build: '#111-Ubuntu' },
  noble: { release: 'Ubuntu 24.04.1 LTS', kernel: '6.8.0-45-generic', build: '#45-Ubuntu' },
};
const CLOUD_INIT_VERSION = '24.1.3-0ubuntu1~22.04.5';

export function seriesInfo(series: string): { release: string; kernel: string; build: string } {
  return SERIES[series] ?? SERIES['jammy']!;
}

const macPlain = (mac: string) => mac.replace(/:/g, '').toUpperCase();

function pxeDevicePath(mac: string): string {
  return `PciRoot(0x0)/Pci(0x3,0x0)/MAC(${macPlain(mac)},0x1)/IPv4(0.0.0.0,0x0,DHCP,0.0.0.0,0.0.0.0,0.0.0.0)`;
}

/** Power-on self test up to the boot device choice (OVMF prints nothing on the serial line until BDS). */
export function postLines(h: ConsoleHost): string[] {
  return h.firmware === 'uefi' ? [] : ['SeaBIOS (version 1.15.0-1)', '', ''];
}

/** The PXE ROM starts and asks for DHCP (the dots follow while it waits). */
export function pxeStartLines(h: ConsoleHost): string[] {
  if (h.firmware === 'uefi') {
    return [
      'BdsDxe: loading Boot0001 "UEFI PXEv4 (MAC:' + macPlain(h.mac) + ')" from ' + pxeDevicePath(h.mac),
      'BdsDxe: starting Boot0001 "UEFI PXEv4 (MAC:' + macPlain(h.mac) + ')" from ' + pxeDevicePath(h.mac),
      '',
      '>>Start PXE over IPv4.',
    ];
  }
  return [
    'Booting from ROM...',
    'iPXE (PCI 00:03.0) starting execution...ok',
    'iPXE initialising devices...ok',
    '',
    '',
    '',
    'iPXE 1.21.1+ (g4bd064de) -- Open Source Network Boot Firmware -- https://ipxe.org',
    'Features: DNS HTTP iSCSI TFTP AoE ELF MBOOT PXE bzImage Menu PXEXT',
    '',
    `net0: ${h.mac} using virtio-net on 0000:00:03.0 (Ethernet) [open]`,
    '  [Link:up, TX:0 TXE:0 RX:0 RXE:0]',
  ];
}

/** DHCP answered: the network boot program comes from MaaS. */
export function pxeOfferLines(h: ConsoleHost): string[] {
  if (h.firmware === 'uefi') {
    return [
      '  Station IP address is ' + h.ip,
      '',
      '  Server IP address is ' + h.maasIp,
      '  NBP filename is bootx64.efi',
      '  NBP filesize is 955656 Bytes',
      ' Downloading NBP file...',
      '',
      '  Succeed to download NBP file.',
    ];
  }
  return [
    `Configuring (net0 ${h.mac})...... ok`,
    `net0: ${h.ip}/255.255.255.0 gw ${h.maasIp}`,
    `Next server: ${h.maasIp}`,
    'Filename: lpxelinux.0',
    `tftp://${h.maasIp}/lpxelinux.0... ok`,
    'lpxelinux.0 : 91300 bytes [PXE-NBP]',
    'PXELINUX 6.04 PXE 20200816 Copyright (C) 1994-2015 H. Peter Anvin et al',
  ];
}

/** No DHCP offer came (the port is not on the PXE VLAN): the ROM gives up, the firmware moves on. */
export function pxeTimeoutLines(h: ConsoleHost): string[] {
  if (h.firmware === 'uefi') {
    return [
      '  PXE-E16: No valid offer received.',
      `BdsDxe: failed to load Boot0001 "UEFI PXEv4 (MAC:${macPlain(h.mac)})" from ${pxeDevicePath(h.mac)}: Not Found`,
    ];
  }
  return [
    `Configuring (net0 ${h.mac})...................... No configuration methods succeeded (https://ipxe.org/040ee186)`,
    'No more network devices',
    '',
  ];
}

export type DiskState = 'blank' | 'os' | 'wiped';

/** The firmware tries the local disk. `os`: GRUB takes over; otherwise the boot fails there. */
export function diskBootLines(h: ConsoleHost, disk: DiskState, hadGrub: boolean): string[] {
  if (h.firmware === 'uefi') {
    if (disk === 'os')
      return [
        'BdsDxe: loading Boot0003 "ubuntu" from HD(1,GPT,8A3C2B1D-4E5F-4A6B-9C7D-1E2F3A4B5C6D,0x800,0x219800)/\\EFI\\ubuntu\\shimx64.efi',
      ];
    return [
      'BdsDxe: failed to load Boot0002 "UEFI QEMU HARDDISK QM00001 " from PciRoot(0x0)/Pci(0x1,0x1)/Ata(Primary,Master,0x0): Not Found',
      'BdsDxe: No bootable option or device was found.',
      'BdsDxe: Press any key to enter the Boot Manager Menu.',
    ];
  }
  if (disk === 'os') return ['Booting from Hard Disk...'];
  if (disk === 'wiped' && hadGrub) {
    // curtin rewrote the partition table; GRUB's core image in the MBR gap survived and finds nothing.
    return [
      'Booting from Hard Disk...',
      'GRUB loading.',
      'Welcome to GRUB!',
      '',
      'error: no such partition.',
      'Entering rescue mode...',
    ];
  }
  return ['Booting from Hard Disk...', 'Boot failed: not a bootable disk', '', 'No bootable device.'];
}

export const GRUB_RESCUE_PROMPT = 'grub rescue> ';

function stamp(seconds: number): string {
  return `[${seconds.toFixed(6).padStart(12)}]`;
}

/** The kernel starts: MaaS's ephemeral image (netboot) or the installed OS (from disk). */
export function kernelLines(h: ConsoleHost, series: string, from: 'ephemeral' | 'disk'): string[] {
  const s = seriesInfo(series);
  const cmdline =
    from === 'ephemeral'
      ? `BOOT_IMAGE=ubuntu/amd64/ga-22.04/${series}/stable/boot-kernel nomodeset ro root=squash:http://${h.maasIp}:5248/images/ubuntu/amd64/ga-22.04/${series}/stable/squashfs ip=::::${h.hostname}:BOOTIF ip6=off console=tty1 console=ttyS0,115200n8 overlayroot=tmpfs overlayroot_cfgdisk=disabled cc:{'datasource_list': ['MAAS']}end_cc cloud-config-url=http://${h.maasIp}:5248/MAAS/metadata/latest/by-id/${h.hostname}/?op=get_preseed apparmor=0 log_host=${h.maasIp} log_port=5247`
      : `BOOT_IMAGE=/boot/vmlinuz-${s.kernel} root=UUID=6a7f1c2e-8d0b-4c3e-9f4a-2b1d5e7c9a10 ro console=tty1 console=ttyS0,115200n8`;
  const head = from === 'ephemeral' ? ['Booting under MAAS direction...'] : [];
  return [
    ...head,
    `${stamp(0)} Linux version ${s.kernel} (buildd@lcy02-amd64-086) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) ${s.build} SMP Wed Feb 14 10:38:22 UTC 2024`,
    `${stamp(0)} Command line: ${cmdline}`,
    `${stamp(0.000012)} KERNEL supported cpus:`,
    `${stamp(0.184233)} Memory: 16219808K/16776756K available`,
    `${stamp(1.024118)} Run /init as init process`,
  ];
}

/** An initrd that arrives corrupt: the kernel has no root to mount and panics. */
export function kernelPanicLines(series: string): string[] {
  const s = seriesInfo(series);
  const reason = 'VFS: Unable to mount root fs on unknown-block(0,0)';
  return [
    `${stamp(0.412233)} Initramfs unpacking failed: invalid magic at start of compressed archive`,
    `${stamp(1.602044)} VFS: Cannot open root device "(null)" or unknown-block(0,0): error -6`,
    `${stamp(1.602102)} Please append a correct "root=" boot option; here are the available partitions:`,
    `${stamp(1.602118)} Kernel panic - not syncing: ${reason}`,
    `${stamp(1.60217)} CPU: 0 PID: 1 Comm: swapper/0 Not tainted ${s.kernel} ${s.build}`,
    `${stamp(1.602201)} Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 0.0.0 02/06/2015`,
    `${stamp(1.6029)} ---[ end Kernel panic - not syncing: ${reason} ]---`,
  ];
}

/** cloud-init's banner for one of its stages (cloudinit/cmd/main.py's welcome format). */
export function cloudInitBanner(stage: string, uptime: number, at = new Date()): string {
  return `${stamp(uptime)} cloud-init[${600 + stage.length}]: Cloud-init v. ${CLOUD_INIT_VERSION} running '${stage}' at ${at.toUTCString().replace(/ GMT$/, ' +0000')}. Up ${uptime.toFixed(2)} seconds.`;
}

/** cloud-init's final message (cc_final_message's default). */
export function cloudInitFinal(h: ConsoleHost, uptime: number, at = new Date()): string {
  return `${stamp(uptime)} cloud-init[1123]: Cloud-init v. ${CLOUD_INIT_VERSION} finished at ${at.toUTCString().replace(/ GMT$/, ' +0000')}. Datasource DataSourceMAAS [http://${h.maasIp}:5248/MAAS/metadata/].  Up ${uptime.toFixed(2)} seconds`;
}

/** A line of curtin's install output as cloud-init relays it to the console. */
export function curtinLine(line: string, uptime: number): string {
  return `${stamp(uptime)} cloud-init[1123]: ${line}`;
}

/** The installed OS reaches its getty. */
export function loginLines(h: ConsoleHost, series: string): string[] {
  const s = seriesInfo(series);
  return ['', `${s.release} ${h.hostname} ttyS0`, ''];
}

export function loginPrompt(hostname: string): string {
  return `${hostname} login: `;
}

/** The installed OS shuts down for a reboot (curtin's reboot at the end of the install). */
export function rebootLines(): string[] {
  return ['[  OK  ] Reached target System Reboot.', `${stamp(412.118204)} reboot: Restarting system`];
}

/** MaaS's disk erase: maas_wipe's own lines for the lab's one disk. */
export function eraseLines(mode: string): string[] {
  const body =
    mode === 'quick'
      ? ['sda: starting quick wipe.', 'sda: successfully quickly wiped.']
      : mode === 'secure'
        ? ['sda: successfully securely erased.']
        : ['sda: started zeroing.', 'sda: successfully zeroed.'];
  return ['sda to be wiped.', ...body, 'All disks have been successfully wiped.'];
}
