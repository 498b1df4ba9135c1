import type { Diagnosis } from '../src/doctor/schema.ts';
import { duration } from '../src/doctor/render.ts';
import { ReadingView, seg, type Line, type Segment } from './TroubleLines.tsx';

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

/**
 * The doctor's reading as lines: state and countdown, the task on the host, the likely cause and
 * the fixes (numbered: the key that starts each; none in read-only mode), each check with its
 * evidence, MaaS's DEBUG events and the curtin tail.
 */
export function doctorLines(d: Diagnosis, now: number, readOnly: boolean): Line[] {
  const out: Line[] = [timerLine(d, now)];
  if (d.task)
    out.push([
      seg('task   ', 'dim'),
      seg(`${d.task.id} ${d.task.kind}: ${d.task.state}`, d.task.state === 'failed' ? 'fail' : 'plain'),
      seg(d.task.step ? ` at "${d.task.step}"` : ''),
      seg(d.task.error ? ` — ${d.task.error}` : '', 'fail'),
    ]);
  out.push([]);
  out.push(
    d.cause
      ? [seg('likely cause  ', 'title'), seg(d.cause.sentence, 'fail')]
      : [seg('likely cause  ', 'title'), seg('none found: every check passes or could not be read', 'ok')],
  );
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
  return out;
}

export function DoctorView({
  hostname,
  diagnosis,
  error,
  loading,
  now,
  readOnly,
  offset,
  width,
  height,
}: {
  hostname: string;
  diagnosis: Diagnosis | null;
  error: string | null;
  loading: boolean;
  now: number;
  readOnly: boolean;
  offset: number;
  width: number;
  height: number;
}) {
  return (
    <ReadingView
      name={`doctor ${hostname}`}
      detail={diagnosis ? ` (${diagnosis.systemId ?? 'not in MaaS'})` : ''}
      readAt={diagnosis?.readAt ?? null}
      lines={diagnosis ? doctorLines(diagnosis, now, readOnly) : null}
      reading=" · reading…"
      placeholder="reading MaaS, the BMC and the switches…"
      cadence=", every 5 s"
      {...{ error, loading, now, offset, width, height }}
    />
  );
}
