import { randomBytes } from 'node:crypto';
import type { Low } from 'lowdb';
import { OperatorError } from '../../util/errors.ts';
import type { LogLine, StepRecord, StoreData, Task } from '../../protocol/records.ts';
import { JournalFile, journalPathFor } from './store-file.ts';
import type { RowOp } from './store-format.ts';

/**
 * The store's write path: every change is already in memory; the writer puts it on disk.
 *
 * Writes are serialised and coalesced: a request returns a promise that settles when a write that
 * began after it is on disk. Task changes and record changes of the small collections are appended
 * to the journal (one fdatasync for everything changed meanwhile); a change the journal cannot
 * carry, and a journal grown past its limit and the file's size, compact: the store file is
 * rewritten atomically with everything and a new journal generation starts.
 */
export interface StoreWriterOptions {
  path: string;
  db: Low<StoreData>;
  /** The adapter's cache of serialised tasks: an entry goes when its task changes. */
  taskJson: WeakMap<Task, string>;
  lazyWriteMs: number;
  journalLimitBytes: number;
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function snapshot(steps: readonly StepRecord[]): StepRecord[] {
  return steps.map((s) => ({ ...s }));
}

/** The same fields with the same values (lists and outputs by identity). */
function sameFields(a: StepRecord, b: StepRecord): boolean {
  const keys = Object.keys(b) as (keyof StepRecord)[];
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A write failure is reported to whoever awaits; an unawaited lazy write must not crash the process.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class StoreWriter {
  private readonly path: string;
  private readonly journalPath: string;
  private next: Deferred | null = null;
  private writing = false;
  private lazyTimer: NodeJS.Timeout | null = null;
  private lazy: Deferred | null = null;
  private closed = false;
  private changeSeq = 0;
  private writtenSeq = 0;
  private journal: JournalFile | null = null;
  /** Tasks changed since the last journal append. */
  private readonly dirtyTasks = new Set<Task>();
  /** Tasks the append under way carries; on disk once it completes. */
  private appending = new Set<Task>();
  /** A compaction under way: every record is on its way to disk, none is there yet. */
  private compacting = false;
  /** Record changes of the small collections since the last journal append. */
  private pendingOps: RowOp[][] = [];
  /** A change the journal cannot carry: the next write rewrites the store file. */
  private fullDirty = false;
  /** Per task, the last log line already journaled (log lines are appended as deltas). */
  private readonly logMark = new WeakMap<Task, LogLine | null>();
  /**
   * Per task, its step records as last written (shallow copies; the engine changes a step's
   * fields, and replaces its output and plan lists, never edits them). A step's change used to
   * write every step of its task again (72 of the 82 MB that 500 create+destroy journaled), and
   * a confirmed plan, some kilobytes, with each of its steps' changes (it doubled what a task
   * journals): each is written once, with the change that sets it.
   */
  private readonly stepMark = new WeakMap<Task, readonly StepRecord[]>();
  private fullWrites = 0;
  private closedAppends = 0;
  private closedJournalBytes = 0;

  constructor(
    private readonly opts: StoreWriterOptions,
    private readonly fileBytes: () => number,
    /** The store file's size as last written. */
    private readonly fileSize: () => number = () => 0,
  ) {
    this.path = opts.path;
    this.journalPath = journalPathFor(opts.path);
  }

  /** Something changed in memory (counted, so a lazy write with nothing new does nothing). */
  changed(): void {
    this.changeSeq += 1;
  }

  /** `task` changed (the journal carries it); without a task, the next write rewrites the file. */
  markTask(task: Task | undefined): void {
    if (task) {
      this.dirtyTasks.add(task);
      this.opts.taskJson.delete(task);
    } else {
      this.fullDirty = true;
    }
  }

  markRows(ops: RowOp[]): void {
    if (ops.length > 0) this.pendingOps.push(ops);
  }

  /** Forces a compaction with the next write (at open: fold a replayed journal into the file). */
  markFull(): void {
    this.fullDirty = true;
  }

  /** Resolves once a write that began after this call is on disk. */
  request(): Promise<void> {
    this.next ??= deferred();
    const promise = this.next.promise;
    if (!this.writing) {
      this.writing = true;
      // The drain starts once this tick's work is done: every change made in the tick goes in
      // one append and one fdatasync, which all their callers await.
      setImmediate(() => void this.drain());
    }
    return promise;
  }

  /** Every change made so far is on disk (none waits for a write, none is being written). */
  allWritten(): boolean {
    return this.writtenSeq === this.changeSeq;
  }

  /**
   * This task's record in memory is the one on disk: no change of it waits for a write or is
   * being written. Changes to other records do not count, so a read of one task is not held up
   * while the other running tasks keep the writer busy.
   */
  taskWritten(task: Task): boolean {
    return !this.fullDirty && !this.compacting && !this.dirtyTasks.has(task) && !this.appending.has(task);
  }

  /** Resolves with the next write, or after lazyWriteMs at the latest. */
  requestLazily(): Promise<void> {
    if (this.lazy) return this.lazy.promise;
    const d = deferred();
    this.lazy = d;
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = null;
      this.lazy = null;
      // Nothing new since the last write: a durable write already carried these changes.
      if (this.closed || this.writtenSeq === this.changeSeq) return d.resolve();
      this.request().then(d.resolve, d.reject);
    }, this.opts.lazyWriteMs);
    this.lazyTimer.unref();
    return d.promise;
  }

