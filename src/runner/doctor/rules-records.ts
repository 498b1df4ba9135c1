import { EV } from './catalogue.ts';
import { iso } from './facts.ts';
import { last, statusCode, statusName, type Rule } from './cause.ts';
import { MARK_FIXED, resetFix, resumeFix } from './fixes.ts';
import { line } from './timeline.ts';

/**
 * What the records say when nothing more specific does: an operator's (or MaaS's) mark with its
 * reason, the failed status MaaS set, rackpilot's own task that failed.
 */

// ---------- the operator's own words ----------

export const operatorWords: Rule = ({ f, t }) => {
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

export const maasFailed: Rule = ({ f }) => {
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

export const taskFailed: Rule = ({ f }) => {
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
