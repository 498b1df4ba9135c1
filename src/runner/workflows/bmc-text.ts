/**
 * What a step sends to a host's BMC, in the protocol's own terms, for plans and task logs: IPMI's
 * Chassis Control and Set System Boot Options bytes, or Redfish's Reset action and Boot PATCH.
 * The operator confirms these lines; they are what the BMC clients send.
 */
import type { Host } from '../../protocol/records.ts';
import { bmcAddressLabel } from '../site/bmc-target.ts';
import { bootPatch, resetTypeFor } from '../../gear/redfish/semantics.ts';
import type { BootSetting, PowerAction } from './adapters.ts';

export const IPMI_ACTION_TEXT: Record<PowerAction, string> = {
  on: 'Chassis Control 0x01 power up',
  off: 'Chassis Control 0x00 power down (hard)',
  soft: 'Chassis Control 0x05 soft shutdown (ACPI)',
  cycle: 'Chassis Control 0x02 power cycle',
  reset: 'Chassis Control 0x03 hard reset',
};

const isRedfish = (host: Host) => host.ipmi.protocol === 'redfish';

/** `IPMI 10.0.0.5:623` or `Redfish https://10.0.0.5`. */
export function bmcLabel(host: Host): string {
  return bmcAddressLabel(host.ipmi);
}

/** The ComputerSystem as a plan can name it before the BMC is asked. */
export function redfishSystem(host: Host): string {
  return host.ipmi.systemId
    ? `/redfish/v1/Systems/${host.ipmi.systemId}`
    : '/redfish/v1/Systems/{the one member}';
}

export function powerText(host: Host, action: PowerAction): string {
  if (!isRedfish(host)) return IPMI_ACTION_TEXT[action];
  return `POST ${redfishSystem(host)}/Actions/ComputerSystem.Reset {"ResetType":"${resetTypeFor(action)}"}`;
}

export function powerReadText(host: Host): string {
  return isRedfish(host) ? `GET ${redfishSystem(host)} (PowerState)` : 'Get Chassis Status';
}

/**
 * The boot override write. Redfish: the PATCH body (BootSourceOverrideMode only when the system has
 * it, which the plan cannot know before reading) with If-Match set to the system's ETag.
 */
export function bootSetText(host: Host, boot: BootSetting, ipmiBytes: string): string {
  if (!isRedfish(host)) return `Set System Boot Options param 5: ${describeBoot(boot)} [${ipmiBytes}]`;
  return `${bootSetCommand(host, boot, ipmiBytes)}: ${describeBoot(boot)}`;
}

/** The request alone, for a log line that has already said what it sets. */
export function bootSetCommand(host: Host, boot: BootSetting, ipmiBytes: string): string {
  if (!isRedfish(host)) return `Set System Boot Options param 5 [${ipmiBytes}]`;
  const body = bootPatch(
    { Boot: { BootSourceOverrideMode: 'UEFI' } },
    {
      device: boot.device,
      persistent: boot.persistent,
      efi: boot.efi,
    },
  );
  return `PATCH ${redfishSystem(host)} ${JSON.stringify(body)} (If-Match: its ETag; Mode only if the system has it)`;
}

export function bootReadText(host: Host): string {
  return isRedfish(host) ? `GET ${redfishSystem(host)} (Boot)` : 'Get System Boot Options 05 00 00';
}

export function describeBoot(boot: { device: string; persistent: boolean; efi: boolean }): string {
  if (boot.device === 'none') return 'no override (BIOS boot order)';
  return `boot ${boot.device}, ${boot.persistent ? 'persistent' : 'next boot only'}, ${boot.efi ? 'EFI' : 'legacy'}`;
}
