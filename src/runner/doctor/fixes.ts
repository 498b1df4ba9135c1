import type { DoctorFacts } from './facts.ts';
import type { Fix } from '../../protocol/doctor.ts';
import { statusCode, statusName } from './cause.ts';

/** The fixes the rules offer: the fixed ones, and those that apply only to some tasks or states. */

export function resumeFix(f: DoctorFacts): Fix[] {
  const task = f.task;
  if (!task || (task.state !== 'failed' && task.state !== 'interrupted')) return [];
  return [
    {
      id: 'resume',
      label: `resume task ${task.id} (${task.kind}) from its first unfinished step`,
      kind: 'task.resume',
      taskId: task.id,
    },
  ];
}

export function resetFix(f: DoctorFacts, first?: string): Fix[] {
  const failed = new Set([2, 11, 15, 22]);
  const s = statusCode(f);
  if (s === null || !failed.has(s)) return [];
  return [
    {
      id: 'reset-failed',
      label: `reset ${statusName(f)} to Ready (mark broken, mark fixed)`,
      kind: 'host.reset-failed',
      ...(first && { first }),
    },
  ];
}

export const PXE_BOOT: Fix = {
  id: 'pxe-boot',
  label: 'boot from PXE (next boot) and power on or cycle',
  kind: 'host.pxe-boot',
};
export const DISK_BOOT: Fix = {
  id: 'disk-boot',
  label: 'boot from disk first (persistent)',
  kind: 'host.bootdev',
};
export const PORTS_PXE: Fix = {
  id: 'ports-pxe',
  label: 'ToR ports back to the PXE VLAN',
  kind: 'host.ports-pxe',
};
export const POWER_CYCLE: Fix = { id: 'power-cycle', label: 'power cycle the host', kind: 'host.power' };
export const MARK_FIXED: Fix = {
  id: 'mark-fixed',
  label: 'mark the machine fixed in MaaS (back to Ready)',
  kind: 'host.maas',
};

/** The fixed fixes by id, for findings that name theirs (the console's). */
export const FIX_BY_ID: Partial<Record<Fix['id'], Fix>> = {
  'pxe-boot': PXE_BOOT,
  'ports-pxe': PORTS_PXE,
  'power-cycle': POWER_CYCLE,
};
