import { stat } from 'node:fs/promises';
import { describeError } from '../src/util/errors.ts';
import { PolledSnapshot } from './observable.ts';
import { readStore, type Task } from './store.ts';

/**
 * The dashboard's view of the task journal. The dashboard never holds the store (the CLI that
 * runs a task does), so it reads the file read-only, and only when the file or its journal changed.
 */
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

export class TaskFeed extends PolledSnapshot<TaskFeedSnapshot> {
  private signature = '';
  private busy = false;

  constructor(
    readonly storePath: string,
    private readonly clock: () => number = Date.now,
  ) {
    super({ tasks: [], refreshedAt: null, error: null });
  }

  override async refresh(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const sig = await this.fileSignature();
      if (sig === this.signature && this.getSnapshot().error === null) return;
      const data = sig === 'missing' ? null : await readStore(this.storePath);
      this.signature = sig;
      this.publish({ tasks: orderTasks(data?.tasks ?? []), refreshedAt: this.clock(), error: null });
    } catch (err) {
      this.publish({ ...this.getSnapshot(), error: describeError(err) });
    } finally {
      this.busy = false;
    }
  }

  private async fileSignature(): Promise<string> {
    const parts: string[] = [];
    for (const p of [this.storePath, `${this.storePath}.journal`]) {
      try {
        const s = await stat(p);
        parts.push(`${s.size}:${s.mtimeMs}`);
      } catch {
        parts.push('-');
      }
    }
    return parts[0] === '-' ? 'missing' : parts.join('|');
  }
}