  stats(): { fileWrites: number; journalAppends: number; bytes: number } {
    return {
      fileWrites: this.fullWrites,
      journalAppends: (this.journal?.appends ?? 0) + this.closedAppends,
      bytes: this.fileBytes() + (this.journal?.bytes ?? 0) + this.closedJournalBytes,
    };
  }

  /** Writes what is pending (lazy changes included) and closes the journal. */
  async close(): Promise<void> {
    if (this.closed) return;
    const lazy = this.lazy;
    try {
      await this.request();
      // The final write carried the pending lazy changes too.
      lazy?.resolve();
    } catch (err) {
      lazy?.reject(err);
      throw err;
    } finally {
      this.closed = true;
      this.lazy = null;
      if (this.lazyTimer) clearTimeout(this.lazyTimer);
      await this.retireJournal();
    }
  }

  /** Rewrites the store file with everything (a new journal generation), then starts that journal. */
  private async compact(): Promise<void> {
    const data = this.opts.db.data;
    const gen = randomBytes(6).toString('hex');
    data.journalGen = gen;
    this.fullDirty = false;
    this.dirtyTasks.clear();
    this.pendingOps = [];
    // The file written now holds every log line so far; the journal carries only later ones.
    for (const t of data.tasks) {
      this.logMark.set(t, t.log.at(-1) ?? null);
      this.stepMark.set(t, snapshot(t.steps));
    }
    this.compacting = true;
    try {
      await this.opts.db.write();
      this.fullWrites += 1;
      await this.retireJournal();
      this.journal = await JournalFile.create(this.journalPath, gen);
    } catch (err) {
      this.fullDirty = true;
      throw err;
    } finally {
      this.compacting = false;
    }
  }

  private async appendDirty(): Promise<void> {
    const lines: string[] = [];
    for (const t of this.dirtyTasks) {
      const { log, ...rest } = t;
      const mark = this.logMark.get(t);
      // A mark trimmed away means more than the log limit was added: all current lines are new.
      const from = mark ? log.lastIndexOf(mark) + 1 : 0;
      this.logMark.set(t, log.at(-1) ?? null);
      const { kept, same } = this.sinceWritten(t);
      // A step as it was last written is left out (null): the replay takes it from that record.
      const steps = rest.steps.map((step, i) => {
        if (same?.[i]) return null;
        if (!kept) return step;
        const { plan: _p, undoPlan: _u, ...s } = step;
        return s;
      });
      const stepsKept = same?.some(Boolean) ?? false;
      lines.push(
        JSON.stringify({
          task: { ...rest, steps },
          log: log.slice(from),
          ...(kept && { plansKept: true }),
          ...(stepsKept && { stepsKept: true }),
        }),
      );
    }
    this.appending = new Set(this.dirtyTasks);
    this.dirtyTasks.clear();
    for (const ops of this.pendingOps) lines.push(JSON.stringify({ rows: ops }));
    this.pendingOps = [];
    try {
      await this.journal!.append(`${lines.join('\n')}\n`);
    } catch (err) {
      // The journal may now end in a partial line; start over with a full rewrite.
      this.fullDirty = true;
      await this.retireJournal().catch(() => undefined);
      throw err;
    } finally {
      this.appending.clear();
    }
  }

  /**
   * Against the task's last record (journaled or in the store file): whether its steps' plan lines
   * are the same lists (`kept`), and which steps are as it holds them (`same`; none when the steps
   * were replaced). Remembers the steps as written either way; the replay takes what is left out
   * from that record.
   */
  private sinceWritten(t: Task): { kept: boolean; same: boolean[] | undefined } {
    const was = this.stepMark.get(t);
    this.stepMark.set(t, snapshot(t.steps));
    if (!was || was.length !== t.steps.length) return { kept: false, same: undefined };
    return {
      kept: t.steps.every((s, i) => s.plan === was[i]!.plan && s.undoPlan === was[i]!.undoPlan),
      same: t.steps.map((s, i) => sameFields(was[i]!, s)),
    };
  }

  /**
   * Past its limit, and past the store file's own size: a compaction rewrites the whole file, so it
   * waits for as many journal bytes as it writes, and the cost per change stays flat as the store
   * grows (with a fixed limit, a store twice as large compacts as often at twice the cost).
   */
  private journalFull(): boolean {
    return this.journal!.size > Math.max(this.opts.journalLimitBytes, this.fileSize());
  }

  private async retireJournal(): Promise<void> {
    const j = this.journal;
    this.journal = null;
    if (!j) return;
    this.closedAppends += j.appends;
    this.closedJournalBytes += j.bytes;
    await j.close();
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.next) {
        const d = this.next;
        this.next = null;
        // A lazy write still pending is covered by this one.
        const seq = this.changeSeq;
        try {
          if (this.fullDirty || this.journal === null || this.journalFull()) await this.compact();
          else if (this.dirtyTasks.size > 0 || this.pendingOps.length > 0) await this.appendDirty();
          this.writtenSeq = Math.max(this.writtenSeq, seq);
          d.resolve();
        } catch (err) {
          d.reject(
            err instanceof OperatorError
              ? err
              : new OperatorError(`cannot write store file ${this.path}: ${(err as Error).message}`, {
                  target: this.path,
                  hint: 'check free disk space and permissions; the change is kept in memory and retried on the next write',
                  cause: err,
                }),
          );
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
