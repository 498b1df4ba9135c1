import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { OperatorError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import {
  COLLECTIONS,
  emptyStore,
  migrations as defaultMigrations,
  storeDataSchema,
  type CollectionName,
  type Migration,
  type StoreData,
  type Task,
} from '../../protocol/records.ts';
import { Collection, SPECS, TaskCollection, type CollectionHost } from './store-collections.ts';
import { AtomicFileWriter, acquireLock, readIfExists, tightenMode } from './store-file.ts';
import { StoreFileAdapter, describeIssues, diffRows, type RowOp } from './store-format.ts';
import type { RemoteSink, StoreRemote } from './store-remote.ts';
import { StoreWriter } from './store-writer.ts';

export * from '../../protocol/records.ts';
export { Collection, TaskCollection, type NewRecord } from './store-collections.ts';
export type { RowOp } from './store-format.ts';
export type { RemoteSink, StoreRemote } from './store-remote.ts';

/**
 * The local store: one lowdb JSON file holding hosts, templates, offerings, networks, instances and
 * tasks, plus an append-only journal file (`<store>.journal`) for changes since the file was last
 * written. This is the facade; the jobs live beside it:
 *   store-collections.ts  records: validation, ids, unique fields, indexed lookups, task mutation
 *   store-writer.ts       the write path: coalescing, lazy writes, journal appends, compaction
 *   store-format.ts       reading (journal replay, migrations, validation) and serialising
 *   store-file.ts         file I/O: atomic replace, owner-only modes, the pid lock, the journal file
 *
 * Every mutation changes memory at once and returns a promise that settles when a write that began
 * after it is on disk. Opening replays the journal.
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
  /**
   * Keep the records in a shared backend (etcd) instead of the file at `path`: no file, no lock;
   * the collections follow the backend (see store-remote.ts).
   */
  remote?: StoreRemote;
}

function registerStoreSecrets(data: StoreData): void {
  for (const h of data.hosts) registerSecret(h.ipmi.password);
}

export class Store implements CollectionHost {
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
  private readonly file: AtomicFileWriter | null;
  /** Null when read-only. */
  private readonly writer: StoreWriter | null;
  private readonly listeners = new Set<(collection: CollectionName) => void>();
  private readonly onNotice: ((text: string) => void) | undefined;
  /** The shared backend, when the store is not the local file. */
  readonly remote: StoreRemote | null;
  private releaseLock: (() => Promise<void>) | null = null;
  private closed = false;

  /** @internal use openStore(). */
  constructor(path: string, opts: StoreOptions) {
    this.path = path;
    this.readOnly = opts.readOnly === true;
    this.remote = opts.remote ?? null;
    this.file = this.readOnly || this.remote ? null : new AtomicFileWriter(path);
    this.onNotice = opts.onNotice;
    this.adapter = new StoreFileAdapter(path, this.file, opts.migrations ?? defaultMigrations, (t) =>
      this.noticeFor(t),
    );
    this.db = new Low<StoreData>(this.adapter, emptyStore());
    const file = this.file;
    this.writer = file
      ? new StoreWriter(
          {
            path,
            db: this.db,
            taskJson: this.adapter.taskJson,
            lazyWriteMs: opts.lazyWriteMs ?? 200,
            journalLimitBytes: opts.journalLimitBytes ?? 8 * 1024 * 1024,
          },
          () => file.bytes,
          () => file.size,
        )
      : null;
    this.hosts = new Collection(this, 'hosts');
    this.templates = new Collection(this, 'templates');
    this.offerings = new Collection(this, 'offerings');
    this.networks = new Collection(this, 'networks');
    this.instances = new Collection(this, 'instances');
    this.tasks = new TaskCollection(this, 'tasks');
  }

