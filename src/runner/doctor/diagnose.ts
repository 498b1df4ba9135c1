import { TIMEOUT_MIN_BY_STATUS } from './catalogue.ts';
import { liveChecks } from './checks.ts';
import type { StageHistory } from './history.ts';
import { findCause, minutes, stoppedAfter } from './rules.ts';
import type { Check, Diagnosis } from '../../protocol/doctor.ts';
import { buildTimeline, type Timeline } from './timeline.ts';

/**
 * The stuck-deployment doctor's reasoning, without I/O: facts read from MaaS (the machine, its
 * events at every level, curtin's log), the BMC and the ToR switches go in; the operation's
 * timeline, the live checks, the likely cause in one sentence and the fixes come out. The gatherer
 * (gather.ts) reads the facts; timeline.ts tells the story, rules.ts decides.
 */

export interface DoctorEvent {
  id: number;
  /** Epoch ms (parsed from MaaS's "Fri, 07 Dec. 2018 20:11:08"), NaN when unparsable. */
  at: number;
  created: string;
  level: string;
  type: string;
  description: string;
}

export interface DoctorFacts {
  hostname: string;
  now: number;
  maas:
    | {
        systemId: string;
        status: number;
        statusName: string;
        statusMessage: string;
        powerState: string;
        bootInterfaceMac: string | null;
        /** The bond's MAC when the NICs are bonded: the instance MAC is set there, not on a member. */
        bondMac?: string | null;
        /** The reason an operator or MaaS gave when marking it broken or failed. */
        errorDescription?: string;
        /** Total disk size in bytes (MaaS `storage`), for the erase estimate. */
        diskBytes?: number | null;
      }
    | { error: string }
    | null;
  /** Newest first, level DEBUG (PXE/TFTP requests, power changes, curtin progress included). */
  events: DoctorEvent[];
  curtin: { status: string; lines: string[] } | null;
  /** This site's stage durations (the runner's history), null when none is kept. */
  history?: StageHistory | null;
  /**
   * Lines from further evidence sources (the BMC's serial console, …), each with its source. The
   * rules read curtin's and cloud-init's words in them as they read MaaS's log.
   */
  extra?: { source: string; at: number | null; text: string }[];
  /** 1 for a real region; the lab's RACKPILOT_TIME_SCALE (its MaaS runs durations and timeouts scaled). */
  timeScale?: number;
  /**
   * The BMC's answer; `origin` names it and where its details came from ("IPMI 10.0.0.5, from
   * MaaS's power parameters"). `unknown`: a BMC is known but its details cannot be used.
   */
  bmc:
    | {
        answer: 'ok';
        origin?: string;
        power: 'on' | 'off';
        boot: { device: string; valid: boolean; persistent: boolean };
      }
    | { answer: 'unreachable' | 'auth'; origin?: string; error: string }
    | { answer: 'unknown'; error: string }
    | null;
  /** The BMC sweep's flag: a change nobody explained, with when. */
  outOfBand: { at: number; from: string; to: string } | null;
  ports: {
    switch: string;
    port: string;
    pxeVlan: number | null;
    untagged?: number | null;
    tagged?: number[];
    error?: string;
  }[];
  macs: { mac: string; switch: string; port: string; learnedOn?: string | null; error?: string }[];
  /** The instance's MAC when an instance is (being) deployed on the host. */
  instanceMac: string | null;
  /** The task holding the host (or the last one that ran on it). */
  task: { id: string; kind: string; state: string; step: string | null; error: string | null } | null;
}

export function diagnose(f: DoctorFacts, opts: { log?: boolean } = {}): Diagnosis {
  return analyse(f, opts).diagnosis;
}

