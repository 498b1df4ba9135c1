/**
 * The IPMI commands rackpilot uses, as data codecs shared by the client and the lab BMC:
 * Get Channel Authentication Capabilities, Get Device ID, Get Chassis Status, Chassis Control,
 * and the boot flags parameter (5) of Set/Get System Boot Options. Pure.
 */
import { CodecError, NetFn } from './codec.ts';

export const Cmd = {
  GetDeviceId: { netFn: NetFn.App, cmd: 0x01 },
  GetDeviceGuid: { netFn: NetFn.App, cmd: 0x08 },
  GetChannelAuthCaps: { netFn: NetFn.App, cmd: 0x38 },
  SetSessionPrivilege: { netFn: NetFn.App, cmd: 0x3b },
  CloseSession: { netFn: NetFn.App, cmd: 0x3c },
  GetChannelCipherSuites: { netFn: NetFn.App, cmd: 0x54 },
  GetChassisStatus: { netFn: NetFn.Chassis, cmd: 0x01 },
  ChassisControl: { netFn: NetFn.Chassis, cmd: 0x02 },
  SetSystemBootOptions: { netFn: NetFn.Chassis, cmd: 0x08 },
  GetSystemBootOptions: { netFn: NetFn.Chassis, cmd: 0x09 },
} as const;

// --- Get Channel Authentication Capabilities --------------------------------------------------

/** Channel 0x0E is "this channel"; bit 7 asks for IPMI v2.0 extended data. */
export const CURRENT_CHANNEL_V2 = 0x8e;

export interface AuthCapabilities {
  channel: number;
  /** Bit 7 of byte 2: the BMC has IPMI v2.0+ extended capabilities. */
  extended: boolean;
  authTypes: number;
  anonymousLogin: boolean;
  nullUsers: boolean;
  nonNullUsers: boolean;
  supportsV15: boolean;
  supportsV20: boolean;
  oemId: number;
}

export function encodeAuthCapsResponse(c: AuthCapabilities): Buffer {
  const out = Buffer.alloc(8);
  out[0] = c.channel;
  out[1] = (c.extended ? 0x80 : 0) | (c.authTypes & 0x3f);
  out[2] = (c.nonNullUsers ? 0x08 : 0) | (c.nullUsers ? 0x04 : 0) | (c.anonymousLogin ? 0x02 : 0);
  out[3] = (c.supportsV20 ? 0x02 : 0) | (c.supportsV15 ? 0x01 : 0);
  out.writeUIntLE(c.oemId, 4, 3);
  return out;
}

export function decodeAuthCapsResponse(data: Buffer): AuthCapabilities {
  if (data.length < 8) throw new CodecError('Get Channel Authentication Capabilities response too short');
  return {
    channel: data[0]!,
    extended: (data[1]! & 0x80) !== 0,
    authTypes: data[1]! & 0x3f,
    anonymousLogin: (data[2]! & 0x02) !== 0,
    nullUsers: (data[2]! & 0x04) !== 0,
    nonNullUsers: (data[2]! & 0x08) !== 0,
    supportsV15: (data[3]! & 0x01) !== 0,
    supportsV20: (data[3]! & 0x02) !== 0,
    oemId: data.readUIntLE(4, 3),
  };
}

// --- Get Device ID ------------------------------------------------------------------------------

export interface DeviceId {
  deviceId: number;
  deviceRevision: number;
  providesSdrs: boolean;
  firmwareMajor: number;
  /** Minor firmware revision, decoded from BCD. */
  firmwareMinor: number;
  firmware: string;
  /** "2.0" for IPMI v2.0. */
  ipmiVersion: string;
  manufacturerId: number;
  productId: number;
  available: boolean;
}

function fromBcd(b: number): number {
  return (b >> 4) * 10 + (b & 0x0f);
}

function toBcd(n: number): number {
  return ((Math.floor(n / 10) % 10) << 4) | (n % 10);
}

