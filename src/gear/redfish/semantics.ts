/**
 * Redfish's ComputerSystem as rackpilot's BMC model sees it (pure, no I/O): power states, the
 * ResetType for each power action within the system's AllowableValues, the boot override PATCH
 * and its reading. Names follow DMTF's ComputerSystem schema (Boot.BootSourceOverride*).
 */
import type { PowerAction } from '../bmc/vocabulary.ts';

export type { PowerAction };

/** Redfish ResetType for each action, in order of preference. */
const RESET_TYPES: Record<PowerAction, readonly string[]> = {
  on: ['On'],
  off: ['ForceOff'],
  soft: ['GracefulShutdown'],
  // A power cycle is off-then-on; a BMC without PowerCycle still offers ForceRestart's warm reset
  // under `reset`, which is a different thing: cycle is not silently turned into it.
  cycle: ['PowerCycle'],
  reset: ['ForceRestart'],
};

/** The system's AllowableValues, or undefined when the service lists none (then every type is tried). */
export function allowableResetTypes(system: Record<string, unknown>): string[] | undefined {
  const actions = system['Actions'] as Record<string, unknown> | undefined;
  const reset = actions?.['#ComputerSystem.Reset'] as Record<string, unknown> | undefined;
  const values = reset?.['ResetType@Redfish.AllowableValues'];
  return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : undefined;
}

export function resetTarget(system: Record<string, unknown>, systemPath: string): string | undefined {
  const actions = system['Actions'] as Record<string, unknown> | undefined;
  const reset = actions?.['#ComputerSystem.Reset'] as Record<string, unknown> | undefined;
  const t = reset?.['target'];
  if (typeof t === 'string' && t.startsWith('/redfish/')) return t;
  return reset ? `${systemPath}/Actions/ComputerSystem.Reset` : undefined;
}

/** The ResetType an action sends (what a plan shows). */
export function resetTypeFor(action: PowerAction): string {
  return RESET_TYPES[action][0]!;
}

export type ResetChoice = { ok: true; resetType: string } | { ok: false; allowed: string[] };

export function chooseResetType(action: PowerAction, allowed: string[] | undefined): ResetChoice {
  const wanted = RESET_TYPES[action];
  if (!allowed) return { ok: true, resetType: wanted[0]! };
  const hit = wanted.find((w) => allowed.includes(w));
  return hit ? { ok: true, resetType: hit } : { ok: false, allowed };
}

/** The power an action leaves the host in, when it is a settled state the client can check. */
export function powerAfter(action: PowerAction): 'on' | 'off' | undefined {
  return action === 'on' ? 'on' : action === 'off' || action === 'soft' ? 'off' : undefined;
}

/**
 * MaaS's mapping (src/provisioningserver/drivers/power/redfish.py, power_query): a transition
 * counts as the state it leaves, so "off" is only reported once the host is off: Off and
 * PoweringOn are off; On, Paused and PoweringOff are on. Anything else (Reset, Unknown, absent)
 * is not a state rackpilot acts on.
 */
export function powerOf(system: Record<string, unknown>): 'on' | 'off' | undefined {
  const s = system['PowerState'];
  if (s === 'On' || s === 'PoweringOff' || s === 'Paused') return 'on';
  if (s === 'Off' || s === 'PoweringOn') return 'off';
  return undefined;
}

export type BootTarget = 'pxe' | 'disk' | 'bios' | 'cdrom' | 'none';

const TARGET_OF: Record<BootTarget, string> = {
  pxe: 'Pxe',
  disk: 'Hdd',
  bios: 'BiosSetup',
  cdrom: 'Cd',
  none: 'None',
};

const DEVICE_OF: Record<string, string> = {
  Pxe: 'pxe',
  Hdd: 'disk',
  BiosSetup: 'bios',
  Cd: 'cdrom',
  Floppy: 'floppy',
  Usb: 'usb',
  UefiHttp: 'uefi-http',
  UefiTarget: 'uefi-target',
  Diags: 'diag',
  RemoteDrive: 'remote-disk',
  None: 'none',
};

function bootOf(system: Record<string, unknown>): Record<string, unknown> {
  const b = system['Boot'];
  return typeof b === 'object' && b !== null ? (b as Record<string, unknown>) : {};
}

/** The override targets the service allows, when it lists them. */
export function allowableBootTargets(system: Record<string, unknown>): string[] | undefined {
  const v = bootOf(system)['BootSourceOverrideTarget@Redfish.AllowableValues'];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

export function bootTargetName(device: BootTarget): string {
  return TARGET_OF[device];
}

/**
 * The PATCH body. BootSourceOverrideMode only when the system has that property: services without
 * it (older firmware, legacy-only boards) refuse the whole PATCH over an unknown property.
 */
export function bootPatch(
  system: Record<string, unknown>,
  req: { device: BootTarget; persistent: boolean; efi: boolean },
): { Boot: Record<string, string> } {
  const hasMode = 'BootSourceOverrideMode' in bootOf(system);
  if (req.device === 'none') return { Boot: { BootSourceOverrideEnabled: 'Disabled' } };
  return {
    Boot: {
      BootSourceOverrideTarget: TARGET_OF[req.device],
      BootSourceOverrideEnabled: req.persistent ? 'Continuous' : 'Once',
      ...(hasMode && { BootSourceOverrideMode: req.efi ? 'UEFI' : 'Legacy' }),
    },
  };
}

export interface RedfishBootReading {
  device: string;
  /** False: Disabled, the firmware's own boot order applies. */
  valid: boolean;
  persistent: boolean;
  efi: boolean;
}

export function bootReading(system: Record<string, unknown>): RedfishBootReading {
  const b = bootOf(system);
  const target = typeof b['BootSourceOverrideTarget'] === 'string' ? b['BootSourceOverrideTarget'] : 'None';
  const enabled = b['BootSourceOverrideEnabled'];
  return {
    device: DEVICE_OF[target] ?? `other (${target.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 32)})`,
    valid: (enabled === 'Once' || enabled === 'Continuous') && target !== 'None',
    persistent: enabled === 'Continuous',
    efi: b['BootSourceOverrideMode'] === 'UEFI',
  };
}
