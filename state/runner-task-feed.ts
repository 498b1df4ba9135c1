import { describeError } from '../src/util/errors.ts';
import type { TaskEvent } from '../src/protocol/events.ts';
import type { RunnerClient } from '../src/client/runner-client.ts';
import { PolledSnapshot } from './observable.ts';
import { orderTasks, type TaskFeedSnapshot } from '../src/protocol/task-states.ts';
import type { MaasProgress, Task } from '../src/protocol/records.ts';

/** A running step's own progress (`step-progress` events): live only, never journaled. */
export interface StepProgress {
  index: number;
  fraction: number;
  text?: string;
  /** MaaS's status, status message and latest event while the step waits on it. */
  maas?: MaasProgress;
  /** The stage's typical duration at this site, when its history is known. */
  estimateMs?: number;
}

/** The task list plus each running task's step progress, by task id. */
export interface LiveTaskSnapshot extends TaskFeedSnapshot {
  progress?: ReadonlyMap<string, StepProgress>;
}

/**
 * The dashboard's tasks, live from the runner: the full list once on subscribing, then each event
 * re-reads only the task it names (coalesced: a burst of log lines costs one read per task per
 * `coalesceMs`). No polling of the store file: a task started from any terminal appears as soon
 * as the runner announces it.
 */
export class RunnerTaskFeed extends PolledSnapshot<LiveTaskSnapshot> {
  private readonly tasks = new Map<string, Task>();
  private progress = new Map<string, StepProgress>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | null = null;
  private off: (() => void) | null = null;

  constructor(
    private readonly client: RunnerClient,
    private readonly opts: { coalesceMs?: number; now?: () => number } = {},
  ) {
    super({ tasks: [], refreshedAt: null, error: null });
  }

  /** Subscribes to every task's events; call once. */
  async connect(): Promise<void> {
    this.off?.();
    const offEvent = this.client.onEvent((e) => this.onEvent(e));
    const offClose = this.client.onClose((reason) => this.publish({ ...this.getSnapshot(), error: reason }));
    this.off = () => {
      offEvent();
      offClose();
    };
    try {
      const { tasks } = await this.client.call('tasks.subscribe', {});
      this.tasks.clear();
      for (const t of tasks) this.tasks.set(t.id, t);
      this.emitSnapshot(null);
    } catch (err) {
      this.publish({ ...this.getSnapshot(), error: describeError(err) });
    }
  }

  override async refresh(): Promise<void> {
    await this.connect();
  }

  close(): void {
    this.off?.();
    this.off = null;
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  private onEvent(e: TaskEvent): void {
    if (e.type === 'step-progress') {
      // Not in the journal: kept here, published with the next flush, no re-read of the task.
      this.progress = new Map(this.progress).set(e.taskId, {
        index: e.index,
        fraction: e.fraction,
        ...(e.text === undefined ? {} : { text: e.text }),
        ...(e.maas && { maas: e.maas }),
        ...(e.estimateMs !== undefined && { estimateMs: e.estimateMs }),
      });
    } else {
      // A step that starts, ends or fails (or a task that ends) makes the old fraction moot.
      if (e.type !== 'log') this.dropProgress(e.taskId);
      this.dirty.add(e.taskId);
    }
    this.flushTimer ??= setTimeout(() => void this.flush(), this.opts.coalesceMs ?? 100);
  }

  private async flush(): Promise<void> {
    this.flushTimer = null;
    const ids = [...this.dirty];
    this.dirty.clear();
    try {
      const fresh = await Promise.all(
        ids.map((id) => this.client.call('tasks.get', { id }).catch(() => null)),
      );
      ids.forEach((id, i) => {
        const t = fresh[i];
        if (t) this.tasks.set(id, t);
        else this.tasks.delete(id);
      });
      this.emitSnapshot(null);
    } catch (err) {
      this.publish({ ...this.getSnapshot(), error: describeError(err) });
    }
  }

  private dropProgress(id: string): void {
    if (!this.progress.has(id)) return;
    this.progress = new Map(this.progress);
    this.progress.delete(id);
  }

  private emitSnapshot(error: string | null): void {
    this.publish({
      tasks: orderTasks([...this.tasks.values()]),
      refreshedAt: (this.opts.now ?? Date.now)(),
      error,
      progress: this.progress,
    });
  }
}
