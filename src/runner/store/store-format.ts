import { promises as fsp } from 'node:fs';
import type { Adapter } from 'lowdb';
import type { z } from 'zod';
import { OperatorError } from '../../util/errors.ts';
import {
  COLLECTIONS,
  STORE_VERSION,
  storeDataSchema,
  type CollectionName,
  type Migration,
  type StoreData,
  type Task,
  TASK_LOG_LIMIT,
} from '../../protocol/records.ts';
import { AtomicFileWriter, FILE_MODE, journalPathFor, readIfExists, readJournal } from './store-file.ts';

/**
 * The store's formats: how the store file is read (parse, journal replay, migration, validation)
 * and serialised, and how record changes of the small collections travel in the journal.
 */

export function describeIssues(err: z.ZodError, max = 5): string {
  const parts = err.issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (err.issues.length > max) parts.push(`… ${err.issues.length - max} more`);
  return parts.join('; ');
}

/** lowdb adapter: parses, migrates and validates on read; serialises with a per-task cache on write. */
export class StoreFileAdapter implements Adapter<StoreData> {
  /** Serialised tasks; an entry is dropped whenever its task changes. Finished tasks never change again. */
  readonly taskJson = new WeakMap<Task, string>();
  /** The records of the small collections as last encoded, by record (replaced, never changed in place). */
  private readonly rowJson = new WeakMap<object, string>();
  constructor(
    private readonly path: string,
    private readonly writer: AtomicFileWriter | null,
    private readonly migrations: Record<number, Migration>,
    private readonly notice: (text: string) => void,
  ) {}

  async read(): Promise<StoreData | null> {
    const text = await readIfExists(this.path);
    if (text === null) return null;
    const refuse = (problem: string): never => {
      throw new OperatorError(`store file ${this.path} ${problem}; it was left untouched`, {
        target: this.path,
        hint: 'restore it from a backup, or move it aside to start with an empty store',
      });
    };
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      return refuse(`is not valid JSON (${(err as Error).message})`);
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      return refuse('does not hold a JSON object');
    let doc = raw as Record<string, unknown>;
    await this.replay(doc);
    const from = doc.version === undefined ? 0 : doc.version;
    if (typeof from !== 'number' || !Number.isInteger(from) || from < 0) {
      return refuse(`has an invalid schema version ${JSON.stringify(from)}`);
    }
    if (from > STORE_VERSION) {
      return refuse(
        `was written by a newer rackpilot (schema version ${from}, this one reads up to ${STORE_VERSION})`,
      );
    }
    for (let v = from; v < STORE_VERSION; v++) {
      const step = this.migrations[v];
      if (!step) return refuse(`has schema version ${v} and no migration from it exists`);
      try {
        doc = step(doc);
      } catch (err) {
        return refuse(`could not be migrated from version ${v} (${(err as Error).message})`);
      }
    }
    const parsed = storeDataSchema.safeParse(doc);
    if (!parsed.success) return refuse(`does not match the store schema: ${describeIssues(parsed.error)}`);
    if (from !== STORE_VERSION) {
      if (this.writer) {
        const backup = `${this.path}.v${from}.bak`;
        await fsp.writeFile(backup, text, { mode: FILE_MODE });
        this.notice(
          `store ${this.path} migrated from schema version ${from} to ${STORE_VERSION}; original kept as ${backup}`,
        );
        this.migratedFrom = from;
      }
    }
    return parsed.data;
  }

  migratedFrom: number | null = null;
  replayed = 0;

  /** Applies the journal's task records (if it belongs to this store file) to the raw document. */
  private async replay(doc: Record<string, unknown>): Promise<void> {
    const journalPath = journalPathFor(this.path);
    const j = await readJournal(journalPath);
    if (j === null || j.gen === null || j.gen !== doc.journalGen) return;
    if (j.tornTail) {
      this.notice(
        `store journal ${journalPath} ended in a record cut short by a crash; it had not been confirmed and was dropped`,
      );
    }
    if (!Array.isArray(doc.tasks)) doc.tasks = [];
    const tasks = doc.tasks as Record<string, unknown>[];
    const index = new Map<unknown, number>(tasks.map((t, i) => [t?.id, i]));
    j.records.forEach((rec, n) => {
      const rowOps = (rec as { rows?: unknown } | null)?.rows;
      if (Array.isArray(rowOps)) {
        applyRowOps(doc, rowOps as RowOp[]);
        return;
      }
      const r = rec as {
        task?: { id?: unknown; steps?: unknown };
        log?: unknown;
        plansKept?: unknown;
        stepsKept?: unknown;
      } | null;
      const invalid = () =>
        new OperatorError(
          `store journal ${journalPath} has an invalid record at line ${n + 2}; it was left untouched`,
          { target: journalPath, hint: 'restore the store and its journal from a backup' },
        );
      if (
        !r ||
        typeof r.task !== 'object' ||
        r.task === null ||
        typeof r.task.id !== 'string' ||
        !Array.isArray(r.log)
      ) {
        throw invalid();
      }
      const at = index.get(r.task.id);
      // Steps left out are those of the task's last record: without one, the record cannot be read.
      if (r.stepsKept === true && (at === undefined || !stepsCover(tasks[at]!, r.task))) throw invalid();
      if (at === undefined) {
        index.set(r.task.id, tasks.length);
        tasks.push({ ...r.task, log: r.log.slice(-TASK_LOG_LIMIT) });
      } else {
        const old = Array.isArray(tasks[at]!.log) ? (tasks[at]!.log as unknown[]) : [];
        const own = r.stepsKept === true ? withStepsOf(tasks[at]!, r.task) : r.task;
        const task = r.plansKept === true ? withPlansOf(tasks[at]!, own) : own;
        tasks[at] = { ...task, log: [...old, ...r.log].slice(-TASK_LOG_LIMIT) };
      }
    });
    this.replayed = j.records.length;
  }