export function encodeDeviceIdResponse(d: Omit<DeviceId, 'firmware' | 'ipmiVersion'>): Buffer {
  const out = Buffer.alloc(11);
  out[0] = d.deviceId;
  out[1] = (d.providesSdrs ? 0x80 : 0) | (d.deviceRevision & 0x0f);
  out[2] = (d.available ? 0 : 0x80) | (d.firmwareMajor & 0x7f);
  out[3] = toBcd(d.firmwareMinor);
  out[4] = 0x02; // IPMI 2.0: minor in bits 7:4, major in 3:0
  out[5] = 0x9f; // sensor, SDR repository, SEL, FRU, chassis device
  out.writeUIntLE(d.manufacturerId, 6, 3);
  out.writeUInt16LE(d.productId, 9);
  return out;
}

export function decodeDeviceIdResponse(data: Buffer): DeviceId {
  if (data.length < 11) throw new CodecError('Get Device ID response too short');
  const major = data[2]! & 0x7f;
  const minor = fromBcd(data[3]!);
  return {
    deviceId: data[0]!,
    deviceRevision: data[1]! & 0x0f,
    providesSdrs: (data[1]! & 0x80) !== 0,
    firmwareMajor: major,
    firmwareMinor: minor,
    firmware: `${major}.${String(minor).padStart(2, '0')}`,
    ipmiVersion: `${data[4]! & 0x0f}.${data[4]! >> 4}`,
    manufacturerId: data.readUIntLE(6, 3),
    productId: data.readUInt16LE(9),
    available: (data[2]! & 0x80) === 0,
  };
}

// --- Chassis ------------------------------------------------------------------------------------

export type PowerState = 'on' | 'off';
export type { PowerAction } from '../bmc/vocabulary.ts';
import type { PowerAction } from '../bmc/vocabulary.ts';

/** Chassis Control data byte 1 (§28.3). */
export const CHASSIS_CONTROL: Record<PowerAction, number> = {
  off: 0x00,
  on: 0x01,
  cycle: 0x02,
  reset: 0x03,
  soft: 0x05,
};

export interface ChassisStatus {
  power: PowerState;
  overload: boolean;
  interlock: boolean;
  powerFault: boolean;
  controlFault: boolean;
  restorePolicy: 'off' | 'previous' | 'on' | 'unknown';
}

const RESTORE = ['off', 'previous', 'on', 'unknown'] as const;

export function encodeChassisStatusResponse(s: ChassisStatus): Buffer {
  const byte1 =
    (s.power === 'on' ? 0x01 : 0) |
    (s.overload ? 0x02 : 0) |
    (s.interlock ? 0x04 : 0) |
    (s.powerFault ? 0x08 : 0) |
    (s.controlFault ? 0x10 : 0) |
    (RESTORE.indexOf(s.restorePolicy) << 5);
  return Buffer.from([byte1, 0x00, 0x00]);
}

export function decodeChassisStatusResponse(data: Buffer): ChassisStatus {
  if (data.length < 3) throw new CodecError('Get Chassis Status response too short');
  const b = data[0]!;
  return {
    power: b & 0x01 ? 'on' : 'off',
    overload: (b & 0x02) !== 0,
    interlock: (b & 0x04) !== 0,
    powerFault: (b & 0x08) !== 0,
    controlFault: (b & 0x10) !== 0,
    restorePolicy: RESTORE[(b >> 5) & 3]!,
  };
}

// --- Boot options -------------------------------------------------------------------------------

export const BootParam = { SetInProgress: 0, ServicePartitionScan: 3, InfoAck: 4, BootFlags: 5 } as const;

export type { BootDeviceName } from '../bmc/vocabulary.ts';
import type { BootDeviceName } from '../bmc/vocabulary.ts';

type KnownBootDevice = Exclude<BootDeviceName, `unknown (0x${string})`>;

