import type { Diagnosis } from '../src/protocol/doctor.ts';
import { duration, timelineHeading, timelineRows } from './doctor-text.ts';
import { ReadingView, seg, type Line, type ReadingFrame, type Segment } from './TroubleLines.tsx';

const MARK = { pass: seg('✓ ', 'ok'), fail: seg('✗ ', 'fail'), unknown: seg('? ', 'unknown') } as const;

/** The time in the current status against MaaS's timeout, counting down from the reading to `now`. */
export function timerLine(d: Diagnosis, now: number): Line {
  const t = d.timer;
  const since = Math.max(0, (now - d.readAt) / 1000);
  const out: Segment[] = [seg('state  ', 'dim'), seg(d.statusName, 'title')];
  if (t?.inStateS != null) out.push(seg(` for ${duration(t.inStateS + since)}`));
  if (t?.timeoutS != null && t.remainingS != null) {
    const left = t.remainingS - since;
    const cells = 20;
    const used = Math.max(0, Math.min(cells, Math.round(((t.timeoutS - left) / t.timeoutS) * cells)));
    out.push(seg('  [', 'dim'), seg('█'.repeat(used), left > 0 ? 'unknown' : 'fail'));
    out.push(seg('░'.repeat(cells - used) + ']  ', 'dim'));
    out.push(
      left > 0
        ? seg(`MaaS fails it in ${duration(left)} (node_timeout ${t.timeoutS / 60} min)`, 'unknown')
        : seg(`past MaaS's node_timeout (${t.timeoutS / 60} min)`, 'fail'),
    );
  } else if (t) out.push(seg('  (MaaS does not time this status)', 'dim'));
  return out;
}

