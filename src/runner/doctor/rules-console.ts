import type { FixId } from '../../protocol/doctor.ts';
import { consoleCauses, type ConsoleCauseId } from './console-evidence.ts';
import type { DoctorFacts } from './facts.ts';
import { last, type Rule } from './cause.ts';
import { FIX_BY_ID, resetFix, resumeFix } from './fixes.ts';

/**
 * The cause the host's own console names, from the console lines among the doctor's further
 * evidence (`DoctorFacts.extra`, source `console`). Only the latest thing the console shows counts:
 * a panic followed by a login prompt is an old panic, not today's trouble.
 */
export const CONSOLE_SOURCE = 'console';

type Trouble = Exclude<ConsoleCauseId, 'os-login' | 'curtin-failed'>;

const TROUBLES: Record<Trouble, { title: string; fixes: FixId[]; hint?: string }> = {
  'pxe-no-offer': { title: 'console: no DHCP offer to PXE', fixes: ['ports-pxe', 'pxe-boot'] },
  'pxe-no-boot-file': {
    title: 'console: PXE got no boot file',
    fixes: ['pxe-boot'],
    hint: "MaaS: the rack controller's TFTP/HTTP boot service and boot images, reachable from the PXE VLAN",
  },
  'no-bootable-device': { title: 'console: no bootable device', fixes: ['pxe-boot'] },
  'grub-rescue': { title: 'console: GRUB rescue prompt', fixes: ['pxe-boot'] },
  'kernel-panic': {
    title: 'console: kernel panic',
    fixes: ['pxe-boot', 'power-cycle'],
    hint: 'the console lines before the panic name what the kernel could not do',
  },
  'initramfs-shell': {
    title: 'console: initramfs emergency shell',
    fixes: ['pxe-boot', 'power-cycle'],
    hint: "the disk the root= of the kernel's command line names, and the initrd's storage drivers",
  },
  'cloud-init-failed': {
    title: 'console: cloud-init module failed',
    fixes: [],
    hint: "the user data's scripts: /var/log/cloud-init-output.log on the host",
  },
  'cloud-init-no-datasource': {
    title: "console: cloud-init did not reach MaaS's metadata",
    fixes: [],
    hint: "the region's URL as the deployed host reaches it (maas_url), and the host's network after deploy",
  },
};

export interface ConsoleFinding {
  id: string;
  title: string;
  sentence: string;
  evidence: string[];
  fixes: FixId[];
  hints: string[];
}

export function consoleFinding(f: DoctorFacts): ConsoleFinding | null {
  const lines = (f.extra ?? []).filter((x) => x.source === CONSOLE_SOURCE).map((x) => x.text);
  const latest = consoleCauses(lines)[0];
  if (!latest || !(latest.id in TROUBLES)) return null;
  const t = TROUBLES[latest.id as Trouble];
  // The matched line with the few before it: a panic's reason, the device the initramfs waited for.
  const at = lines.lastIndexOf(latest.line);
  const context = lines.slice(Math.max(0, at - 3), at + 1).filter((l) => l.trim().length > 0);
  return {
    id: `console-${latest.id}`,
    title: t.title,
    sentence: `${f.hostname}'s console shows it: ${latest.text}.`,
    evidence: context.map((l) => `console: ${l}`),
    fixes: t.fixes,
    hints: [...(t.hint ? [t.hint] : []), `the whole console: rackpilot console ${f.hostname}`],
  };
}

/** What the host printed on its console names the cause (above the timeline's guesses). */
export const consoleShows: Rule = ({ f, t }) => {
  const c = consoleFinding(f);
  if (!c) return null;
  return {
    id: c.id,
    title: c.title,
    stage: last(t)?.label ?? null,
    sentence: c.sentence,
    evidence: c.evidence,
    fixes: [...c.fixes.flatMap((id) => FIX_BY_ID[id] ?? []), ...resumeFix(f), ...resetFix(f)],
    hints: c.hints,
    specificity: 80,
  };
};
