import type { Diagnosis, TimelineView } from '../src/protocol/doctor.ts';
import type { Triage } from '../src/protocol/doctor.ts';
import { fit } from './format.ts';

const MARK = { pass: 'ok  ', fail: 'FAIL', unknown: '??  ' } as const;

/** Seconds as 12m03s or 1h05m; negative with a minus (the doctor's countdown can pass zero). */
export function duration(s: number): string {
  const a = Math.abs(Math.round(s));
  const m = Math.floor(a / 60);
  const text =
    m >= 60
      ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
      : `${m}m${String(a % 60).padStart(2, '0')}s`;
  return s < 0 ? `-${text}` : text;
}

/** HH:MM:SS of an epoch ms, UTC as MaaS logs it. */
export function clock(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 19) : '??:??:??';
}

export interface TimelineRow {
  when: string;
  took: string;
  typical: string;
  label: string;
  /** The stage in progress or the last one reached before a stop. */
  current: boolean;
  late: boolean;
}

/** One row per stage: when it began, how long it took (so far), what is typical, its label. */
export function timelineRows(t: TimelineView): TimelineRow[] {
  return t.stages.map((s, i) => {
    const current = i === t.stages.length - 1 && t.outcome !== 'done';
    const typical =
      s.typicalS !== null
        ? `typ ${duration(s.typicalS)}`
        : s.patienceFrom === 'disk sizes' && s.patienceS !== null
          ? `max ${duration(s.patienceS)}`
          : '';
    return {
      when: clock(s.at),
      took: s.endAt === null ? `${duration(s.durationS)}…` : duration(s.durationS),
      typical,
      label: s.label,
      current,
      late: s.patienceS !== null && s.durationS > s.patienceS,
    };
  });
}

export function timelineHeading(t: TimelineView): string {
  if (!t.operation) return "timeline: no operation in MaaS's events";
  const outcome =
    t.outcome === 'done'
      ? 'finished'
      : t.outcome === 'failed'
        ? 'failed'
        : t.stalled
          ? 'stalled'
          : 'in progress';
  return `timeline of the ${t.operation} (${outcome}${t.startedAt !== null ? `, began ${clock(t.startedAt)} UTC` : ''})`;
}

/** The doctor's answer as an operator reads it: summary, cause and fixes, timeline, checks, events. */
export function renderDiagnosis(d: Diagnosis): string[] {
  const out: string[] = [];
  const t = d.timer;
  let head = `${d.hostname} (${d.systemId ?? 'not in MaaS'}): ${d.statusName}`;
  if (t?.inStateS != null) head += ` for ${duration(t.inStateS)}`;
  if (t?.timeoutS != null && t.remainingS != null)
    head +=
      t.remainingS > 0
        ? ` · MaaS fails it in ${duration(t.remainingS)} (node_timeout ${t.timeoutS / 60} min)`
        : ` · past MaaS's node_timeout (${t.timeoutS / 60} min)`;
  out.push(head, d.summary);
  if (d.task)
    out.push(
      `task ${d.task.id} ${d.task.kind}: ${d.task.state}${d.task.step ? ` at "${d.task.step}"` : ''}${d.task.error ? ` — ${d.task.error}` : ''}`,
    );
  out.push('');
  if (d.cause) {
    out.push(
      `likely cause (${d.cause.id}${d.cause.stage ? `, at "${d.cause.stage}"` : ''}): ${d.cause.sentence}`,
    );
    for (const e of d.cause.evidence) out.push(`  evidence: ${e}`);
    for (const h of d.cause.hints) out.push(`  see: ${h}`);
  } else out.push('likely cause: none: nothing in the timeline or the live checks is wrong');
  if (d.unchecked.length) out.push(`could not check: ${d.unchecked.join(', ')}`);
  if (d.fixes.length) {
    out.push('fixes (each a task; `rackpilot doctor HOST --fix ID`):');
    for (const f of d.fixes)
      out.push(`  ${f.id.padEnd(13)} ${f.label}${f.first ? ` — first: ${f.first}` : ''}`);
  }
  out.push('', timelineHeading(d.timeline));
  for (const r of timelineRows(d.timeline))
    out.push(
      `  ${r.current ? '>' : ' '} ${r.when}  ${r.took.padStart(8)}  ${r.typical.padEnd(12)} ${r.label}${r.late ? '  (late)' : ''}`,
    );
  if (d.timeline.waitingFor && d.timeline.outcome !== 'done') out.push(`    next: ${d.timeline.waitingFor}`);
  if (d.timeline.failure) out.push(`    MaaS: ${d.timeline.failure.text}`);
  out.push('', 'checks');
  for (const c of d.checks) {
    out.push(`  ${MARK[c.state]} ${c.title}`);
    for (const e of c.evidence) out.push(`         ${e}`);
  }
  if (d.events.length) {
    out.push('', 'MaaS events (level DEBUG, newest first)');
    for (const e of d.events.slice(0, 10))
      out.push(`  ${e.created}  ${e.level.padEnd(7)} ${e.type}${e.description ? ` - ${e.description}` : ''}`);
  }
  if (d.installLog) {
    out.push('', `curtin installation log (${d.curtin?.status ?? 'none'}), whole`);
    for (const l of d.installLog) out.push(`  ${l}`);
  } else if (d.curtin) {
    out.push('', `curtin installation log (${d.curtin.status}), last lines (all: --log)`);
    for (const l of d.curtin.tail) out.push(`  ${l}`);
  }
  if (d.console) {
    out.push('', `the host's console (SOL), last lines (all: rackpilot console ${d.hostname})`);
    for (const l of d.console) out.push(`  ${l}`);
  }
  return out;
}

