import { EV } from './catalogue.ts';
import { gb, last, mbps, minutes, stopped, stoppedAfter, type Rule } from './cause.ts';
import { DISK_BOOT, PORTS_PXE, POWER_CYCLE, PXE_BOOT, resetFix, resumeFix } from './fixes.ts';
import { line, type Timeline } from './timeline.ts';

/**
 * The stops read from the timeline alone: the stage the operation reached and how long it has
 * sat there say where it stopped (no PXE, no kernel, no installer, never back from its disk).
 */

export const neverPxe: Rule = ({ f, t, checks }) => {
  if (!stopped(t) || !t.operation || t.operation === 'release') return null;
  const s = last(t);
  if (!s || (s.id !== 'requested' && s.id !== 'powered-on')) return null;
  const powered = s.id === 'powered-on' ? 'after power-on' : 'after MaaS asked for it';
  // Ports read and on the PXE VLAN: moving them there is no fix.
  const ports = checks.filter((c) => c.id.startsWith('port:'));
  const portsOk = ports.length > 0 && ports.every((c) => c.state === 'pass');
  return {
    id: 'no-pxe',
    title: `never network-booted ${powered}`,
    stage: s.label,
    sentence: `${f.hostname} never network-booted ${powered}: ${stoppedAfter(t, f.now)}, and no PXE request reached MaaS since (boot order or boot device not PXE, the port off the PXE VLAN, or the host not powering on).`,
    evidence: [s.evidence, `no "PXE Request" event after it`],
    fixes: [PXE_BOOT, ...(portsOk ? [] : [PORTS_PXE]), ...resumeFix(f), ...resetFix(f)],
    hints: portsOk
      ? [
          "its ToR ports are on the PXE VLAN: look at the firmware's network boot (the NIC's PXE option ROM, UEFI boot override) on the console",
        ]
      : [],
    specificity: 50,
  };
};

function firmwareOf(t: Timeline): string | null {
  const loader = t.events.find(
    (e) => (e.type === EV.tftpRequest || e.type === EV.httpRequest) && /\.(efi|0)$/i.test(e.description),
  );
  if (!loader) return null;
  return /\.efi$/i.test(loader.description) ? 'UEFI' : 'legacy BIOS';
}

export const noKernel: Rule = ({ f, t }) => {
  if (!stopped(t)) return null;
  const s = last(t);
  if (!s || (s.id !== 'pxe' && s.id !== 'boot-loader' && s.id !== 'kernel')) return null;
  const fw = firmwareOf(t);
  const what =
    s.id === 'kernel'
      ? 'the ephemeral environment never loaded'
      : s.id === 'pxe'
        ? 'no boot loader, kernel or initrd followed'
        : 'no kernel, initrd or ephemeral environment followed';
  return {
    id: 'no-kernel',
    title: `${s.id === 'pxe' ? 'PXE answered' : 'boot loader fetched'}, then no kernel/ephemeral`,
    stage: s.label,
    sentence: `${f.hostname} ${stoppedAfter(t, f.now)}; ${what}: a UEFI/legacy mismatch${fw ? ` (it booted ${fw})` : ''}, HTTP boot blocked between host and rack, or the boot image missing on the rack controller.`,
    evidence: [
      s.evidence,
      ...t.events
        .filter((e) => e.type === EV.tftpRequest || e.type === EV.httpRequest)
        .slice(-2)
        .map(line),
    ],
    fixes: [
      { ...PXE_BOOT, label: 'PXE boot again (next boot) and power cycle' },
      ...resumeFix(f),
      ...resetFix(f),
    ],
    hints: [
      "MaaS: the rack controller's boot images (Images page, or `maas admin rack-controller list-boot-images`)",
    ],
    specificity: 50,
  };
};

export const noInstaller: Rule = ({ f, t }) => {
  if (!stopped(t) || last(t)?.id !== 'ephemeral') return null;
  const s = last(t)!;
  const next =
    t.operation === 'deploy'
      ? 'curtin never started'
      : t.operation === 'erase'
        ? 'the erase never started'
        : 'the scripts never reported';
  return {
    id: 'no-installer',
    title: `ephemeral up, then ${next}`,
    stage: s.label,
    sentence: `${f.hostname}'s ephemeral environment was up, then no progress: ${stoppedAfter(t, f.now)}, and ${next} (the ephemeral cannot reach MaaS's metadata service, or its cloud-init failed).`,
    evidence: [s.evidence],
    fixes: [POWER_CYCLE, ...resumeFix(f), ...resetFix(f)],
    hints: ['the console shows the ephemeral cloud-init (SOL)'],
    specificity: 50,
  };
};

