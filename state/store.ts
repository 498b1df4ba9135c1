import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import type { z } from 'zod';
import { OperatorError } from '../src/util/errors.ts';
import { registerSecret } from '../src/util/redact.ts';
import {
  COLLECTIONS,
  STORE_VERSION,
  emptyStore,
  hostSchema,
  instanceSchema,
  migrations as defaultMigrations,
  networkSchema,
  offeringSchema,
  storeDataSchema,
  taskSchema,
  templateSchema,
  type CollectionName,
  type Migration,
  type StoreData,
  type LogLine,
  type Task,
  TASK_LOG_LIMIT,
} from './schema.ts';
import {
  AtomicFileWriter,
  FILE_MODE,
  JournalFile,
  acquireLock,
  journalPathFor,
  readIfExists,
  readJournal,
  tightenMode,
} from './store-file.ts';

export * from './schema.ts';

/**
 * The local store: one lowdb JSON file holding hosts, templates, offerings, networks, instances and
 * tasks, plus an append-only journal file (`<store>.journal`) for task changes.
 *
 * Writes are serialised and coalesced: every mutation changes memory at once and returns a promise
 * that settles when a write that began after it is on disk. Task changes are appended to the journal
 * (one fdatasync for all tasks changed meanwhile); anything else, and a journal grown past its limit,
 * rewrites the store file atomically and starts a new journal. Opening replays the journal.
 */
export interface StoreOptions {
  /** Replaces the built-in migration table (tests use this to exercise the hook). */
  migrations?: Record<number, Migration>;
  /** Open without the lock and refuse every write: for `rackpilot tasks --json` beside a running UI. */
  readOnly?: boolean;
  /** Delay before non-durable changes (task log lines) are written, in ms. */
  lazyWriteMs?: number;
  /** Things the operator should be told (mode fixed, stale lock removed, file migrated). */
  onNotice?: (text: string) => void;
  /** Journal size that triggers folding it into the store file. */
  journalLimitBytes?: number;
}

type TimeField = 'addedAt' | 'createdAt' | 'updatedAt';
type Row<C extends CollectionName> = StoreData[C][number];
export type NewRecord<T> = Omit<T, 'id' | TimeField> & { id?: string } & Partial<
    Pick<T, Extract<keyof T, TimeField>>
  >;

interface CollectionSpec {
  schema: z.ZodType<{ id: string }>;
  idPrefix: string;
  timeFields: TimeField[];
  unique: string[];
  label: string;
}

const SPECS: Record<CollectionName, CollectionSpec> = {
  hosts: {
    schema: hostSchema,
    idPrefix: 'h',
    timeFields: ['addedAt'],
    unique: ['hostname', 'mac'],
    label: 'host',
  },
  templates: {
    schema: templateSchema,
    idPrefix: 'tpl',
    timeFields: ['createdAt'],
    unique: ['name'],
    label: 'template',
  },
  offerings: { schema: offeringSchema, idPrefix: 'off', timeFields: [], unique: ['name'], label: 'offering' },
  networks: {
    schema: networkSchema,
    idPrefix: 'net',
    timeFields: [],
    unique: ['name', 'vlan'],
    label: 'network',
  },
  instances: {
    schema: instanceSchema,
    idPrefix: 'i',
    timeFields: ['createdAt'],
    unique: ['name', 'mac'],
    label: 'instance',
  },
  tasks: {
    schema: taskSchema,
    idPrefix: 't',
    timeFields: ['createdAt', 'updatedAt'],
    unique: [],
    label: 'task',
  },
};

function describeIssues(err: z.ZodError, max = 5): string {
  const parts = err.issues
    .slice(0, max)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (err.issues.length > max) parts.push(`… ${err.issues.length - max} more`);
  return parts.join('; ');
}

function registerStoreSecrets(data: StoreData): void {
  for (const h of data.hosts) registerSecret(h.ipmi.password);
}

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
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