/** The diagnosis with the timeline it rests on (the runner learns stage durations from it). */
export function analyse(
  f: DoctorFacts,
  opts: { log?: boolean } = {},
): { diagnosis: Diagnosis; timeline: Timeline } {
  const maas = f.maas && 'systemId' in f.maas ? f.maas : null;
  const status = maas?.status ?? null;
  const statusName =
    maas?.statusName ?? (f.maas && 'error' in f.maas ? `unknown (${f.maas.error})` : 'Not in MaaS');
  const checks = liveChecks(f);
  const timeline = buildTimeline({
    statusName,
    status,
    events: f.events,
    now: f.now,
    history: f.history ?? null,
    diskBytes: maas?.diskBytes ?? null,
    timeScale: f.timeScale ?? 1,
  });
  const installLog = [...(f.curtin?.lines ?? []), ...(f.extra ?? []).map((x) => x.text)];
  const found = findCause({ f, t: timeline, checks, installLog });
  const curtin =
    f.curtin && f.curtin.lines.length > 0
      ? { status: f.curtin.status, tail: f.curtin.lines.slice(-8) }
      : null;
  const diagnosis: Diagnosis = {
    hostname: f.hostname,
    systemId: maas?.systemId ?? null,
    statusName,
    status,
    timer: maas === null ? null : timerOf(f, status, timeline),
    events: f.events
      .slice(0, 15)
      .map(({ id, created, level, type, description }) => ({ id, created, level, type, description })),
    curtin,
    checks,
    timeline: {
      operation: timeline.operation,
      startedAt: timeline.startedAt,
      outcome: timeline.outcome,
      waitingFor: timeline.waitingFor,
      stalled: timeline.stalled,
      stages: timeline.stages,
      failure: timeline.failure,
      erase: timeline.erase,
    },
    summary: summaryOf(f, statusName, timeline, found !== null),
    cause: found
      ? {
          id: found.id,
          title: found.title,
          stage: found.stage,
          sentence: found.sentence,
          evidence: found.evidence,
          hints: found.hints,
        }
      : null,
    fixes: found?.fixes ?? [],
    unchecked: uncheckedOf(f, checks),
    installLog: opts.log ? (f.curtin?.lines ?? []) : null,
    task: f.task,
    readAt: f.now,
  };
  return { diagnosis, timeline };
}

/** Time in the current status against MaaS's timeout (the countdown the views draw). */
function timerOf(f: DoctorFacts, status: number | null, t: Timeline): Diagnosis['timer'] {
  const enteredAt = t.startedAt !== null && Number.isFinite(t.startedAt) ? t.startedAt : null;
  const minutesFor = status === null ? undefined : TIMEOUT_MIN_BY_STATUS[status];
  return {
    enteredAt,
    inStateS: enteredAt === null ? null : Math.max(0, Math.round((f.now - enteredAt) / 1000)),
    timeoutS: minutesFor === undefined ? null : (t.timer?.timeoutS ?? minutesFor * 60),
    remainingS: t.timer?.remainingS ?? null,
  };
}

/** Where the operation is, in one line: on time, slow but progressing, or stopped. */
export function summaryOf(f: DoctorFacts, statusName: string, t: Timeline, hasCause: boolean): string {
  if (!t.operation) return hasCause ? `${statusName}` : `${statusName}: no operation in MaaS's events`;
  const s = t.stages[t.stages.length - 1];
  if (t.outcome === 'done') return `${statusName}: the last ${t.operation} finished (${s?.label ?? 'done'})`;
  if (t.outcome === 'failed' || t.stalled) return `${statusName}: ${t.operation} ${stoppedAfter(t, f.now)}`;
  if (!s) return `${statusName}: ${t.operation} started, no stage logged yet`;
  const typical =
    s.typicalS !== null
      ? `, typical ${minutes(s.typicalS)} here`
      : s.patienceFrom === 'disk sizes' && t.erase
        ? `, expected about ${minutes(t.erase.expectedS)} for its disks`
        : '';
  const pace = s.typicalS !== null && s.durationS > s.typicalS ? 'slow but progressing' : 'on time';
  return `${statusName}: ${t.operation} ${pace}: "${s.label}" for ${minutes(s.durationS)}${typical}${t.waitingFor ? `; next: ${t.waitingFor}` : ''}`;
}

function uncheckedOf(f: DoctorFacts, checks: Check[]): string[] {
  const out: string[] = [];
  if (!f.bmc || f.bmc.answer !== 'ok') out.push('BMC power and boot device');
  if (f.ports.length > 0 && f.ports.every((p) => p.error !== undefined)) out.push('ToR ports and VLANs');
  if (f.ports.length === 0) out.push('ToR ports (no cabling in the rack file)');
  if (f.macs.length > 0 && checks.filter((c) => c.id.startsWith('mac:')).every((c) => c.state === 'unknown'))
    out.push('learned MACs');
  return out;
}