const SELECTOR: Record<KnownBootDevice, number> = {
  none: 0x0,
  pxe: 0x1,
  disk: 0x2,
  safe: 0x3,
  diag: 0x4,
  cdrom: 0x5,
  bios: 0x6,
  'remote-floppy': 0x7,
  'remote-cdrom': 0x8,
  remote: 0x9,
  'remote-disk': 0xb,
  floppy: 0xf,
};

const BY_SELECTOR = new Map<number, KnownBootDevice>(
  (Object.entries(SELECTOR) as [KnownBootDevice, number][]).map(([k, v]) => [v, k]),
);

/** How an operator reads each device (the spec's wording, short). */
const DEVICE_LABEL: Record<KnownBootDevice, string> = {
  none: 'none',
  pxe: 'pxe',
  disk: 'disk',
  safe: 'disk (safe mode)',
  diag: 'diagnostic partition',
  cdrom: 'cdrom',
  bios: 'bios setup',
  'remote-floppy': 'remote floppy',
  'remote-cdrom': 'remote cdrom',
  remote: 'remote media',
  'remote-disk': 'remote disk',
  floppy: 'floppy',
};

/** The device as an operator reads it: `pxe`, `disk`, `cdrom`, `bios setup`, `unknown (0x0a)`… */
export function bootDeviceLabel(device: string): string {
  return DEVICE_LABEL[device as KnownBootDevice] ?? device;
}

function selectorOf(device: BootDeviceName): number {
  const known = SELECTOR[device as KnownBootDevice];
  if (known !== undefined) return known;
  const m = /^unknown \(0x([0-9a-f]{1,2})\)$/i.exec(device);
  const n = m ? parseInt(m[1]!, 16) : NaN;
  if (!(n >= 0 && n <= 0x0f)) throw new CodecError(`unknown boot device ${device}`);
  return n;
}

export interface BootFlags {
  /** Byte 1 bit 7: when false the BMC applies no override. */
  valid: boolean;
  persistent: boolean;
  efi: boolean;
  device: BootDeviceName;
}

export function encodeBootFlags(f: BootFlags): Buffer {
  const out = Buffer.alloc(5);
  out[0] = (f.valid ? 0x80 : 0) | (f.persistent ? 0x40 : 0) | (f.efi ? 0x20 : 0);
  out[1] = selectorOf(f.device) << 2;
  return out;
}

export function decodeBootFlags(data: Buffer): BootFlags {
  if (data.length < 2) throw new CodecError('boot flags parameter too short');
  const sel = (data[1]! >> 2) & 0x0f;
  const device: BootDeviceName = BY_SELECTOR.get(sel) ?? `unknown (0x${sel.toString(16).padStart(2, '0')})`;
  return {
    valid: (data[0]! & 0x80) !== 0,
    persistent: (data[0]! & 0x40) !== 0,
    efi: (data[0]! & 0x20) !== 0,
    device,
  };
}

/** Set System Boot Options request data: parameter selector (bit 7 = mark invalid) then data. */
export function encodeSetBootOption(param: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([param & 0x7f]), data]);
}

export function encodeGetBootOption(param: number): Buffer {
  return Buffer.from([param & 0x7f, 0x00, 0x00]);
}

export interface BootOptionResponse {
  version: number;
  param: number;
  /** Bit 7 of the parameter byte: parameter marked invalid / locked. */
  invalid: boolean;
  data: Buffer;
}

export function decodeGetBootOptionResponse(data: Buffer): BootOptionResponse {
  if (data.length < 2) throw new CodecError('Get System Boot Options response too short');
  return {
    version: data[0]! & 0x0f,
    param: data[1]! & 0x7f,
    invalid: (data[1]! & 0x80) !== 0,
    data: Buffer.from(data.subarray(2)),
  };
}

export function encodeGetBootOptionResponse(param: number, data: Buffer, invalid = false): Buffer {
  return Buffer.concat([Buffer.from([0x01, (invalid ? 0x80 : 0) | (param & 0x7f)]), data]);
}