export const neverCameBack: Rule = ({ f, t, checks }) => {
  if (!stopped(t) || t.operation !== 'deploy') return null;
  const s = last(t);
  if (!s || !['installed', 'rebooting', 'local-boot'].includes(s.id)) return null;
  const boot = checks.find((c) => c.id === 'boot' && c.state !== 'unknown');
  const pxePersistent = boot && /override pxe, persistent/.test(boot.evidence[0] ?? '');
  const why =
    s.id === 'local-boot'
      ? 'MaaS sent it to its disk (local boot), but the installed OS never reported back: its EFI boot entry, or first-boot network or metadata'
      : pxePersistent
        ? 'its boot order is still PXE (persistent) and it never asked MaaS again'
        : 'it did not boot from its disk or never reached MaaS: the disk boot, the EFI entry, or first-boot network or metadata';
  return {
    id: 'never-came-back',
    title: 'installed and rebooted, never came back',
    stage: s.label,
    sentence: `curtin installed ${f.hostname} and it rebooted, then never came back: ${stoppedAfter(t, f.now)}; ${why}.`,
    evidence: [
      ...t.stages
        .filter((x) => ['curthooks', 'installed', 'rebooting', 'local-boot'].includes(x.id))
        .map((x) => x.evidence),
      ...(boot ? boot.evidence.slice(0, 1) : []),
    ],
    fixes: [DISK_BOOT, POWER_CYCLE, ...resumeFix(f), ...resetFix(f)],
    hints: ['the console shows where the first boot stops (SOL)'],
    specificity: 55,
  };
};

export const rescueStuck: Rule = ({ f, t }) => {
  if (t.operation !== 'rescue' || !t.stalled) return null;
  const s = last(t)!;
  if (s.id !== 'rescue' && s.id !== 'exiting') return null;
  return {
    id: 'rescue-stuck',
    title: 'stuck in rescue mode',
    stage: s.label,
    sentence: `${f.hostname} is stuck in rescue mode: ${stoppedAfter(t, f.now)}; nothing runs on it until rescue mode is exited.`,
    evidence: [s.evidence],
    fixes: [],
    hints: [
      'exit rescue mode in MaaS (machine action "Exit rescue mode"), then MaaS powers it back as it was',
    ],
    specificity: 45,
  };
};

export const eraseStalled: Rule = ({ f, t }) => {
  if (t.operation !== 'erase' || !t.stalled || last(t)?.id !== 'erasing') return null;
  const e = t.erase!;
  return {
    id: 'erase-stalled',
    title: 'erase past its expected time',
    stage: 'erasing disks',
    sentence: `${f.hostname}'s disk erase has run ${minutes(last(t)!.durationS)}, past the ${minutes(last(t)!.patienceS ?? 0)} its ${gb(e.bytes)} should take at ${mbps(e.rateBps)} (${e.rateFrom}).`,
    evidence: [last(t)!.evidence],
    fixes: [POWER_CYCLE],
    hints: ["the console shows maas-wipe's progress (SOL)"],
    specificity: 40,
  };
};

export const genericStop: Rule = ({ f, t }) => {
  if (!stopped(t) || !t.operation) return null;
  return {
    id: t.failure?.timedOut ? 'timed-out' : 'stalled',
    title: t.failure?.timedOut ? 'timed out' : 'stalled',
    stage: last(t)?.label ?? null,
    sentence: `${t.operation} of ${f.hostname} ${stoppedAfter(t, f.now)}${t.waitingFor ? `; it never reached "${t.waitingFor}"` : ''}${t.failure ? `. MaaS: ${t.failure.text.slice(9)}` : ''}.`,
    evidence: [...(last(t) ? [last(t)!.evidence] : []), ...(t.failure ? [t.failure.text] : [])],
    fixes: [...resumeFix(f), ...resetFix(f)],
    hints: [],
    specificity: 20,
  };
};