/** Words of `text` in lines of at most `width` cells, the first after `first`, the rest after `indent`. */
export function wrapText(text: string, width: number, firstUsed: number, indent: number): string[] {
  const out: string[] = [];
  let line = '';
  let room = Math.max(20, width - firstUsed);
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > room) {
      out.push(line);
      line = word;
      room = Math.max(20, width - indent);
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

function wrapped(label: Segment, text: string, tone: Segment['tone'], width: number, indent = 2): Line[] {
  const parts = wrapText(text, width, label.text.length, indent);
  return parts.map((p, i) => (i === 0 ? [label, seg(p, tone)] : [seg(' '.repeat(indent)), seg(p, tone)]));
}

/** The stage rows: when each began, how long it took (so far), what is typical here, what it is. */
export function timelineLines(d: Diagnosis): Line[] {
  const out: Line[] = [[seg(timelineHeading(d.timeline), 'title')]];
  for (const r of timelineRows(d.timeline))
    out.push([
      seg(r.current ? ' ▸ ' : '   ', r.current ? 'key' : 'dim'),
      seg(`${r.when}  `, 'dim'),
      seg(r.took.padStart(8), r.late ? 'fail' : 'plain'),
      seg(`  ${r.typical.padEnd(12)} `, 'dim'),
      seg(r.label, r.current ? (r.late || d.timeline.outcome === 'failed' ? 'fail' : 'title') : 'plain'),
    ]);
  if (d.timeline.waitingFor && d.timeline.outcome !== 'done')
    out.push([seg(`   next: ${d.timeline.waitingFor}`, 'dim')]);
  if (d.timeline.failure) out.push([seg(`   MaaS: ${d.timeline.failure.text}`, 'fail')]);
  return out;
}

/**
 * The doctor's reading as lines: state and countdown, where the operation is, the likely cause
 * (wrapped, never cut) with its evidence and the fixes (numbered: the key that starts each; none in
 * read-only mode), what could not be checked, the timeline, each check with its evidence, MaaS's
 * DEBUG events and the curtin tail.
 */
export function doctorLines(d: Diagnosis, now: number, readOnly: boolean, width = 80): Line[] {
  const out: Line[] = [timerLine(d, now)];
  out.push(...wrapped(seg('story  ', 'dim'), d.summary, 'plain', width, 7));
  if (d.task)
    out.push([
      seg('task   ', 'dim'),
      seg(`${d.task.id} ${d.task.kind}: ${d.task.state}`, d.task.state === 'failed' ? 'fail' : 'plain'),
      seg(d.task.step ? ` at "${d.task.step}"` : ''),
      seg(d.task.error ? ` — ${d.task.error}` : '', 'fail'),
    ]);
  out.push([]);
  if (d.cause) {
    out.push(...wrapped(seg('likely cause  ', 'title'), d.cause.sentence, 'fail', width));
    for (const e of d.cause.evidence) out.push(...wrapped(seg('  ▸ ', 'dim'), e, 'dim', width, 4));
    for (const h of d.cause.hints) out.push(...wrapped(seg('  see ', 'dim'), h, 'plain', width, 6));
  } else
    out.push([
      seg('likely cause  ', 'title'),
      seg('none: nothing in the timeline or the live checks is wrong', 'ok'),
    ]);
  if (d.unchecked.length)
    out.push(...wrapped(seg('could not check  ', 'unknown'), d.unchecked.join(', '), 'unknown', width));
  if (d.fixes.length) {
    out.push([
      seg(
        readOnly
          ? 'fixes (read-only: none can be started here)'
          : 'fixes (the number starts it as a task, after y)',
        'title',
      ),
    ]);
    d.fixes.forEach((f, i) =>
      out.push([
        seg(readOnly ? '   ' : ` ${i + 1} `, 'key'),
        seg(` ${f.id.padEnd(13)}`, 'dim'),
        seg(f.label),
        seg(f.first ? ` — first: ${f.first}` : '', 'unknown'),
      ]),
    );
  }
  out.push([], ...timelineLines(d));
  out.push([], [seg('checks', 'title')]);
  for (const c of d.checks) {
    out.push([seg('  '), MARK[c.state], seg(c.title, c.state === 'fail' ? 'fail' : 'plain')]);
    for (const e of c.evidence) out.push([seg(`      ${e}`, 'dim')]);
  }
  out.push([], [seg('MaaS events (level DEBUG, newest first)', 'title')]);
  if (d.events.length === 0) out.push([seg('  none', 'dim')]);
  for (const e of d.events.slice(0, 15))
    out.push([
      seg(`  ${e.created}  `, 'dim'),
      seg(e.level.padEnd(7), e.level === 'ERROR' ? 'fail' : e.level === 'WARNING' ? 'unknown' : 'dim'),
      seg(` ${e.type}${e.description ? ` - ${e.description}` : ''}`),
    ]);
  out.push([]);
  if (d.curtin) {
    out.push([seg(`curtin installation output (${d.curtin.status}), last lines`, 'title')]);
    for (const l of d.curtin.tail) out.push([seg(`  ${l}`, /error|fail/i.test(l) ? 'fail' : 'dim')]);
  } else out.push([seg('curtin installation output: none yet', 'dim')]);
  if (d.console) {
    out.push([], [seg("the host's console (SOL), last lines", 'title')]);
    for (const l of d.console) out.push([seg(`  ${l}`, 'dim')]);
  }
  return out;
}

export function DoctorView({
  hostname,
  diagnosis,
  readOnly,
  ...frame
}: { hostname: string; diagnosis: Diagnosis | null; readOnly: boolean } & ReadingFrame) {
  return (
    <ReadingView
      name={`doctor ${hostname}`}
      detail={diagnosis ? ` (${diagnosis.systemId ?? 'not in MaaS'})` : ''}
      readAt={diagnosis?.readAt ?? null}
      lines={diagnosis ? doctorLines(diagnosis, frame.now, readOnly, frame.width) : null}
      reading=" · reading…"
      placeholder="reading MaaS, the BMC and the switches…"
      cadence=", every 5 s"
      {...frame}
    />
  );
}
