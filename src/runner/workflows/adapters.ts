import type { OperationEstimate } from '../doctor/history.ts';
import type { MaasClient } from '../../gear/maas/client.ts';
import type { Clock } from '../tasks/clock.ts';
import type { Store } from '../store/store.ts';
import type { Host } from '../../protocol/records.ts';
import type { BootMethod } from '../../config/rack/schema.ts';

/**
 * What the workflows need from the outside world, as interfaces: the real clients satisfy them in
 * production and in the lab alike; nothing here opens a socket.
 */

/** The MaaS calls the workflows make (a subset of MaasClient, same signatures). */
export type MaasPort = Pick<
  MaasClient,
  | 'listMachines'
  | 'readMachine'
  | 'createMachine'
  | 'allocate'
  | 'setOwnerData'
  | 'whoami'
  | 'deploy'
  | 'release'
  | 'abort'
  | 'markBroken'
  | 'markFixed'
  | 'listInterfaces'
  | 'createBond'
  | 'updateInterfaceMac'
  | 'listBootResources'
  | 'queryEvents'
> & {
  readonly baseUrl: string;
  /** DELETE nodes/{id}/interfaces/{iid}/ (204); used to undo a bond. */
  deleteInterface(systemId: string, interfaceId: number, signal?: AbortSignal): Promise<void>;
};

export type PortOp =
  | { port: string; op: 'access'; vlan: number }
  | { port: string; op: 'tagAdd'; vlan: number }
  | { port: string; op: 'tagRemove'; vlan: number }
  | { port: string; op: 'resetPxe' };

export interface PortMembership {
  untagged: number | null;
  tagged: number[];
}

/** ToR switches by name (the rack file's switch name); credentials stay inside the adapter. */
/** What a switch session did for `apply`, when the adapter reports it: the CLI lines sent. */
export interface SwitchApplied {
  /** Every line typed for this change: the session's configure, end and save included. */
  lines: readonly string[];
  /** e.g. that the save was shared with other changes in one session. */
  note?: string;
}

export interface SwitchPort {
  /** May report the exact lines sent (they depend on the ports' live state); the task log shows them. */
  apply(switchName: string, changes: PortOp[], signal?: AbortSignal): Promise<void | SwitchApplied>;
  showPort(switchName: string, port: string, signal?: AbortSignal): Promise<PortMembership>;
  /** Port where the switch learned this MAC, or null when it has not. */
  findMac(switchName: string, mac: string, signal?: AbortSignal): Promise<string | null>;
  /** The exact CLI lines `apply` would send, without connecting. */
  plan(switchName: string, changes: PortOp[], current?: Record<string, PortMembership>): string[];
  pxeVlan(switchName: string): number;
}

import type { PowerAction } from '../../gear/bmc/vocabulary.ts';
import type { EraseMode } from '../../gear/maas/vocabulary.ts';
export { BOOT_DEVICES, POWER_ACTIONS, type BootDevice, type PowerAction } from '../../gear/bmc/vocabulary.ts';
export type {
  BootReading,
  BootSetting,
  RedfishOnlyDevice,
  WritableBootDevice,
} from '../../gear/bmc/vocabulary.ts';
import type { BootReading, BootSetting } from '../../gear/bmc/vocabulary.ts';

/** BMCs of the hosts in the store (address and credentials come from the host record). */
export interface BmcPort {
  powerStatus(host: Host, signal?: AbortSignal): Promise<'on' | 'off'>;
  power(host: Host, action: PowerAction, signal?: AbortSignal): Promise<void>;
  setBootDevice(host: Host, boot: BootSetting, signal?: AbortSignal): Promise<void>;
  getBootDevice(host: Host, signal?: AbortSignal): Promise<BootReading>;
}

/** One NIC of a host as the rack file cables it. */
export interface CabledNic {
  mac: string;
  switch: string;
  port: string;
}

/** The rack file, as the workflows query it. */
export interface RackPort {
  /**
   * False when no rack file is configured: MaaS and the BMCs are still driven, the ToR switches
   * are left alone (no cabling check, no VLAN change, no bond). With a rack file, a host missing
   * from it is an error, as ever.
   */
  readonly configured: boolean;
  /** Every rack-file NIC for these MACs (any of a host's MACs finds all entries with its hostname). */
  nicsFor(macs: readonly string[], hostname?: string): CabledNic[];
  /** Whether a VLAN may be used on this switch (its allowedVlans list, if any). */
  vlanAllowed(switchName: string, vlan: number): boolean;
  /** The rack file's `bootMethod` for the machine, overriding MaaS's bios_boot_method; else undefined. */
  bootMethod(macs: readonly string[], hostname?: string): BootMethod | undefined;
}

export interface WorkflowSettings {
  eraseMode: EraseMode;
  /** How long to wait for MaaS to finish deploying; MaaS's own node_timeout is 30 min. */
  deployTimeoutMs: number;
  /** Releasing plus disk erasing; a full erase of large disks takes hours. */
  releaseTimeoutMs: number;
  commissionTimeoutMs: number;
  /** Soft power-off before the hard one. */
  stopTimeoutMs: number;
  powerOnTimeoutMs: number;
  pollMs: number;
}

export const DEFAULT_SETTINGS: WorkflowSettings = {
  eraseMode: 'quick',
  deployTimeoutMs: 40 * 60_000,
  releaseTimeoutMs: 6 * 3600_000,
  commissionTimeoutMs: 40 * 60_000,
  stopTimeoutMs: 120_000,
  powerOnTimeoutMs: 120_000,
  pollMs: 5_000,
};

export interface WorkflowDeps {
  maas: MaasPort;
  switches: SwitchPort;
  bmcs: BmcPort;
  rack: RackPort;
  store: Store;
  settings: WorkflowSettings;
  /** Waits between polls go through it, so the lab at time scale 0 does not wait. */
  clock: Clock;
  /** This site's typical duration of a MaaS operation (the doctor's stage history), when known. */
  estimate?: (operation: 'deploy' | 'commission' | 'erase' | 'release') => OperationEstimate | null;
}