/** lowdb adapter: parses, migrates and validates on read; serialises with a per-task cache on write. */
class StoreFileAdapter implements Adapter<StoreData> {
  /** Serialised tasks; an entry is dropped whenever its task changes. Finished tasks never change again. */
  readonly taskJson = new WeakMap<Task, string>();
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
      const r = rec as { task?: { id?: unknown }; log?: unknown } | null;
      if (
        !r ||
        typeof r.task !== 'object' ||
        r.task === null ||
        typeof r.task.id !== 'string' ||
        !Array.isArray(r.log)
      ) {
        throw new OperatorError(
          `store journal ${journalPath} has an invalid record at line ${n + 2}; it was left untouched`,
          {
            target: journalPath,
            hint: 'restore the store and its journal from a backup',
          },
        );
      }
      const at = index.get(r.task.id);
      if (at === undefined) {
        index.set(r.task.id, tasks.length);
        tasks.push({ ...r.task, log: r.log.slice(-TASK_LOG_LIMIT) });
      } else {
        const old = Array.isArray(tasks[at]!.log) ? (tasks[at]!.log as unknown[]) : [];
        tasks[at] = { ...r.task, log: [...old, ...r.log].slice(-TASK_LOG_LIMIT) };
      }
    });
    this.replayed = j.records.length;
  }

  serialize(data: StoreData): string {
    const parts: string[] = [`{"version":${data.version}`];
    if (data.journalGen !== undefined) parts.push(`,"journalGen":${JSON.stringify(data.journalGen)}`);
    for (const c of COLLECTIONS) {
      if (c === 'tasks') continue;
      parts.push(`,\n${JSON.stringify(c)}:${JSON.stringify(data[c], null, 1)}`);
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

  async write(data: StoreData): Promise<void> {
    if (!this.writer) throw new OperatorError(`store ${this.path} is open read-only`, { target: this.path });
    // Serialise synchronously: the write covers exactly the mutations made before it began.
    const text = this.serialize(data);
    await this.writer.write(text);
  }
}

export class Collection<C extends CollectionName> {
  constructor(
    protected readonly store: Store,
    readonly name: C,
  ) {}

  protected get rows(): Row<C>[] {
    return this.store.db.data[this.name] as Row<C>[];
  }
  protected get spec(): CollectionSpec {
    return SPECS[this.name];
  }

  list(): Row<C>[] {
    return structuredClone(this.rows);
  }

  get(id: string): Row<C> | undefined {
    const row = this.rows.find((r) => r.id === id);
    return row === undefined ? undefined : structuredClone(row);
  }

  find(pred: (row: Readonly<Row<C>>) => boolean): Row<C> | undefined {
    const row = this.rows.find(pred);
    return row === undefined ? undefined : structuredClone(row);
  }

  /** Validates, fills id and timestamps, checks unique fields, and resolves once on disk. */
  async insert(input: NewRecord<Row<C>>): Promise<Row<C>> {
    this.store.assertWritable();
    const now = new Date().toISOString();
    const draft: Record<string, unknown> = { ...input };
    draft.id ??= this.newId();
    for (const f of this.spec.timeFields) draft[f] ??= now;
    const row = this.validate(draft);
    if (this.rows.some((r) => r.id === row.id)) {
      throw new OperatorError(`a ${this.spec.label} with id ${row.id} already exists`, { target: row.id });
    }
    this.checkUnique(row, null);
    this.rows.push(row);
    this.afterChange(row);
    await (this.name === 'tasks'
      ? this.store.commit(this.name, row as Task)
      : this.store.commitRows([{ collection: this.name, upsert: row }]));
    return structuredClone(row);
  }

  /** Replaces fields (or the whole record via a function); the id never changes. */
  async update(id: string, change: Partial<Row<C>> | ((current: Row<C>) => Row<C>)): Promise<Row<C>> {
    this.store.assertWritable();
    const index = this.rows.findIndex((r) => r.id === id);
    const current = this.rows[index];
    if (current === undefined) {
      throw new OperatorError(`no ${this.spec.label} with id ${id}`, { target: id });
    }
    const next =
      typeof change === 'function'
        ? change(structuredClone(current))
        : { ...structuredClone(current), ...change };
    const draft: Record<string, unknown> = { ...next, id };
    if (this.spec.timeFields.includes('updatedAt')) draft.updatedAt = new Date().toISOString();
    const row = this.validate(draft);
    this.checkUnique(row, id);
    this.rows[index] = row;
    this.afterChange(row);
    await (this.name === 'tasks'
      ? this.store.commit(this.name, row as Task)
      : this.store.commitRows([{ collection: this.name, upsert: row }]));
    return structuredClone(row);
  }

  async remove(id: string): Promise<boolean> {
    this.store.assertWritable();
    const index = this.rows.findIndex((r) => r.id === id);
    if (index < 0) return false;
    this.rows.splice(index, 1);
    await (this.name === 'tasks'
      ? this.store.commit(this.name)
      : this.store.commitRows([{ collection: this.name, remove: id }]));
    return true;
  }

  protected newId(): string {
    for (;;) {
      const id = `${this.spec.idPrefix}-${randomBytes(4).toString('hex')}`;
      if (!this.rows.some((r) => r.id === id)) return id;
    }
  }

  protected validate(draft: unknown): Row<C> {
    const parsed = this.spec.schema.safeParse(draft);
    if (!parsed.success) {
      throw new OperatorError(`invalid ${this.spec.label}: ${describeIssues(parsed.error)}`, {
        hint: 'correct the listed fields and try again',
      });
    }
    return parsed.data as Row<C>;
  }

  protected checkUnique(row: Row<C>, selfId: string | null): void {
    for (const field of this.spec.unique) {
      const value = (row as Record<string, unknown>)[field];
      const clash = this.rows.find((r) => r.id !== selfId && (r as Record<string, unknown>)[field] === value);
      if (clash) {
        throw new OperatorError(
          `${this.spec.label} ${field} ${String(value)} is already used by ${clash.id}`,
          {
            target: clash.id,
            hint: `choose another ${field}, or change ${clash.id} first`,
          },
        );
      }
    }
  }

  protected afterChange(row: Row<C>): void {
    if (this.name === 'hosts') registerSecret((row as Row<'hosts'>).ipmi.password);
  }
}

/** Tasks additionally offer in-place journal mutation for the task engine (trusted, unvalidated, fast). */
export class TaskCollection extends Collection<'tasks'> {
  /**
   * Applies `fn` to the live task record. `durable` (default) resolves once the change is on disk;
   * otherwise the change rides on the next write (used for log lines, which need no write-ahead).
   */
  mutate(id: string, fn: (task: Task) => void, opts: { durable?: boolean } = {}): Promise<void> {
    this.store.assertWritable();
    const task = this.rows.find((t) => t.id === id);
    if (task === undefined) throw new OperatorError(`no task with id ${id}`, { target: id });
    fn(task);
    task.updatedAt = new Date().toISOString();
    return opts.durable === false ? this.store.commitLazily('tasks', task) : this.store.commit('tasks', task);
  }

  /** Removes every task `pred` selects, in one write; returns how many went. */
  async removeWhere(pred: (task: Readonly<Task>) => boolean): Promise<number> {
    this.store.assertWritable();
    const keep = this.rows.filter((t) => !pred(t));
    const removed = this.rows.length - keep.length;
    if (removed === 0) return 0;
    this.rows.splice(0, this.rows.length, ...keep);
    await this.store.commit('tasks');
    return removed;
  }

  /** The live record, for the engine's reads. Never modify it except through mutate(). */
  peek(id: string): Readonly<Task> | undefined {
    return this.rows.find((t) => t.id === id);
  }

  /** Live records, newest last; read-only by contract. */
  peekAll(): readonly Readonly<Task>[] {
    return this.rows;
  }
}

export class Store {
  readonly path: string;
  readonly readOnly: boolean;
  readonly notices: string[] = [];
  /** @internal lowdb instance; use the collections. */
  readonly db: Low<StoreData>;
  readonly hosts: Collection<'hosts'>;
  readonly templates: Collection<'templates'>;
  readonly offerings: Collection<'offerings'>;
  readonly networks: Collection<'networks'>;
  readonly instances: Collection<'instances'>;
  readonly tasks: TaskCollection;

  private readonly adapter: StoreFileAdapter;
  private readonly writer: AtomicFileWriter | null;
  private readonly lazyWriteMs: number;
  private readonly listeners = new Set<(collection: CollectionName) => void>();
  private releaseLock: (() => Promise<void>) | null = null;
  private next: Deferred | null = null;
  private writing = false;
  private lazyTimer: NodeJS.Timeout | null = null;
  private lazy: Deferred | null = null;
  private closed = false;
  private changeSeq = 0;
  private writtenSeq = 0;
  private readonly journalPath: string;
  private readonly journalLimit: number;
  private journal: JournalFile | null = null;
  /** Tasks changed since the last journal append. */
  private readonly dirtyTasks = new Set<Task>();
  /** A change the journal cannot carry: the next write rewrites the store file. */
  private fullDirty = false;
  /** Per task, the last log line already journaled (log lines are appended as deltas). */
  private readonly logMark = new WeakMap<Task, LogLine | null>();
  private fullWrites = 0;

  /** @internal use openStore(). */
  constructor(path: string, opts: StoreOptions) {
    this.path = path;
    this.readOnly = opts.readOnly === true;
    this.lazyWriteMs = opts.lazyWriteMs ?? 200;
    this.journalPath = journalPathFor(path);
    this.journalLimit = opts.journalLimitBytes ?? 8 * 1024 * 1024;
    this.writer = this.readOnly ? null : new AtomicFileWriter(path);
    this.onNotice = opts.onNotice;
    this.adapter = new StoreFileAdapter(path, this.writer, opts.migrations ?? defaultMigrations, (t) =>
      this.noticeFor(t),
    );
    this.db = new Low<StoreData>(this.adapter, emptyStore());
    this.hosts = new Collection(this, 'hosts');
    this.templates = new Collection(this, 'templates');
    this.offerings = new Collection(this, 'offerings');
    this.networks = new Collection(this, 'networks');
    this.instances = new Collection(this, 'instances');
    this.tasks = new TaskCollection(this, 'tasks');
  }

  /** @internal */
  async init(): Promise<void> {
    if (!this.readOnly) {
      await fsp.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
      const lock = await acquireLock(this.path);
      this.releaseLock = lock.release;
      if (lock.note) this.noticeFor(lock.note);
    }
    try {
      const exists = (await readIfExists(this.path)) !== null;
      if (exists && !this.readOnly) {
        const old = await tightenMode(this.path);
        if (old !== null) {
          this.noticeFor(
            `store file ${this.path} had mode ${old.toString(8).padStart(4, '0')} (readable by others, and it holds ` +
              `IPMI passwords); changed to 0600`,
          );
        }
      }
      await this.db.read();
      registerStoreSecrets(this.db.data);
      // Fold any replayed journal into the store file and start a fresh journal of our own.
      if (!this.readOnly) {
        this.fullDirty = true;
        await this.requestWrite();
      }
    } catch (err) {
      await this.releaseLock?.();
      throw err;
    }
  }

  private noticeFor(text: string): void {
    this.notices.push(text);
    this.onNotice?.(text);
  }
  private readonly onNotice: ((text: string) => void) | undefined;

  /** A deep copy of everything. */
  snapshot(): StoreData {
    return structuredClone(this.db.data);
  }

  /**
   * Atomic multi-record change: `fn` edits a copy; the copy is validated as a whole and replaces the
   * data only if valid, then is written. Throwing from `fn` changes nothing.
   */
  async update<R>(fn: (draft: StoreData) => R): Promise<R> {
    this.assertWritable();
    // Tasks belong to the engine: the draft sees them frozen, so neither validation nor the
    // journal has to look at the (large) task list for a change of hosts or instances.
    const { tasks, ...rest } = this.db.data;
    const draft = { ...structuredClone(rest), tasks: Object.freeze([...tasks]) as Task[] } as StoreData;
    const result = fn(draft);
    const parsed = storeDataSchema.omit({ tasks: true }).safeParse({ ...draft, tasks: undefined });
    if (!parsed.success) {
      throw new OperatorError(`store change rejected: ${describeIssues(parsed.error)}`, {
        hint: 'nothing was changed',
      });
    }
    const next = { ...parsed.data, tasks } as StoreData;
    const ops: RowOp[] = [];
    for (const c of COLLECTIONS) {
      if (c === 'tasks') continue;
      const spec = SPECS[c];
      const rows = next[c] as { id: string }[];
      const ids = new Set<string>();
      for (const r of rows) {
        if (ids.has(r.id))
          throw new OperatorError(`store change rejected: duplicate ${spec.label} id ${r.id}`);
        ids.add(r.id);
      }
      for (const field of spec.unique) {
        const seen = new Map<unknown, string>();
        for (const r of rows) {
          const v = (r as Record<string, unknown>)[field];
          const other = seen.get(v);
          if (other !== undefined) {
            throw new OperatorError(
              `store change rejected: ${spec.label} ${field} ${String(v)} used by ${other} and ${r.id}`,
            );
          }
          seen.set(v, r.id);
        }
      }
      ops.push(...diffRows(c, this.db.data[c] as { id: string }[], rows));
    }
    this.db.data = next;
    registerStoreSecrets(next);
    await this.commitRows(ops);
    return result;
  }

  /**
   * @internal Record changes of the small collections (hosts, templates, offerings, networks,
   * instances): appended to the journal as one line, so a change is atomic and costs a small
   * append instead of rewriting the store file with every task journal in it.
   */
  commitRows(ops: RowOp[]): Promise<void> {
    if (ops.length > 0) {
      this.pendingOps.push(ops);
      for (const c of new Set(ops.map((o) => o.collection))) this.emit(c);
    }
    return this.requestWrite();
  }
  private pendingOps: RowOp[][] = [];

  /** Resolves when every change made so far is on disk. */
  flush(): Promise<void> {
    this.assertOpen();
    return this.requestWrite();
  }

  subscribe(listener: (collection: CollectionName) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Figures for benchmarks and the status line. */
  stats(): { fileWrites: number; journalAppends: number; bytes: number } {
    return {
      fileWrites: this.fullWrites,
      journalAppends: (this.journal?.appends ?? 0) + this.closedAppends,
      bytes: (this.writer?.bytes ?? 0) + (this.journal?.bytes ?? 0) + this.closedJournalBytes,
    };
  }
  private closedAppends = 0;
  private closedJournalBytes = 0;

  async close(): Promise<void> {
    if (this.closed) return;
    const lazy = this.lazy;
    try {
      if (!this.readOnly) await this.requestWrite();
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
      await this.writer?.close();
      await this.releaseLock?.();
    }
  }

  /** @internal */
  assertWritable(): void {
    this.assertOpen();
    if (this.readOnly) {
      throw new OperatorError(`store ${this.path} is open read-only`, {
        target: this.path,
        hint: 'changes go through the running rackpilot that owns the store',
      });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new OperatorError(`store ${this.path} is closed`, { target: this.path });
  }

  /**
   * @internal A change to `collection`; when `task` is given only that task changed and the journal
   * can carry it, otherwise the store file is rewritten.
   */
  commit(collection: CollectionName, task?: Task): Promise<void> {
    this.mark(task);
    this.emit(collection);
    return this.requestWrite();
  }

  /** @internal Like commit, but written with the next write or after lazyWriteMs. */
  commitLazily(collection: CollectionName, task: Task): Promise<void> {
    this.mark(task);
    this.emit(collection);
    if (this.lazy) return this.lazy.promise;
    const d = deferred();
    this.lazy = d;
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = null;
      this.lazy = null;
      // Nothing new since the last write: a durable write already carried these changes.
      if (this.closed || this.writtenSeq === this.changeSeq) return d.resolve();
      this.requestWrite().then(d.resolve, d.reject);
    }, this.lazyWriteMs);
    this.lazyTimer.unref();
    return d.promise;
  }

  private mark(task: Task | undefined): void {
    if (task) {
      this.dirtyTasks.add(task);
      this.adapter.taskJson.delete(task);
    } else {
      this.fullDirty = true;
    }
  }

  private emit(collection: CollectionName): void {
    this.changeSeq += 1;
    for (const l of this.listeners) {
      try {
        l(collection);
      } catch {
        // A broken listener must not break the journal.
      }
    }
  }

  private requestWrite(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    this.next ??= deferred();
    const promise = this.next.promise;
    if (!this.writing) void this.drain();
    return promise;
  }

  /** Rewrites the store file with everything (a new journal generation), then starts that journal. */
  private async compact(): Promise<void> {
    const data = this.db.data;
    const gen = randomBytes(6).toString('hex');
    data.journalGen = gen;
    this.fullDirty = false;
    this.dirtyTasks.clear();
    this.pendingOps = [];
    // The file written now holds every log line so far; the journal carries only later ones.
    for (const t of data.tasks) this.logMark.set(t, t.log.at(-1) ?? null);
    try {
      await this.db.write();
      this.fullWrites += 1;
      await this.retireJournal();
      this.journal = await JournalFile.create(this.journalPath, gen);
    } catch (err) {
      this.fullDirty = true;
      throw err;
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
      lines.push(JSON.stringify({ task: rest, log: log.slice(from) }));
    }
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
    }
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
          if (this.fullDirty || this.journal === null || this.journal.size > this.journalLimit)
            await this.compact();
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

/**
 * Opens (or creates, mode 0600) the store at `path`. A file that is not valid JSON, does not match the
 * schema, or comes from a newer version is refused with an OperatorError naming the file and the
 * problem, and is never overwritten.
 */
export async function openStore(path: string, opts: StoreOptions = {}): Promise<Store> {
  const store = new Store(path, opts);
  await store.init();
  return store;
}

/** What is on disk right now (store file + journal), without taking the lock: for inspection and tests. */
export async function readStore(path: string): Promise<StoreData> {
  const s = await openStore(path, { readOnly: true });
  try {
    return s.snapshot();
  } finally {
    await s.close();
  }
}

/** One change of a record in a small collection, as the journal carries it. */
export type RowOp =
  | { collection: Exclude<CollectionName, 'tasks'>; upsert: { id: string } }
  | { collection: Exclude<CollectionName, 'tasks'>; remove: string };

function diffRows(
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
function applyRowOps(doc: Record<string, unknown>, ops: RowOp[]): void {
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
