import type { TaskEngine, TaskEvent } from '../tasks/index.ts';
import type { Task } from '../../state/schema.ts';
import { eprintln, type CommandIo } from './io.ts';

/** Human progress of one task on stderr: step starts, log lines, results. */
export function describeEvent(e: TaskEvent): string | null {
  switch (e.type) {
    case 'step-started':
      return `[${e.index + 1}] ${e.title}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'step-failed':
      return `    failed: ${e.error}${e.retryInMs !== undefined ? ` — retrying in ${Math.round(e.retryInMs / 100) / 10} s` : ''}`;
    case 'step-skipped':
      return `    skipped: ${e.reason}`;
    case 'step-undo-started':
      return `[undo ${e.index + 1}] ${e.title}`;
    case 'step-undo-failed':
      return `    undo failed: ${e.error}`;
    case 'log':
      return e.level === 'debug' ? null : `    ${e.text}`;
    case 'task-failed':
      return `FAILED: ${e.error}`;
    case 'task-cancelled':
      return `cancelled: ${e.reason}`;
    case 'task-rolled-back':
      return 'rolled back';
    case 'task-rollback-failed':
      return `ROLLBACK FAILED: ${e.error}`;
    default:
      return null;
  }
}

/**
 * Waits for a task while printing its progress; Ctrl-C cancels it (the journal keeps where it
 * stopped, so it can be resumed or rolled back later).
 */
export async function followTask(engine: TaskEngine, id: string, io: CommandIo): Promise<Task> {
  const unsubscribe = engine.subscribe((e) => {
    if (e.taskId !== id) return;
    const line = describeEvent(e);
    if (line !== null) eprintln(io, line);
  });
  const onSigint = () => {
    eprintln(io, `cancelling task ${id} (the journal keeps its progress)…`);
    void engine.cancel(id, 'interrupted by the operator (Ctrl-C)').catch(() => undefined);
  };
  process.once('SIGINT', onSigint);
  try {
    return await engine.wait(id);
  } finally {
    process.off('SIGINT', onSigint);
    unsubscribe();
  }
}

export function taskSummary(t: Task): Record<string, unknown> {
  return {
    id: t.id,
    kind: t.kind,
    state: t.state,
    target: t.target,
    error: t.error,
    steps: t.steps.map((s) => ({
      title: s.title,
      state: s.state,
      attempts: s.attempts,
      error: s.error,
      note: s.note,
    })),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export function afterTaskHint(t: Task, io: CommandIo): void {
  if (t.state === 'failed' || t.state === 'cancelled' || t.state === 'interrupted') {
    eprintln(
      io,
      `task ${t.id} ${t.state}: \`rackpilot task resume ${t.id}\` to retry from the failed step, or \`rackpilot task rollback ${t.id}\` to undo`,
    );
  }
}

export function exitCodeFor(t: Task): number {
  return t.state === 'done' || t.state === 'rolled-back' ? 0 : 1;
}