  serialize(data: StoreData): string {
    const parts: string[] = [`{"version":${data.version}`];
    if (data.journalGen !== undefined) parts.push(`,"journalGen":${JSON.stringify(data.journalGen)}`);
    for (const c of COLLECTIONS) {
      if (c === 'tasks') continue;
      // One record per line too. A record changed is a new object, so its text is cached by it:
      // at 2,000 hosts, every compaction encoded each host again.
      const rows = (data[c] as object[]).map((r) => this.rowText(r));
      parts.push(`,\n${JSON.stringify(c)}:[${rows.length ? '\n' : ''}${rows.join(',\n')}]`);
    }
    // One task per line: cheap to rewrite (cached), and readable with grep when a task needs inspecting.
    const tasks = data.tasks.map((t) => {
      let s = this.taskJson.get(t);
      if (s === undefined) {
        s = JSON.stringify(t);
        this.taskJson.set(t, s);
      }
      return s;
    });
    parts.push(`,\n"tasks":[${tasks.length ? '\n' : ''}${tasks.join(',\n')}]}\n`);
    return parts.join('');
  }

  private rowText(row: object): string {
    let s = this.rowJson.get(row);
    if (s === undefined) {
      s = JSON.stringify(row);
      this.rowJson.set(row, s);
    }
    return s;
  }

  async write(data: StoreData): Promise<void> {
    if (!this.writer) throw new OperatorError(`store ${this.path} is open read-only`, { target: this.path });
    // Serialise synchronously: the write covers exactly the mutations made before it began.
    const text = this.serialize(data);
    await this.writer.write(text);
  }
}

/** Whether the last record has every step a record left out (null) for it to fill in. */
function stepsCover(last: Record<string, unknown>, task: { steps?: unknown }): boolean {
  const before = Array.isArray(last.steps) ? (last.steps as unknown[]) : [];
  return Array.isArray(task.steps) && task.steps.every((s, i) => s !== null || before[i] !== undefined);
}

/** A journaled task whose record left out the steps unchanged since its last record, with those. */
function withStepsOf(last: Record<string, unknown>, task: { steps?: unknown }): Record<string, unknown> {
  const before = last.steps as unknown[];
  return { ...task, steps: (task.steps as unknown[]).map((s, i) => (s === null ? before[i] : s)) };
}

/** A journaled task whose record left its steps' plan lines out, with those of its last record. */
function withPlansOf(last: Record<string, unknown>, task: { steps?: unknown }): Record<string, unknown> {
  const before = Array.isArray(last.steps) ? (last.steps as Record<string, unknown>[]) : [];
  if (!Array.isArray(task.steps)) return task;
  const steps = (task.steps as Record<string, unknown>[]).map((s, i) => {
    const b = before[i];
    return {
      ...s,
      ...(b?.plan !== undefined && { plan: b.plan }),
      ...(b?.undoPlan !== undefined && { undoPlan: b.undoPlan }),
    };
  });
  return { ...task, steps };
}

/** One change of a record in a small collection, as the journal carries it. */
export type RowOp =
  | { collection: Exclude<CollectionName, 'tasks'>; upsert: { id: string } }
  | { collection: Exclude<CollectionName, 'tasks'>; remove: string };

export function diffRows(
  collection: Exclude<CollectionName, 'tasks'>,
  before: { id: string }[],
  after: { id: string }[],
): RowOp[] {
  const old = new Map(before.map((r) => [r.id, JSON.stringify(r)]));
  const ops: RowOp[] = [];
  for (const r of after) if (old.get(r.id) !== JSON.stringify(r)) ops.push({ collection, upsert: r });
  const kept = new Set(after.map((r) => r.id));
  for (const r of before) if (!kept.has(r.id)) ops.push({ collection, remove: r.id });
  return ops;
}

/** Replays row changes onto the raw document read from the store file (validated afterwards). */
export function applyRowOps(doc: Record<string, unknown>, ops: RowOp[]): void {
  for (const op of ops) {
    const rows = (Array.isArray(doc[op.collection]) ? doc[op.collection] : []) as { id: string }[];
    if ('remove' in op) {
      doc[op.collection] = rows.filter((r) => r.id !== op.remove);
    } else {
      const i = rows.findIndex((r) => r.id === op.upsert.id);
      if (i >= 0) rows[i] = op.upsert;
      else rows.push(op.upsert);
      doc[op.collection] = rows;
    }
  }
}
