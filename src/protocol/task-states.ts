import { TASK_STATES, type Task, type TaskState } from './records.ts';

/** A task the engine is still working on (or will: queued). */
export const IN_FLIGHT: ReadonlySet<TaskState> = new Set(['pending', 'running', 'rolling-back']);

/** States in which no code is working on the task: every state not in flight. */
export const SETTLED_STATES: readonly TaskState[] = TASK_STATES.filter((s) => !IN_FLIGHT.has(s));

export function isSettled(state: TaskState): boolean {
  return !IN_FLIGHT.has(state);
}

/** Stopped short and awaiting the operator: these, and only these, can be resumed or rolled back. */
export const AWAITING_DECISION: ReadonlySet<TaskState> = new Set([
  'interrupted',
  'failed',
  'cancelled',
  'rollback-failed',
]);

/** Tasks a cancel acts on: in flight, or interrupted (closed as cancelled). */
export const CANCELLABLE: ReadonlySet<TaskState> = new Set([...IN_FLIGHT, 'interrupted']);

export function inFlight(t: Task): boolean {
  return IN_FLIGHT.has(t.state);
}

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
  const rank = (t: Task) => (inFlight(t) ? 0 : ACTIVE.includes(t.state) ? 1 : 2);
  return [...tasks].sort((a, b) => rank(a) - rank(b) || b.updatedAt.localeCompare(a.updatedAt));
}
