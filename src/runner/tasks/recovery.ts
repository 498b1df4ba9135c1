import { IN_FLIGHT, PRUNABLE } from './internal.ts';
import type { TaskJournal } from './journal.ts';

/**
 * Start-up: tasks the journal shows as pending, running or rolling back were cut off by the process
 * ending. They become 'interrupted', their step records untouched, awaiting resume or rollback.
 * `busy` says which tasks this process is working on (never touched). Returns the ids marked.
 */
export async function markInterrupted(j: TaskJournal, busy: (id: string) => boolean): Promise<string[]> {
  const ids: string[] = [];
  const writes: Promise<void>[] = [];
  for (const t of j.coord.tasks()) {
    if (!IN_FLIGHT.has(t.state) || busy(t.id)) continue;
    const was = t.state;
    const runningStep = t.steps.findIndex(
      (s) => s.state === 'running' || (s.undoStartedAt !== undefined && s.state !== 'undone'),
    );
    const where = runningStep >= 0 ? ` during step ${runningStep + 1} (${t.steps[runningStep]!.title})` : '';
    const text = `interrupted: rackpilot stopped while the task was ${was}${where}`;
    ids.push(t.id);
    writes.push(
      j.coord.mutateTask(t.id, (task) => {
        task.state = 'interrupted';
        task.error = text;
        j.pushLog(task, 'warn', `${text}; resume or roll it back`, undefined, true, 'engine');
      }),
    );
  }
  await Promise.all(writes);
  for (const id of ids) j.emit({ type: 'task-interrupted', taskId: id, at: j.clock.now() });
  return ids;
}

/**
 * Drops the oldest finished tasks (done, rolled back, cancelled) beyond `keep`. Failed and
 * interrupted tasks are never dropped: they await the operator.
 */
export async function pruneFinished(
  j: TaskJournal,
  keep: number,
  busy: (id: string) => boolean,
): Promise<void> {
  // Newest first; the journal keeps tasks in creation order, which breaks ties of equal timestamps.
  const finished = j.coord
    .tasks()
    .map((t, order) => ({ t, order }))
    .filter(({ t }) => PRUNABLE.has(t.state) && !busy(t.id))
    .sort((a, b) =>
      a.t.updatedAt === b.t.updatedAt ? b.order - a.order : a.t.updatedAt < b.t.updatedAt ? 1 : -1,
    );
  const drop = new Set(finished.slice(keep).map(({ t }) => t.id));
  if (drop.size > 0) await j.coord.removeTasks(drop);
}