  /** @internal */
  async init(): Promise<void> {
    if (this.remote) {
      this.db.data = await this.remote.load();
      registerStoreSecrets(this.db.data);
      this.remote.attach(this.sink());
      return;
    }
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
      if (this.writer) {
        this.writer.markFull();
        await this.writer.request();
      }
    } catch (err) {
      await this.releaseLock?.();
      throw err;
    }
  }

  /** Changes others made in the shared backend, applied to the collections as they come. */
  private sink(): RemoteSink {
    return {
      apply: (collection, id, row) => {
        const c = this.collection(collection);
        c.applyRemote(id, row as never);
        if (collection === 'hosts' && row)
          registerSecret((row as { ipmi: { password: string } }).ipmi.password);
        this.emit(collection);
      },
      current: (collection, id) =>
        collection === 'tasks' ? this.tasks.peek(id) : this.collection(collection).peekBy('id', id),
    };
  }

  private collection(name: CollectionName): Collection<CollectionName> {
    return this[name] as Collection<CollectionName>;
  }

  /** @internal the live data, for the collections. */
  get data(): StoreData {
    return this.db.data;
  }

  private noticeFor(text: string): void {
    this.notices.push(text);
    this.onNotice?.(text);
  }

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
    this.remote?.assertWritable('hosts');
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
    if (this.remote) {
      const written = this.remote.writeRows(ops);
      for (const c of new Set(ops.map((o) => o.collection))) this.emit(c);
      return written;
    }
    this.writer?.markRows(ops);
    for (const c of new Set(ops.map((o) => o.collection))) this.emit(c);
    return this.requestWrite();
  }

  /**
   * @internal A change to `collection`; when `task` is given only that task changed and the journal
   * can carry it, otherwise the store file is rewritten.
   */
  commit(collection: CollectionName, task?: Task): Promise<void> {
    if (this.remote) {
      this.emit(collection);
      if (task) return this.remote.writeTask(task, false);
      return this.remote.syncRemovedTasks(new Set(this.db.data.tasks.map((t) => t.id)));
    }
    this.writer?.markTask(task);
    this.emit(collection);
    return this.requestWrite();
  }

  /** @internal Like commit, but written with the next write or after lazyWriteMs. */
  commitLazily(collection: CollectionName, task: Task): Promise<void> {
    if (this.remote) {
      this.emit(collection);
      return this.remote.writeTask(task, true);
    }
    this.writer?.markTask(task);
    this.emit(collection);
    return this.writer ? this.writer.requestLazily() : Promise.resolve();
  }

  /** Resolves when every change made so far is on disk. */
  flush(): Promise<void> {
    this.assertOpen();
    if (this.remote) return this.remote.flush();
    return this.requestWrite();
  }

  /**
   * Calls `read` at a moment when memory and disk agree, and returns what it returned. A mutation
   * changes memory before its write: a client answered from memory alone could be told of a step
   * that a crash would leave pending. `read` runs synchronously right after the check, so nothing
   * changes between the two. A remote store answers from memory at once: its task writes wait
   * out an etcd outage, and a read must not wait with them (the task says it waits for etcd).
   */
  readWritten<T>(read: () => T): Promise<T> {
    return this.readOnceWritten(() => this.writer!.allWritten(), read);
  }

  /**
   * Like readWritten, for a read of one task: waits only until that task's record in memory is
   * the one on disk. With a hundred tasks running, memory and disk hardly ever agree as a whole
   * (one of them changes during almost every write), and a client following its task waited
   * seconds for a moment when they did. An unknown task is read at once: the read says so.
   */
  readWrittenTask<T>(id: string, read: () => T): Promise<T> {
    return this.readOnceWritten(() => {
      const task = this.tasks.peek(id);
      return !task || this.writer!.taskWritten(task);
    }, read);
  }

  /**
   * `read` once `written` holds. Each pass writes everything pending; only a change made during
   * that write asks for another.
   */
  private async readOnceWritten<T>(written: () => boolean, read: () => T): Promise<T> {
    this.assertOpen();
    if (this.remote) return read();
    while (this.writer && !written()) await this.writer.request();
    return read();
  }

  subscribe(listener: (collection: CollectionName) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Figures for benchmarks and the status line. */
  stats(): { fileWrites: number; journalAppends: number; bytes: number } {
    return this.writer?.stats() ?? { fileWrites: 0, journalAppends: 0, bytes: 0 };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.writer?.close();
      await this.remote?.close().catch(() => undefined);
    } finally {
      this.closed = true;
      await this.file?.close();
      await this.releaseLock?.();
    }
  }

  /**
   * @internal Throws unless a change may be made now. With a shared backend, a change of the
   * records is refused at once while the backend is unreachable; the engine's task writes wait.
   */
  assertWritable(collection?: CollectionName): void {
    this.assertOpen();
    if (this.remote && collection !== undefined && collection !== 'tasks')
      this.remote.assertWritable(collection);
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

  private emit(collection: CollectionName): void {
    this.writer?.changed();
    for (const l of this.listeners) {
      try {
        l(collection);
      } catch {
        // A broken listener must not break the journal.
      }
    }
  }

  private requestWrite(): Promise<void> {
    return this.writer ? this.writer.request() : Promise.resolve();
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
