import type { Task } from './schema.ts';

/** The task list as the dashboard shows it. */
export interface TaskFeedSnapshot {
  /** Unfinished and failed first, then newest first. */
  tasks: readonly Task[];
  refreshedAt: number | null;
  error: string | null;
}

const ACTIVE: readonly string[] = [
  'running',
  'pending',
  'rolling-back',
  'interrupted',
  'failed',
  'rollback-failed',
  'cancelled',
];

export function orderTasks(tasks: readonly Task[]): Task[] {
  const rank = (t: Task) =>
    t.state === 'running' || t.state === 'rolling-back' || t.state === 'pending'
      ? 0
      : ACTIVE.includes(t.state)
        ? 1
        : 2;
  return [...tasks].sort((a, b) => rank(a) - rank(b) || b.updatedAt.localeCompare(a.updatedAt));
}
