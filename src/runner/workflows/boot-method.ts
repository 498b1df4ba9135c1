import type { Host } from '../../protocol/records.ts';
import type { MaasMachine } from '../../gear/maas/schemas.ts';
import type { WorkflowDeps } from './adapters.ts';

/** How a step reads the machine: MaaS at once, or what its task has just been told. */
export type MachineRead = (systemId: string, signal?: AbortSignal) => Promise<MaasMachine>;

/**
 * EFI or legacy for the IPMI boot flags (byte 1 bit 5). A UEFI-only server told to boot legacy
 * (or the reverse) ignores the override or fails to boot, so the bit must match the firmware.
 */
export interface BootMethodChoice {
  efi: boolean;
  /** Where the answer came from, for the task log and the plan. */
  why: string;
  /** The answer is MaaS's default rather than something known about this host. */
  assumed?: boolean;
}

const OVERRIDE_HINT = 'set "bootMethod" on the host in the rack file if it boots the other way';

/**
 * MaaS's `bios_boot_method` as MaaS itself acts on it (Node.get_bios_boot_method): "uefi" is EFI;
 * "pxe" is the legacy BIOS; anything else ("ipxe", "open-firmware", …) or none (the machine has
 * never PXE-booted through MaaS) falls back to MaaS's default, "pxe".
 */
export function bootMethodFromMaas(biosBootMethod: string | null | undefined): BootMethodChoice {
  if (biosBootMethod === 'uefi') return { efi: true, why: 'MaaS bios_boot_method "uefi"' };
  if (biosBootMethod === 'pxe') return { efi: false, why: 'MaaS bios_boot_method "pxe" (legacy BIOS)' };
  if (!biosBootMethod) {
    return {
      efi: false,
      why: `MaaS has no bios_boot_method yet: legacy, as MaaS assumes; ${OVERRIDE_HINT}`,
      assumed: true,
    };
  }
  return {
    efi: false,
    why: `MaaS bios_boot_method "${biosBootMethod}" is not one MaaS acts on: legacy, as MaaS assumes; ${OVERRIDE_HINT}`,
    assumed: true,
  };
}

/** The rack file's `bootMethod` for the host when it has one (no MaaS call), else undefined. */
export function bootMethodOverride(deps: WorkflowDeps, host: Host): BootMethodChoice | undefined {
  const m = deps.rack.bootMethod([host.mac, ...host.macs], host.hostname);
  return m && { efi: m === 'uefi', why: `rack file bootMethod "${m}"` };
}

/** The rack file's override, else what MaaS reports for the machine. */
export async function bootMethodFor(
  deps: WorkflowDeps,
  host: Host,
  signal?: AbortSignal,
  machine: MachineRead = (id, s) => deps.maas.readMachine(id, s),
): Promise<BootMethodChoice> {
  const override = bootMethodOverride(deps, host);
  if (override) return override;
  if (!host.maasSystemId) return bootMethodFromMaas(undefined);
  const m = await machine(host.maasSystemId, signal);
  return bootMethodFromMaas(m.bios_boot_method);
}
