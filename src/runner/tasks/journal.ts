import {
  TASK_LOG_LIMIT,
  type LogLevel,
  type LogSource,
  type StepRecord,
  type Task,
  type TaskState,
} from '../../protocol/records.ts';
import { OperatorError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import type { Clock } from './clock.ts';
import type { Coordinator } from './coordination.ts';
import type { TaskEvent, TaskListener } from './events.ts';

/**
 * The engine's writes to the task journal (through the coordinator) and its event stream, in one
 * place: log lines, task endings, and the fan-out to subscribers. Every text goes through redact().
 */
export class TaskJournal {
  readonly listeners = new Set<TaskListener>();

  constructor(
    readonly coord: Coordinator,
    readonly clock: Clock,
  ) {}

  emit(event: TaskEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A failing subscriber (a UI bug) must never stop a task half way.
      }
    }
  }

  /**
   * A log line of the task (of step `index`, from `source`), journaled lazily and sent to
   * subscribers. The engine's own lines pass 'engine'; a step's lines pass what ctx.log was given.
   */
  log(id: string, level: LogLevel, text: string, index?: number, source?: LogSource): void {
    const clean = redact(text);
    // Log lines need no write-ahead; they ride on the next journal write.
    void this.coord
      .mutateTask(id, (t) => this.appendLog(t, level, clean, index, false, source), { durable: false })
      .catch(() => undefined);
    this.emit({
      type: 'log',
      taskId: id,
      at: this.clock.now(),
      level,
      text: clean,
      ...(index === undefined ? {} : { index }),
      ...(source === undefined ? {} : { source }),
    });
  }

  /** Appends inside a mutation; `announce` also sends it to subscribers. */
  pushLog(t: Task, level: LogLevel, text: string, index?: number, announce = true, source?: LogSource): void {
    this.appendLog(t, level, redact(text), index, announce, source);
  }

  /** pushLog for a text already redacted: one scan per line, whichever way it came. */
  private appendLog(
    t: Task,
    level: LogLevel,
    clean: string,
    index?: number,
    announce = true,
    source?: LogSource,
  ): void {
    t.log.push({
      at: this.iso(),
      level,
      text: clean,
      ...(index === undefined ? {} : { step: index }),
      ...(source === undefined ? {} : { source }),
    });
    if (t.log.length > TASK_LOG_LIMIT) t.log.splice(0, t.log.length - TASK_LOG_LIMIT);
    if (announce) {
      this.emit({
        type: 'log',
        taskId: t.id,
        at: this.clock.now(),
        level,
        text: clean,
        ...(index === undefined ? {} : { index }),
        ...(source === undefined ? {} : { source }),
      });
    }
  }

  /** Journals the task's end state (durably) and announces it. */
  async finish(id: string, state: TaskState, error?: string): Promise<void> {
    const text = error === undefined ? undefined : redact(error);
    await this.coord.mutateTask(id, (t) => {
      t.state = state;
      if (text === undefined) delete t.error;
      else t.error = text;
      this.pushLog(
        t,
        state === 'done' || state === 'rolled-back' ? 'info' : 'error',
        text ?? `task ${state}`,
        undefined,
        true,
        'engine',
      );
    });
    const base = { taskId: id, at: this.clock.now() };
    switch (state) {
      case 'done':
        return this.emit({ type: 'task-done', ...base });
      case 'failed':
        return this.emit({ type: 'task-failed', ...base, error: text ?? 'failed' });
      case 'cancelled':
        return this.emit({ type: 'task-cancelled', ...base, reason: text ?? 'cancelled' });
      case 'rolled-back':
        return this.emit({ type: 'task-rolled-back', ...base });
      case 'rollback-failed':
        return this.emit({ type: 'task-rollback-failed', ...base, error: text ?? 'rollback failed' });
      default:
        return;
    }
  }

  record(id: string, i: number): Readonly<StepRecord> {
    return this.coord.task(id)!.steps[i]!;
  }

  /** A copy of the task's record, or an OperatorError naming the id. */
  requireTask(id: string): Task {
    const t = this.coord.task(id);
    if (!t)
      throw new OperatorError(`no task ${id}`, { target: id, hint: 'list tasks with `rackpilot tasks`' });
    return structuredClone(t) as Task;
  }

  iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}
