import type { Task } from '../../protocol/records.ts';
import type { TaskEvent } from '../tasks/events.ts';

/**
 * The engine's events for a task another jump host's runner changed: what changed between the
 * two records seen through etcd, so that a dashboard or `task follow` at this jump host sees the
 * task advance as if it ran here (new log lines, step and task state changes).
 */
export function remoteTaskEvents(
  before: Readonly<Task> | undefined,
  after: Readonly<Task> | undefined,
  at = Date.now(),
): TaskEvent[] {
  if (!after) return [];
  const out: TaskEvent[] = [];
  const taskId = after.id;
  if (!before) {
    out.push({
      type: 'task-created',
      taskId,
      at,
      kind: after.kind,
      target: { ...after.target },
      steps: after.steps.map((s) => s.title),
    });
  }
  const wasState = before?.state ?? 'pending';
  if (after.state !== wasState && (after.state === 'running' || after.state === 'rolling-back')) {
    out.push({ type: 'task-started', taskId, at, mode: after.state === 'rolling-back' ? 'rollback' : 'run' });
  }
  after.steps.forEach((s, index) => {
    const was = before?.steps[index];
    if (was && was.state === s.state && was.attempts === s.attempts) return;
    const title = s.title;
    switch (s.state) {
      case 'running':
        out.push({ type: 'step-started', taskId, at, index, title, attempt: Math.max(1, s.attempts) });
        break;
      case 'done':
        out.push({
          type: 'step-done',
          taskId,
          at,
          index,
          title,
          alreadyInPlace: s.note === 'already in place',
        });
        break;
      case 'failed':
        out.push({
          type: 'step-failed',
          taskId,
          at,
          index,
          title,
          error: s.error ?? 'failed',
          attempt: Math.max(1, s.attempts),
        });
        break;
      case 'skipped':
        out.push({ type: 'step-skipped', taskId, at, index, title, reason: s.note ?? '' });
        break;
      case 'undone':
        out.push({ type: 'step-undone', taskId, at, index, title });
        break;
      default:
        break;
    }
  });
  // New log lines: those after the last line both records have (the log is capped at its head).
  const last = before?.log[before.log.length - 1];
  let from = 0;
  if (last) {
    const i = after.log.findLastIndex((l) => l.at === last.at && l.text === last.text);
    from = i >= 0 ? i + 1 : 0;
  }
  for (const l of after.log.slice(from)) {
    out.push({
      type: 'log',
      taskId,
      at,
      level: l.level,
      text: l.text,
      ...(l.step === undefined ? {} : { index: l.step }),
      ...(l.source === undefined ? {} : { source: l.source }),
    });
  }
  if (after.state !== wasState) {
    const error = after.error ?? after.state;
    switch (after.state) {
      case 'done':
        out.push({ type: 'task-done', taskId, at });
        break;
      case 'failed':
        out.push({ type: 'task-failed', taskId, at, error });
        break;
      case 'cancelled':
        out.push({ type: 'task-cancelled', taskId, at, reason: error });
        break;
      case 'interrupted':
        out.push({ type: 'task-interrupted', taskId, at });
        break;
      case 'rolled-back':
        out.push({ type: 'task-rolled-back', taskId, at });
        break;
      case 'rollback-failed':
        out.push({ type: 'task-rollback-failed', taskId, at, error });
        break;
      default:
        break;
    }
  }
  return out;
}
