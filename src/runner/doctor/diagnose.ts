import { TIMEOUT_MIN_BY_STATUS } from './catalogue.ts';
import { liveChecks } from './checks.ts';
import { findCause, minutes, stoppedAfter, type Cause } from './rules.ts';
import { CONSOLE_SOURCE } from './rules-console.ts';
import type { Check, Diagnosis } from '../../protocol/doctor.ts';
import { buildTimeline, type Timeline } from './timeline.ts';

/**
 * The stuck-deployment doctor's reasoning, without I/O: facts read from MaaS (the machine, its
 * events at every level, curtin's log), the BMC and the ToR switches go in; the operation's
 * timeline, the live checks, the likely cause in one sentence and the fixes come out. The gatherer
 * (gather.ts) reads the facts; timeline.ts tells the story, rules.ts decides.
 */

export type { DoctorEvent, DoctorFacts } from './facts.ts';
import type { DoctorFacts } from './facts.ts';

export function diagnose(f: DoctorFacts, opts: { log?: boolean } = {}): Diagnosis {
  return analyse(f, opts).diagnosis;
}

/** The diagnosis with the timeline it rests on (the runner learns stage durations from it). */
export function analyse(
  f: DoctorFacts,
  opts: { log?: boolean } = {},
): { diagnosis: Diagnosis; timeline: Timeline } {
  const maas = maasOf(f);
  const checks = liveChecks(f);
  const timeline = timelineOf(f);
  const installLog = [...(f.curtin?.lines ?? []), ...(f.extra ?? []).map((x) => x.text)];
  const found = findCause({ f, t: timeline, checks, installLog });
  const diagnosis: Diagnosis = {
    hostname: f.hostname,
    systemId: maas?.systemId ?? null,
    statusName: statusNameOf(f),
    status: maas?.status ?? null,
    timer: maas === null ? null : timerOf(f, maas.status, timeline),
    events: f.events
      .slice(0, 15)
      .map(({ id, created, level, type, description }) => ({ id, created, level, type, description })),
    curtin: curtinTail(f),
    checks,
    timeline: timelineView(timeline),
    summary: summaryOf(f, statusNameOf(f), timeline, found !== null),
    cause: found && causeView(found),
    fixes: found?.fixes ?? [],
    unchecked: uncheckedOf(f, checks),
    ...consoleTail(f),
    installLog: opts.log ? (f.curtin?.lines ?? []) : null,
    task: f.task,
    readAt: f.now,
  };
  return { diagnosis, timeline };
}

function maasOf(f: DoctorFacts) {
  return f.maas && 'systemId' in f.maas ? f.maas : null;
}

function statusNameOf(f: DoctorFacts): string {
  return maasOf(f)?.statusName ?? (f.maas && 'error' in f.maas ? `unknown (${f.maas.error})` : 'Not in MaaS');
}

/** The operation's story from MaaS's events, with this site's pace and the disks' size. */
function timelineOf(f: DoctorFacts): Timeline {
  const maas = maasOf(f);
  return buildTimeline({
    statusName: statusNameOf(f),
    status: maas?.status ?? null,
    events: f.events,
    now: f.now,
    history: f.history ?? null,
    diskBytes: maas?.diskBytes ?? null,
    timeScale: f.timeScale ?? 1,
  });
}

/** The timeline as the views show it (without its raw events). */
function timelineView(t: Timeline): Diagnosis['timeline'] {
  const { operation, startedAt, outcome, waitingFor, stalled, stages, failure, erase } = t;
  return { operation, startedAt, outcome, waitingFor, stalled, stages, failure, erase };
}

function causeView(c: Cause): NonNullable<Diagnosis['cause']> {
  const { id, title, stage, sentence, evidence, hints } = c;
  return { id, title, stage, sentence, evidence, hints };
}

function curtinTail(f: DoctorFacts): Diagnosis['curtin'] {
  return f.curtin && f.curtin.lines.length > 0
    ? { status: f.curtin.status, tail: f.curtin.lines.slice(-8) }
    : null;
}

/** The console's last lines, when the runner had them. */
function consoleTail(f: DoctorFacts): Pick<Diagnosis, 'console'> {
  const lines = (f.extra ?? []).filter((x) => x.source === CONSOLE_SOURCE).map((x) => x.text);
  return lines.length > 0 ? { console: lines.slice(-12) } : {};
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
  if (f.consoleUnread) out.push(`the host's console (${f.consoleUnread})`);
  return out;
}
