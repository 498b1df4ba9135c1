import { CLOUD_INIT, CURTIN, CURTIN_STAGES, ERROR_LINE, EV, ORIGIN } from './catalogue.ts';
import { iso } from './facts.ts';
import type { DoctorFacts } from './facts.ts';
import type { Check, Fix } from '../../protocol/doctor.ts';
import { line, type Timeline, type TimelineStage } from './timeline.ts';
import type { StoryEvent } from './stages.ts';
import { consoleFinding } from './rules-console.ts';

/**
 * The causes, as rules over the timeline with the live checks as evidence. Each rule answers one
 * sentence naming the stage where things stopped, the evidence it quotes and the fixes that apply,
 * with a specificity: the most specific rule that fires wins. A timeline that is on time fires
 * none of them: the doctor never invents a cause.
 */

export interface Cause {
  id: string;
  /** A few words for one line of the triage list. */
  title: string;
  /** The stage where it stopped (its label), when the timeline knows it. */
  stage: string | null;
  sentence: string;
  evidence: string[];
  fixes: Fix[];
  /** What the operator can look at next that is not a task (the whole log, the console). */
  hints: string[];
  specificity: number;
}

export interface RuleInput {
  f: DoctorFacts;
  t: Timeline;
  checks: Check[];
  /** curtin's installation output, whole. */
  installLog: readonly string[];
}

type Rule = (x: RuleInput) => Cause | null;

// ---------- helpers ----------

