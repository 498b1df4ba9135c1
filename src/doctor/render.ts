import type { Diagnosis } from './schema.ts';

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

/** The doctor's answer as an operator reads it: state and countdown, checks, events, curtin, cause, fixes. */
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
  out.push(head);
  if (d.task)
    out.push(
      `task ${d.task.id} ${d.task.kind}: ${d.task.state}${d.task.step ? ` at "${d.task.step}"` : ''}${d.task.error ? ` — ${d.task.error}` : ''}`,
    );
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
  if (d.curtin) {
    out.push('', `curtin installation log (${d.curtin.status}), last lines`);
    for (const l of d.curtin.tail) out.push(`  ${l}`);
  }
  out.push(
    '',
    d.cause
      ? `likely cause: ${d.cause.sentence}`
      : 'likely cause: none found: every check passes or could not be read',
  );
  if (d.fixes.length) {
    out.push('fixes (each a task; `rackpilot doctor HOST --fix ID`):');
    for (const f of d.fixes)
      out.push(`  ${f.id.padEnd(13)} ${f.label}${f.first ? ` — first: ${f.first}` : ''}`);
  }
  return out;
}