/** Time left before MaaS's timeout, for a triage row. */
export function leftText(s: number | null): string {
  if (s === null) return '—';
  return s > 0 ? duration(s) : 'overdue';
}

/** The stage column's width when the width is not known (a pipe, `--json` aside). */
const STAGE_W = 30;
/** The least room a cause keeps: at 3 a.m. the cause is what the row is read for. */
const CAUSE_MIN_W = 40;
/** A narrower stage column is dropped rather than shown cut past reading. */
const STAGE_MIN_W = 12;

/** A row's cause column: the cause's title, "on time" or a dash. */
function causeText(r: Triage['rows'][number]): string {
  return r.cause ? r.cause.title : r.urgency === 2 ? 'on time' : '—';
}

/**
 * `doctor --all`: one line per host in trouble, most urgent first. Given the width of the screen,
 * the host and status columns take what their values need and the cause keeps its room: the stage
 * narrows first, and is left out below 12 columns (the doctor of the host shows it).
 */
export function renderTriage(t: Triage, width?: number): string[] {
  const out = [
    `${t.rows.length} of ${t.scanned} machines in a transitional or failed state (read in ${Math.round(t.tookMs)} ms)`,
  ];
  if (t.rows.length === 0) return out;
  const hostW = width ? Math.max(4, ...t.rows.map((r) => r.hostname.length)) : 14;
  const statusW = width ? Math.max(6, ...t.rows.map((r) => r.statusName.length)) : 18;
  const fixed = hostW + 1 + statusW + 1 + 7 + 2;
  const stageW = width ? Math.min(STAGE_W, width - fixed - 1 - CAUSE_MIN_W) : STAGE_W;
  const stage = stageW >= STAGE_MIN_W;
  const causeW = width ? width - fixed - (stage ? stageW + 1 : 0) : Infinity;
  const line = (host: string, status: string, left: string, stageText: string, cause: string) =>
    `${host.padEnd(hostW)} ${status.padEnd(statusW)} ${left.padStart(7)}  ` +
    (stage ? `${stageText.slice(0, stageW).padEnd(stageW)} ` : '') +
    (causeW === Infinity ? cause : fit(cause, causeW).trimEnd());
  out.push(line('HOST', 'STATUS', 'LEFT', 'STAGE', 'CAUSE'));
  for (const r of t.rows)
    out.push(line(r.hostname, r.statusName, leftText(r.remainingS), r.stage ?? '—', causeText(r)));
  for (const e of t.errors) out.push(`${e.hostname}: events not read: ${e.error}`);
  return out;
}
