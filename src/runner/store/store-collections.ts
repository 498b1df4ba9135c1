import { freshId } from '../../util/fresh-id.ts';
import type { z } from 'zod';
import { OperatorError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import {
  hostSchema,
  instanceSchema,
  networkSchema,
  offeringSchema,
  taskSchema,
  templateSchema,
  type CollectionName,
  type StoreData,
  type Task,
} from '../../protocol/records.ts';
import { describeIssues, type RowOp } from './store-format.ts';

/**
 * The store's collections: validated records with ids, timestamps and unique fields, read through
 * copies; tasks additionally offer in-place mutation for the task engine. Lookups by id (and by a
 * unique field) go through an index rebuilt only when records are added, replaced or removed.
 */

/** What a collection needs from the store that holds it. */
export interface CollectionHost {
  /** The live data (replaced as a whole by Store.update). */
  readonly data: StoreData;
  /** Throws unless `collection` may be changed now. */
  assertWritable(collection?: CollectionName): void;
  /** A change to `collection`; with `task`, only that task changed (the journal can carry it). */
  commit(collection: CollectionName, task?: Task): Promise<void>;
  /** Like commit, but written with the next write or after the lazy delay. */
  commitLazily(collection: CollectionName, task: Task): Promise<void>;
  /** Record changes of the small collections, journaled as one line. */
  commitRows(ops: RowOp[]): Promise<void>;
}

type TimeField = 'addedAt' | 'createdAt' | 'updatedAt';
export type Row<C extends CollectionName> = StoreData[C][number];
export type NewRecord<T> = Omit<T, 'id' | TimeField> & { id?: string } & Partial<
    Pick<T, Extract<keyof T, TimeField>>
  >;

export interface CollectionSpec {
  schema: z.ZodType<{ id: string }>;
  idPrefix: string;
  timeFields: TimeField[];
  unique: string[];
  label: string;
}

export const SPECS: Record<CollectionName, CollectionSpec> = {
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

export class Collection<C extends CollectionName> {
  constructor(
    protected readonly store: CollectionHost,
    readonly name: C,
  ) {}

  protected get rows(): Row<C>[] {
    return this.store.data[this.name] as Row<C>[];
  }
  protected get spec(): CollectionSpec {
    return SPECS[this.name];
  }

  /** Records by id and by indexed field, for the rows array they were built from. */
  private index: { rows: readonly Row<C>[]; fields: Map<string, Map<unknown, Row<C>>> } | null = null;

  /** The field's index, rebuilt when the records were replaced (Store.update) or changed by id. */
  private indexOf(field: string): Map<unknown, Row<C>> {
    const rows = this.rows;
    if (this.index?.rows !== rows) this.index = { rows, fields: new Map() };
    let byValue = this.index.fields.get(field);
    if (byValue === undefined) {
      byValue = new Map();
      for (const r of rows) {
        const v = (r as Record<string, unknown>)[field];
        if (!byValue.has(v)) byValue.set(v, r);
      }
      this.index.fields.set(field, byValue);
    }
    return byValue;
  }

  /** Records were added, replaced or removed: indexes are rebuilt on the next lookup. */
  protected reindex(): void {
    this.index = null;
  }

  /**
   * A record was replaced in place (same id): each index built so far follows it. An index whose
   * values may repeat maps a value to the first record with it, which the change can move: that
   * one is built again on its next lookup.
   */
  private replaced(old: Row<C>, row: Row<C>): void {
    if (this.index?.rows !== this.rows) return;
    for (const [field, byValue] of this.index.fields) {
      const before = (old as Record<string, unknown>)[field];
      const after = (row as Record<string, unknown>)[field];
      if (field !== 'id' && !this.spec.unique.includes(field)) {
        if (byValue.get(before) === old || before !== after) this.index.fields.delete(field);
        continue;
      }
      if (byValue.get(before) === old) byValue.delete(before);
      byValue.set(after, row);
    }
  }

  /** A record was appended: added to the indexes built so far (kept as they are otherwise). */
  private indexed(row: Row<C>): void {
    if (this.index?.rows !== this.rows) return;
    for (const [field, byValue] of this.index.fields) {
      const v = (row as Record<string, unknown>)[field];
      if (!byValue.has(v)) byValue.set(v, row);
    }
  }

  /** The live record with this id (O(1)); read-only by contract. */
  protected live(id: string): Row<C> | undefined {
    return this.indexOf('id').get(id);
  }

  /**
   * The live record whose `field` has `value` (the first one, O(1) after the first lookup), e.g.
   * hosts by hostname. Read-only by contract: change records through update().
   */
  peekBy(field: keyof Row<C> & string, value: unknown): Readonly<Row<C>> | undefined {
    return this.indexOf(field).get(value);
  }

  /**
   * The live record with this id, copying nothing (the workflows' look-ups, many per step):
   * read-only by contract. Change records through update() (a task through mutate()).
   */
  peek(id: string): Readonly<Row<C>> | undefined {
    return this.live(id);
  }

  list(): Row<C>[] {
    return structuredClone(this.rows);
  }

  /** Live records in store order, for reads that copy nothing (a plan's pick); read-only by contract. */
  peekAll(): readonly Readonly<Row<C>>[] {
    return this.rows;
  }

  get(id: string): Row<C> | undefined {
    const row = this.live(id);
    return row === undefined ? undefined : structuredClone(row);
  }

  find(pred: (row: Readonly<Row<C>>) => boolean): Row<C> | undefined {
    const row = this.rows.find(pred);
    return row === undefined ? undefined : structuredClone(row);
  }

  /** Validates, fills id and timestamps, checks unique fields, and resolves once on disk. */
  async insert(input: NewRecord<Row<C>>): Promise<Row<C>> {
    this.store.assertWritable(this.name);
    const now = new Date().toISOString();
    const draft: Record<string, unknown> = { ...input };
    draft.id ??= this.newId();
    for (const f of this.spec.timeFields) draft[f] ??= now;
    const row = this.validate(draft);
    if (this.live(row.id) !== undefined) {
      throw new OperatorError(`a ${this.spec.label} with id ${row.id} already exists`, { target: row.id });
    }
    this.checkUnique(row, null);
    this.rows.push(row);
    this.indexed(row);
    this.afterChange(row);
    await (this.name === 'tasks'
      ? this.store.commit(this.name, row as Task)
      : this.store.commitRows([{ collection: this.name, upsert: row }]));
    return structuredClone(row);
  }

  /** Replaces fields (or the whole record via a function); the id never changes. */
  async update(id: string, change: Partial<Row<C>> | ((current: Row<C>) => Row<C>)): Promise<Row<C>> {
    this.store.assertWritable(this.name);
    const current = this.live(id);
    if (current === undefined) {
      throw new OperatorError(`no ${this.spec.label} with id ${id}`, { target: id });
    }
    const index = this.rows.indexOf(current);
    const next =
      typeof change === 'function'
        ? change(structuredClone(current))
        : { ...structuredClone(current), ...change };
    const draft: Record<string, unknown> = { ...next, id };
    if (this.spec.timeFields.includes('updatedAt')) draft.updatedAt = new Date().toISOString();
    const row = this.validate(draft);
    this.checkUnique(row, id);
    this.rows[index] = row;
    this.replaced(current, row);
    this.afterChange(row);
    await (this.name === 'tasks'
      ? this.store.commit(this.name, row as Task)
      : this.store.commitRows([{ collection: this.name, upsert: row }]));
    return structuredClone(row);
  }

  async remove(id: string): Promise<boolean> {
    this.store.assertWritable(this.name);
    const index = this.rows.findIndex((r) => r.id === id);
    if (index < 0) return false;
    this.rows.splice(index, 1);
    this.reindex();
    await (this.name === 'tasks'
      ? this.store.commit(this.name)
      : this.store.commitRows([{ collection: this.name, remove: id }]));
    return true;
  }

  /**
   * @internal A record as the shared backend has it now (null: gone), written by another runner
   * or put back after a write of ours failed.
   */
  applyRemote(id: string, row: Row<C> | null): void {
    const rows = this.rows;
    const index = rows.findIndex((r) => r.id === id);
    if (row === null) {
      if (index >= 0) rows.splice(index, 1);
    } else if (index >= 0) rows[index] = row;
    else rows.push(row);
    this.reindex();
  }

  protected newId(): string {
    return freshId(this.spec.idPrefix, (id) => this.live(id) !== undefined);
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
      // The field is unique, so its index holds the one record with the value, if any.
      const holder = this.indexOf(field).get(value);
      const clash = holder !== undefined && holder.id !== selfId ? holder : undefined;
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
    const task = this.live(id);
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
    this.reindex();
    await this.store.commit('tasks');
    return removed;
  }
}