export function minutes(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

const statusName = (f: DoctorFacts) => (f.maas && 'statusName' in f.maas ? f.maas.statusName : 'unknown');
const statusCode = (f: DoctorFacts) => (f.maas && 'status' in f.maas ? f.maas.status : null);
const failedCheck = (checks: Check[], p: (c: Check) => boolean) =>
  checks.find((c) => p(c) && c.state === 'fail');
const last = (t: Timeline): TimelineStage | undefined => t.stages[t.stages.length - 1];
const reached = (t: Timeline, id: string) => t.stages.some((s) => s.id === id);

/** "stopped after 'X' at 07:46:15, 12 min ago, where 2 min is typical here" */
export function stoppedAfter(t: Timeline, now: number): string {
  const s = last(t);
  if (!s) return 'before any stage MaaS logs';
  const ago = Math.max(0, Math.round((now - s.at) / 1000));
  const typical =
    s.typicalS !== null
      ? `, where ${minutes(s.typicalS)} is typical here`
      : s.patienceFrom === 'disk sizes'
        ? `, where ${minutes(s.patienceS ?? 0)} is the most its disks should take`
        : '';
  return `stopped after "${s.label}" at ${iso(s.at).slice(11, 19)} (${s.evidence.slice(9)}), ${minutes(ago)} ago${typical}`;
}

/** The operation has stopped: failed, or stalled past the stage's patience. */
const stopped = (t: Timeline) => t.outcome === 'failed' || t.stalled;

function resumeFix(f: DoctorFacts): Fix[] {
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

function resetFix(f: DoctorFacts, first?: string): Fix[] {
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

const PXE_BOOT: Fix = {
  id: 'pxe-boot',
  label: 'boot from PXE (next boot) and power on or cycle',
  kind: 'host.pxe-boot',
};
const DISK_BOOT: Fix = {
  id: 'disk-boot',
  label: 'boot from disk first (persistent)',
  kind: 'host.bootdev',
};
const PORTS_PXE: Fix = { id: 'ports-pxe', label: 'ToR ports back to the PXE VLAN', kind: 'host.ports-pxe' };
const POWER_CYCLE: Fix = { id: 'power-cycle', label: 'power cycle the host', kind: 'host.power' };
const MARK_FIXED: Fix = {
  id: 'mark-fixed',
  label: 'mark the machine fixed in MaaS (back to Ready)',
  kind: 'host.maas',
};

function opEvents(t: Timeline, p: (e: StoryEvent) => boolean): StoryEvent[] {
  return t.events.filter(p);
}

// ---------- the operator's own words ----------

const operatorWords: Rule = ({ f, t }) => {
  const s = statusCode(f);
  if (s !== 8 && s !== 11 && s !== 2 && s !== 15 && s !== 22) return null;
  const marks = [...(f.events ?? [])]
    .filter(
      (e) => e.type === EV.markBrokenUser || e.type === EV.markFailedUser || e.type === EV.markBrokenSystem,
    )
    .sort((a, b) => b.id - a.id);
  const mark = marks[0];
  if (s !== 8 && !mark) return null;
  // "(admin) - PSU 2 failed; waiting for a replacement": MaaS's _register_request_event.
  const m = mark ? /^\(([^)]+)\)(?: - (.*))?$/.exec(mark.description) : null;
  const system = mark?.type === EV.markBrokenSystem;
  const who = m?.[1] ?? (system ? 'MaaS' : 'an operator');
  const reason =
    m?.[2] ??
    (system && mark?.description ? mark.description : undefined) ??
    (f.maas && 'errorDescription' in f.maas && f.maas.errorDescription ? f.maas.errorDescription : null);
  if (s !== 8 && !reason) return null;
  const when = mark ? ` at ${iso(mark.at).slice(0, 19).replace('T', ' ')}` : '';
  const stage = last(t);
  return {
    id: 'operator-marked',
    title: `marked ${statusName(f)}${reason ? `: ${reason}` : ''}`,
    stage: mark ? `marked ${statusName(f)}` : (stage?.label ?? `marked ${statusName(f)}`),
    sentence: `${f.hostname} was marked ${statusName(f)} by ${who}${when}${reason ? `: "${reason}"` : ' with no reason given'}; MaaS will not use it until it is marked fixed.`,
    evidence: mark ? [line(mark)] : [`MaaS error_description: ${reason ?? ''}`],
    fixes:
      s === 8
        ? [{ ...MARK_FIXED, first: 'when what the reason says is repaired' }]
        : resetFix(f, 'when what the reason says is repaired'),
    hints: [],
    specificity: 95,
  };
};

// ---------- MaaS cannot power the machine ----------

const POWER_FAILURES: readonly string[] = [EV.powerOnFailed, EV.powerCycleFailed, EV.powerQueryFailed];

const cannotPower: Rule = ({ f, t, checks }) => {
  const failures = opEvents(t, (e) => POWER_FAILURES.includes(e.type));
  const failText = t.failure && /power/i.test(t.failure.text) ? t.failure.text : null;
  if (failures.length === 0 && !failText) return null;
  // A power query failing now and then while the host deploys is noise; only a stopped operation counts.
  if (!stopped(t) && !failures.some((e) => e.type !== EV.powerQueryFailed)) return null;
  const quote = failures[failures.length - 1];
  const bmc = checks.find((c) => c.id === 'bmc');
  const live =
    f.bmc?.answer === 'auth'
      ? "the BMC refuses rackpilot's credentials too"
      : f.bmc?.answer === 'unreachable'
        ? 'the BMC does not answer rackpilot either'
        : f.bmc?.answer === 'ok'
          ? 'the BMC answers rackpilot now, so check the power parameters MaaS holds'
          : 'rackpilot could not read the BMC';
  // The BMC refusing rackpilot too confirms it; one we cannot reach from here confirms nothing.
  const id = f.bmc?.answer === 'auth' ? 'bmc-auth' : 'maas-cannot-power';
  return {
    id,
    title: `MaaS cannot power it: ${quote?.description ?? failText ?? ''}`.slice(0, 120),
    stage: last(t)?.label ?? null,
    sentence: `MaaS cannot power ${f.hostname}: "${quote ? `${quote.type} - ${quote.description}` : failText}"; ${live}.`,
    evidence: [
      ...failures.slice(-2).map(line),
      ...(failText ? [failText] : []),
      ...(bmc ? bmc.evidence.slice(0, 1) : []),
    ],
    fixes: [
      ...resumeFix(f).map((r) => ({
        ...r,
        first: "fix the BMC's address or password (in MaaS and rackpilot's host record)",
      })),
      ...resetFix(f, "fix the BMC's address or password in MaaS's power parameters"),
    ],
    hints: [],
    specificity: 85,
  };
};

// ---------- the live BMC alone (no MaaS story of it) ----------

const bmcLive: Rule = ({ f, t }) => {
  if (!f.bmc || f.bmc.answer === 'ok' || f.bmc.answer === 'unknown') return null;
  // A BMC the jump host cannot reach is a cause only of what needs it from here: rackpilot's own
  // task that stopped, or a host whose story MaaS does not tell.
  const blocked = f.task !== null && (f.task.state === 'failed' || f.task.state === 'interrupted');
  if (!blocked && t.operation !== null) return null;
  const auth = f.bmc.answer === 'auth';
  return {
    id: auth ? 'bmc-auth' : 'bmc-unreachable',
    title: auth ? 'BMC refuses the credentials' : 'BMC does not answer',
    stage: null,
    sentence: auth
      ? `The BMC refuses the credentials MaaS and rackpilot hold: its password was changed, so nobody can power ${f.hostname}.`
      : `The BMC of ${f.hostname} does not answer: power and boot device cannot be read or set, by MaaS or by rackpilot.`,
    evidence: [`BMC: ${f.bmc.error}`],
    fixes: resumeFix(f).map((r) => ({
      ...r,
      first: auth
        ? "set the BMC's password back (or update it in MaaS and rackpilot's host record)"
        : 'bring the BMC back (its network port, cable or a BMC reset)',
    })),
    hints: [],
    // Below every timeline cause: a BMC the jump host cannot reach says nothing of a deployment
    // whose story MaaS tells; it is the cause only when the story is silent.
    specificity: 30,
  };
};

// ---------- curtin ----------

function curtinFailure(log: readonly string[]): {
  stage: string | null;
  firstError: string | null;
  finish: string | null;
} {
  let stage: string | null = null;
  let finish: string | null = null;
  for (const l of log) {
    const m = CURTIN.finishLine.exec(l);
    if (m && m[2] === 'FAIL') {
      finish ??= l;
      stage ??= CURTIN.stageOf.exec(m[1]!)?.[1] ?? null;
    }
  }
  const firstError =
    log.find((l) => ERROR_LINE.test(l) && !CURTIN.finishLine.test(l) && !/^Traceback/.test(l)) ?? null;
  return { stage, firstError, finish };
}

const curtinFailed: Rule = ({ f, t, installLog }) => {
  if (t.operation !== 'deploy' && statusCode(f) !== 11) return null;
  const failEvent = opEvents(
    t,
    (e) => e.type === EV.installFailed && ORIGIN.exec(e.description)?.[1] === 'curtin',
  )[0];
  const c = curtinFailure(installLog);
  const logFailed = c.finish !== null || installLog.some((l) => CURTIN.installFailed.test(l));
  if (!failEvent && !logFailed) return null;
  // Without the log (the triage reads none), the stage the timeline reached says where curtin was.
  const reachedStage = CURTIN_STAGES.find((x) => x.stage === last(t)?.id)?.stage ?? null;
  const stageName = c.stage ?? reachedStage;
  const desc = CURTIN_STAGES.find((s) => s.stage === stageName)?.description;
  const stage = stageName ? `curtin stage ${stageName}${desc ? ` (${desc})` : ''}` : 'curtin';
  const quote = c.firstError ?? c.finish ?? (failEvent ? `${failEvent.type} - ${failEvent.description}` : '');
  return {
    id: 'curtin-failed',
    title: `curtin failed in ${stageName ?? 'its install'}`,
    stage,
    sentence: `curtin failed in ${stage}: "${quote}".`,
    evidence: [
      ...(failEvent ? [line(failEvent)] : []),
      ...(c.finish ? [c.finish] : []),
      ...(c.firstError ? [c.firstError] : []),
    ],
    fixes: [...resetFix(f, 'fix what curtin refused (storage layout, the disk, the image)'), ...resumeFix(f)],
    hints: [`the whole installation log: rackpilot doctor ${f.hostname} --log`],
    specificity: 75,
  };
};

// ---------- cloud-init / post-install ----------

const postInstall: Rule = ({ f, t }) => {
  const fails = opEvents(
    t,
    (e) =>
      e.type === EV.postInstallFailed ||
      (e.type === EV.installFailed && ORIGIN.exec(e.description)?.[1] === 'cloudinit'),
  );
  // A post-install failure arrives after Deployed: the timeline's events run past the last stage.
  const after = (f.events ?? []).filter(
    (e) => e.type === EV.postInstallFailed && (t.startEventId === null || e.id > t.startEventId),
  );
  const all = [...new Map([...fails, ...after].map((e) => [e.id, e])).values()].sort((a, b) => a.id - b.id);
  if (all.length === 0) return null;
  const module = all.map((e) => CLOUD_INIT.module.exec(e.description)?.[1]).find((m) => m !== undefined);
  const userData = module !== undefined && CLOUD_INIT.userDataModules.has(module);
  const first = all[0]!;
  return {
    id: 'cloud-init-failed',
    title: userData ? 'cloud-init failed running the user data' : 'cloud-init failed after install',
    stage: 'cloud-init in the installed OS',
    sentence: userData
      ? `cloud-init failed in the installed OS running the user data (module ${module}): "${first.type} - ${first.description}"; the user data given at deploy is the likely cause.`
      : `cloud-init failed in the installed OS: "${first.type} - ${first.description}".`,
    evidence: all.slice(0, 3).map(line),
    fixes: resetFix(
      f,
      userData
        ? 'correct the user data (its scripts exit non-zero)'
        : 'read /var/log/cloud-init-output.log on the host',
    ),
    hints: [
      userData
        ? 'on the host: /var/log/cloud-init-output.log shows the failing script; redeploy with corrected user data'
        : 'on the host: /var/log/cloud-init.log and cloud-init-output.log',
    ],
    specificity: 70,
  };
};

// ---------- live checks that explain a stop before the installer ----------

const liveStop: Rule = ({ f, t, checks }) => {
  const early = !reached(t, 'ephemeral') && !reached(t, 'rebooting');
  const s = statusName(f);
  const where = t.operation ? `${stoppedAfter(t, f.now)}: ` : '';
  const powerOff = failedCheck(checks, (c) => c.id === 'power');
  if (powerOff && (early || t.operation === null)) {
    return {
      id: 'powered-off',
      title: 'powered off out of band',
      stage: last(t)?.label ?? null,
      sentence: `${where}${f.hostname} is off while MaaS is ${s}: it was powered off out of band${f.outOfBand ? ` at ${iso(f.outOfBand.at)}` : ''}, and MaaS waits for it until its timeout.`,
      evidence: powerOff.evidence,
      fixes: [PXE_BOOT, ...resumeFix(f)],
      hints: [],
      specificity: 65,
    };
  }
  const port = failedCheck(checks, (c) => c.id.startsWith('port:'));
  if (port) {
    return {
      id: 'tenant-vlan',
      title: 'ToR port off the PXE VLAN',
      stage: last(t)?.label ?? null,
      sentence: `${where}${port.evidence[0]!.replace(/^switch /, '')}: the port is not on the PXE VLAN, so the host's PXE and metadata requests never reach MaaS while it is ${s}.`,
      evidence: port.evidence,
      fixes: [PORTS_PXE, ...resumeFix(f)],
      hints: [],
      specificity: 64,
    };
  }
  const boot = failedCheck(checks, (c) => c.id === 'boot');
  if (boot && (early || t.operation === null)) {
    return {
      id: 'boot-disk',
      title: 'boot device not PXE',
      stage: last(t)?.label ?? null,
      sentence: `${where}the BMC boots ${f.hostname} from ${/override (\S+)/.exec(boot.evidence[0]!)?.[1] ?? 'the BIOS order'}, not PXE: it never reaches MaaS's installer while ${s}.`,
      evidence: boot.evidence,
      fixes: [{ ...PXE_BOOT, label: 'boot from PXE (next boot) and power cycle' }, ...resumeFix(f)],
      hints: [],
      specificity: 63,
    };
  }
  const mac = failedCheck(checks, (c) => c.id.startsWith('mac:'));
  if (mac) {
    return {
      id: 'miscabled',
      title: 'NIC on another port',
      stage: last(t)?.label ?? null,
      sentence: `A NIC is cabled to another port than the rack file says: ${mac.evidence[0]}.`,
      evidence: mac.evidence,
      fixes: resumeFix(f).map((r) => ({
        ...r,
        first: 'move the cable to the port the rack file says (or correct the rack file)',
      })),
      hints: [],
      specificity: 62,
    };
  }
  const bootMac = failedCheck(checks, (c) => c.id === 'boot-mac');
  if (bootMac) {
    return {
      id: 'boot-mac',
      title: 'boots on another interface',
      stage: last(t)?.label ?? null,
      sentence: `MaaS boots ${f.hostname} on another interface than the instance's: ${bootMac.evidence[0]}.`,
      evidence: bootMac.evidence,
      fixes: resumeFix(f),
      hints: [],
      specificity: 61,
    };
  }
  return null;
};

// ---------- stops read from the timeline alone ----------

const neverPxe: Rule = ({ f, t, checks }) => {
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

const noKernel: Rule = ({ f, t }) => {
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

const noInstaller: Rule = ({ f, t }) => {
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

const neverCameBack: Rule = ({ f, t, checks }) => {
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

const rescueStuck: Rule = ({ f, t }) => {
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

const eraseStalled: Rule = ({ f, t }) => {
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

const genericStop: Rule = ({ f, t }) => {
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

const maasFailed: Rule = ({ f }) => {
  const s = statusCode(f);
  if (s === null || ![2, 11, 13, 15, 18, 20, 22].includes(s)) return null;
  const msg = f.maas && 'statusMessage' in f.maas ? f.maas.statusMessage : '';
  return {
    id: /timed out/.test(msg) ? 'timed-out' : 'maas-failed',
    title: `MaaS marked it ${statusName(f)}`,
    stage: null,
    sentence: `MaaS marked ${f.hostname} ${statusName(f)}${msg ? `: ${msg}` : ''}; its events do not say more.`,
    evidence: msg ? [`MaaS status_message: ${msg}`] : [],
    fixes: [...resetFix(f), ...resumeFix(f)],
    hints: [],
    specificity: 10,
  };
};

const taskFailed: Rule = ({ f }) => {
  const task = f.task;
  if (!task || (task.state !== 'failed' && task.state !== 'interrupted')) return null;
  return {
    id: 'task-failed',
    title: `task ${task.id} ${task.state}`,
    stage: null,
    sentence: `Task ${task.id} (${task.kind}) ${task.state}${task.step ? ` at "${task.step}"` : ''}: ${task.error ?? 'no error recorded'}.`,
    evidence: [],
    fixes: resumeFix(f),
    hints: [],
    specificity: 5,
  };
};

const FIX_BY_ID: Partial<Record<Fix['id'], Fix>> = {
  'pxe-boot': PXE_BOOT,
  'ports-pxe': PORTS_PXE,
  'power-cycle': POWER_CYCLE,
};

/** What the host printed on its console names the cause (above the timeline's guesses). */
const consoleShows: Rule = ({ f, t }) => {
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

export const RULES: readonly Rule[] = [
  consoleShows,
  operatorWords,
  cannotPower,
  bmcLive,
  curtinFailed,
  postInstall,
  liveStop,
  neverCameBack,
  neverPxe,
  noKernel,
  noInstaller,
  rescueStuck,
  eraseStalled,
  genericStop,
  maasFailed,
  taskFailed,
];

/** The most specific cause that fires, or null: nothing is wrong, or nothing can be told. */
export function findCause(x: RuleInput): Cause | null {
  let best: Cause | null = null;
  for (const rule of RULES) {
    const c = rule(x);
    if (c && (!best || c.specificity > best.specificity)) best = c;
  }
  return best;
}

export function gb(bytes: number): string {
  return bytes >= 1e12 ? `${(bytes / 1e12).toFixed(1)} TB` : `${Math.round(bytes / 1e9)} GB`;
}

export function mbps(bps: number): string {
  return `${Math.round(bps / 1e6)} MB/s`;
}
