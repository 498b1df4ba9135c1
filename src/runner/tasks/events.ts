import type { LogLevel, LogSource, MaasProgress, TaskState, TaskTarget } from '../../protocol/records.ts';

/**
 * THE event stream from tasks to the UI (and to anything else that watches, e.g. `--json` output).
 * Every text field (titles, log lines, errors) has been through redact().
 */
interface Base {
  taskId: string;
  /** Epoch ms from the engine's clock. */
  at: number;
}
interface StepBase extends Base {
  index: number;
  title: string;
}

export type TaskMode = 'run' | 'resume' | 'rollback';

export type TaskEvent =
  | (Base & { type: 'task-created'; kind: string; target: TaskTarget; steps: string[] })
  | (Base & { type: 'task-started'; mode: TaskMode })
  | (StepBase & { type: 'step-started'; attempt: number })
  | (StepBase & {
      type: 'step-progress';
      fraction: number;
      text?: string;
      maas?: MaasProgress;
      estimateMs?: number;
    })
  | (Base & { type: 'log'; level: LogLevel; index?: number; text: string; source?: LogSource })
  | (StepBase & { type: 'step-done'; alreadyInPlace: boolean })
  | (StepBase & { type: 'step-failed'; error: string; attempt: number; retryInMs?: number })
  | (StepBase & { type: 'step-skipped'; reason: string })
  | (StepBase & { type: 'step-undo-started'; attempt: number })
  | (StepBase & { type: 'step-undone' })
  | (StepBase & { type: 'step-undo-failed'; error: string })
  | (Base & { type: 'task-done' })
  | (Base & { type: 'task-failed'; error: string })
  | (Base & { type: 'task-cancelled'; reason: string })
  | (Base & { type: 'task-interrupted' })
  | (Base & { type: 'task-rolled-back' })
  | (Base & { type: 'task-rollback-failed'; error: string });

export type TaskEventType = TaskEvent['type'];
export type TaskListener = (event: TaskEvent) => void;

/** States in which no code of this process is working on the task. */
export const SETTLED_STATES: readonly TaskState[] = [
  'done',
  'failed',
  'cancelled',
  'interrupted',
  'rolled-back',
  'rollback-failed',
];

export function isSettled(state: TaskState): boolean {
  return SETTLED_STATES.includes(state);
}
