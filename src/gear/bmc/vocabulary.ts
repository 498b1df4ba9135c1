/**
 * The words every BMC protocol shares, declared once: what a power change may ask and which boot
 * devices the workflows set. IPMI (Chassis Control, §28.3) and Redfish (ResetType) each map these
 * to their own codes; the protocol, the CLI and the dashboard take them from here.
 */
export const POWER_ACTIONS = ['on', 'off', 'soft', 'cycle', 'reset'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];

/** The devices the workflows and `rackpilot ipmi HOST bootdev` set. */
export const BOOT_DEVICES = ['pxe', 'disk', 'bios'] as const;
export type BootDevice = (typeof BOOT_DEVICES)[number];

/** What setBootDevice can write: the devices above, a CD/DVD, or `none` (clear the override). */
export type WritableBootDevice = BootDevice | 'cdrom' | 'none';

export interface BootSetting {
  device: WritableBootDevice;
  persistent: boolean;
  efi: boolean;
}

/** Redfish boot targets IPMI has no selector for (Usb, UefiHttp…), reported as they are. */
export type RedfishOnlyDevice = 'usb' | 'uefi-http' | 'uefi-target' | `other (${string})`;

/** The boot flags as the BMC holds them: any device it reports, and whether the override is set. */
export interface BootReading {
  /** `pxe`, `disk`, `bios`, `cdrom`, `floppy`, `remote`, `unknown (0x0a)`… never mapped to another. */
  device: BootDeviceName | RedfishOnlyDevice;
  /** False: no override, the BIOS boot order applies (device and persistent are then moot). */
  valid: boolean;
  persistent: boolean;
  efi: boolean;
}

/**
 * Boot device names, as IPMI's boot flags select them (byte 2 bits 5:2, IPMI v2.0 table 28-14);
 * Redfish's BootSourceOverrideTarget values map onto the same names. The
 * reserved selectors a BMC may still report read as `unknown (0x0a)`, and encode back to the same
 * selector, so a setting read first can always be written back.
 */
export type BootDeviceName =
  | 'none'
  | 'pxe'
  | 'disk'
  | 'safe'
  | 'diag'
  | 'cdrom'
  | 'bios'
  | 'remote-floppy'
  | 'remote-cdrom'
  | 'remote'
  | 'remote-disk'
  | 'floppy'
  | `unknown (0x${string})`;
