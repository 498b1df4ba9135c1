import type * as RPC from 'etcd3/lib/rpc.js';
import {
  COLLECTIONS,
  emptyStore,
  type CollectionName,
  type StoreData,
  type Task,
} from '../../protocol/records.ts';
import { SPECS } from '../store/store-collections.ts';
import type { RowOp } from '../store/store-format.ts';
import type { RemoteSink, StoreRemote } from '../store/store-remote.ts';
import { OperatorError, describeError } from '../../util/errors.ts';
import { EtcdUnavailableError, type EtcdSite } from './etcd-site.ts';
import { EtcdConflictError } from './conflict.ts';

export { EtcdConflictError };

/**
 * The site's records and tasks in etcd, for the Store (see src/runner/store/store-remote.ts):
 *   records/<collection>/<id>              {"by": runner, "row": record}
 *   unique/<collection>/<field>/<value>    the id holding a unique value (host name, MAC, instance
 *                                          name, the host an instance is on, …)
 *   tasks/<id>                             {"by": runner, "row": task with steps and journal}
 *
 * A record change is one transaction comparing the mod revision of every record it touches with
 * the one this runner last saw, and the absence of every unique value it takes: two jump hosts
 * picking the same host for two instances, or adding the same host name, cannot both succeed. A
 * task write of the task's own runner compares the fence of its claim (active/<id>); any other
 * task write compares the task's mod revision.
 */

/** Unique values kept as keys, beyond the collections' own: one instance per host. */
const EXTRA_UNIQUE: Partial<Record<CollectionName, string[]>> = { instances: ['hostId'] };

function uniqueFields(c: CollectionName): string[] {
  return [...SPECS[c].unique, ...(EXTRA_UNIQUE[c] ?? [])];
}

interface TaskWrites {
  /** A write queued and not yet started: later changes ride on it. */
  next: Promise<void> | null;
  running: Promise<void> | null;
  lazy: Promise<void> | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EtcdStoreRemote implements StoreRemote {
  readonly label: string;
  private sink: RemoteSink | null = null;
  private rowQueue: Promise<unknown> = Promise.resolve();
  private readonly taskWrites = new Map<string, TaskWrites>();
  /** Tasks whose claim this runner holds: task id → the claim's fence (active/<id> create revision). */
  private readonly fences = new Map<string, number>();
  /** Set when the store closes: writes waiting for etcd give up. */
  private closing = false;
  /** Called when a fenced write finds the fence gone (the task was taken over). */
  onFenceLost: (taskId: string) => void = () => undefined;
  /**
   * Called when a task's journal write starts waiting for etcd (with what etcd's trouble is and
   * since when), and again with null when etcd took it: the task is paused at its step boundary.
   */
  onWaiting: (taskId: string, waiting: { since: string; why: string } | null) => void = () => undefined;

  constructor(
    readonly site: EtcdSite,
    private readonly lazyMs = 200,
  ) {
    this.label = `etcd ${site.endpoints.join(',')} ${site.prefix}`;
  }

  /** Tasks whose claim this runner lost (lease gone, taken over): it writes them no more. */
  private readonly fencedOut = new Set<string>();

  setFence(taskId: string, fence: number | null): void {
    if (fence === null) this.fences.delete(taskId);
    else {
      this.fences.set(taskId, fence);
      this.fencedOut.delete(taskId);
    }
  }

  /** The claim on the task is lost: any further write of it from this runner is refused. */
  fenceLost(taskId: string): void {
    this.fences.delete(taskId);
    this.fencedOut.add(taskId);
  }

  // ---------------------------------------------------------------- load and follow

  async load(): Promise<StoreData> {
    const data = emptyStore();
    for (const c of COLLECTIONS) {
      const rows: { id: string; createdAt?: string }[] = [];
      const base = c === 'tasks' ? 'tasks/' : `records/${c}/`;
      for (const [rel, e] of this.site.entries(base)) {
        const row = this.parseRow(c, rel, e.value!);
        if (row) rows.push(row);
      }
      if (c === 'tasks')
        rows.sort((a, b) => (a.createdAt! < b.createdAt! ? -1 : a.createdAt! > b.createdAt! ? 1 : 0));
      (data[c] as unknown[]) = rows;
    }
    return data;
  }

  private parseRow(c: CollectionName, rel: string, value: string): { id: string; createdAt?: string } | null {
    try {
      const doc = JSON.parse(value) as { row?: unknown };
      const parsed = SPECS[c].schema.safeParse(doc.row);
      if (parsed.success) return parsed.data as { id: string };
      this.site.log(`etcd: ${rel} is not a valid ${SPECS[c].label}; ignored`);
    } catch {
      this.site.log(`etcd: ${rel} is not JSON; ignored`);
    }
    return null;
  }

  attach(sink: RemoteSink): void {
    this.sink = sink;
    const follow = (c: CollectionName, rel: string, value: string | null) => {
      const id = rel.slice(rel.lastIndexOf('/') + 1);
      if (value === null) return sink.apply(c, id, null);
      const by = (JSON.parse(value) as { by?: string }).by;
      // Our own writes are in memory already (and memory may be ahead of them).
      if (by === this.site.owner) return;
      const row = this.parseRow(c, rel, value);
      if (row) sink.apply(c, id, row);
    };
    this.site.subscribe('records/', (rel, e) => {
      const c = rel.split('/')[1] as CollectionName;
      if (COLLECTIONS.includes(c) && c !== 'tasks') follow(c, rel, e.value);
    });
    this.site.subscribe('tasks/', (rel, e) => follow('tasks', rel, e.value));
  }

  assertWritable(_collection: CollectionName): void {
    this.site.assertAvailable();
  }

  // ---------------------------------------------------------------- records

  writeRows(ops: RowOp[]): Promise<void> {
    const run = this.rowQueue.then(() => this.writeRowsNow(ops));
    this.rowQueue = run.catch(() => undefined);
    return run;
  }

  private recordKey(c: CollectionName, id: string): string {
    return this.site.key(`records/${c}/${id}`);
  }

  private uniqueRel(c: CollectionName, field: string, value: unknown): string {
    return `unique/${c}/${field}/${encodeURIComponent(String(value))}`;
  }

  private known(c: CollectionName, id: string): { rev: number; row: Record<string, unknown> | null } {
    const e = this.site.get(`records/${c}/${id}`);
    if (!e) return { rev: 0, row: null };
    try {
      return { rev: e.rev, row: (JSON.parse(e.value!) as { row: Record<string, unknown> }).row };
    } catch {
      return { rev: e.rev, row: null };
    }
  }

  private async writeRowsNow(ops: RowOp[]): Promise<void> {
    const compare: RPC.ICompare[] = [];
    const success: RPC.IRequestOp[] = [];
    const touched: string[] = [];
    const taken: string[] = [];
    for (const op of ops) {
      const c = op.collection;
      const id = 'upsert' in op ? op.upsert.id : op.remove;
      const key = this.recordKey(c, id);
      const prev = this.known(c, id);
      touched.push(`records/${c}/${id}`);
      compare.push(this.site.modIs(key, prev.rev));
      const next = 'upsert' in op ? (op.upsert as Record<string, unknown>) : null;
      for (const f of uniqueFields(c)) {
        const was = prev.row?.[f];
        const now = next?.[f];
        if (was === now) continue;
        if (was !== undefined && was !== null)
          success.push(this.site.deleteOp(this.site.key(this.uniqueRel(c, f, was))));
        if (now !== undefined && now !== null) {
          const u = this.uniqueRel(c, f, now);
          compare.push(this.site.createIs(this.site.key(u), 0));
          success.push(this.site.putOp(this.site.key(u), id));
          taken.push(u);
        }
      }
      success.push(
        next
          ? this.site.putOp(key, JSON.stringify({ by: this.site.owner, row: next }))
          : this.site.deleteOp(key),
      );
    }
    let res: RPC.ITxnResponse;
    try {
      res = await this.site.txn(compare, success);
    } catch (err) {
      this.putBack(touched);
      throw err;
    }
    if (res.succeeded) return;
    // Someone else changed these records, or took a unique value, since we looked.
    await this.site.refresh([...touched, ...taken]).catch(() => undefined);
    const holders = taken
      .map((u) => ({ u, e: this.site.get(u) }))
      .filter((x) => x.e !== undefined)
      .map(({ u, e }) => {
        const [, c, f, v] = u.split('/');
        return { c: c as CollectionName, f, v: decodeURIComponent(v!), id: e!.value! };
      });
    await this.site.refresh(holders.map((h) => `records/${h.c}/${h.id}`)).catch(() => undefined);
    for (const h of holders) {
      const k = this.known(h.c, h.id);
      if (k.row) this.sink?.apply(h.c, h.id, k.row);
    }
    this.putBack(touched);
    const what = holders.length
      ? holders.map((h) => `${SPECS[h.c].label} ${h.f} ${h.v} is already used by ${h.id}`).join('; ')
      : `${touched.join(', ')} changed meanwhile`;
    throw new EtcdConflictError(`another jump host changed the site first: ${what}`, {
      hint: 'nothing was changed; the view is up to date again, try again',
    });
  }

  /** Memory back to the records as etcd has them (after a refused or failed write). */
  private putBack(rels: string[]): void {
    for (const rel of rels) {
      const [, c, id] = rel.split('/') as [string, CollectionName, string];
      const k = this.known(c, id);
      this.sink?.apply(c, id, k.row ? this.parseRow(c, rel, JSON.stringify({ row: k.row })) : null);
    }
  }

  // ---------------------------------------------------------------- tasks

  writeTask(task: Readonly<Task>, lazy: boolean): Promise<void> {
    const s = this.writesOf(task.id);
    if (s.next) return s.next;
    if (!lazy) return this.schedule(task.id);
    s.lazy ??= sleep(this.lazyMs).then(() => {
      s.lazy = null;
      return this.schedule(task.id);
    });
    return s.lazy;
  }

  private writesOf(id: string): TaskWrites {
    let s = this.taskWrites.get(id);
    if (!s) this.taskWrites.set(id, (s = { next: null, running: null, lazy: null }));
    return s;
  }

  private schedule(id: string): Promise<void> {
    const s = this.writesOf(id);
    if (s.next) return s.next;
    const before = s.running ?? Promise.resolve();
    const p: Promise<void> = before
      .catch(() => undefined)
      .then(() => {
        s.next = null;
        s.running = p;
        return this.writeTaskNow(id);
      })
      .finally(() => {
        if (s.running === p) s.running = null;
        if (!s.running && !s.next && !s.lazy) this.taskWrites.delete(id);
      });
    s.next = p;
    return p;
  }

  private async writeTaskNow(id: string): Promise<void> {
    const rel = `tasks/${id}`;
    const key = this.site.key(rel);
    let waiting = false;
    try {
      return await this.writeTaskRetrying(id, rel, key, () => {
        if (waiting) return;
        waiting = true;
        const h = this.site.getHealth();
        this.onWaiting(id, {
          since: h.since ?? new Date().toISOString(),
          why: h.condition === 'quorum-lost' ? 'etcd has no quorum' : 'etcd is unreachable',
        });
      });
    } finally {
      if (waiting) this.onWaiting(id, null);
    }
  }

  private async writeTaskRetrying(id: string, rel: string, key: string, paused: () => void): Promise<void> {
    for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
      const row = this.sink?.current('tasks', id);
      if (row === undefined) return;
      if (this.fencedOut.has(id)) {
        // Memory goes back to what etcd has (the new owner's record, or the last one written).
        const e = this.site.get(rel);
        const theirs = e ? this.parseRow('tasks', rel, e.value!) : null;
        if (theirs) this.sink?.apply('tasks', id, theirs);
        throw new OperatorError(`task ${id}: this runner lost its claim; the task is not written from here`, {
          target: id,
          hint: 'another jump host shows it interrupted; resume or roll it back there or here',
        });
      }
      const fence = this.fences.get(id);
      const compare = [
        fence !== undefined
          ? this.site.createIs(this.site.key(`active/${id}`), fence)
          : this.site.modIs(key, this.site.get(rel)?.rev ?? 0),
      ];
      let res: RPC.ITxnResponse;
      try {
        res = await this.site.txn(compare, [
          this.site.putOp(key, JSON.stringify({ by: this.site.owner, row })),
        ]);
      } catch (err) {
        // The task's own runner waits for etcd at the step boundary; nothing else does.
        if (
          fence !== undefined &&
          err instanceof EtcdUnavailableError &&
          !this.site.lost.aborted &&
          !this.closing
        ) {
          // One failed round is not an outage (an election): the wait is told once etcd is unavailable.
          if (!this.site.getHealth().available) paused();
          await sleep(wait);
          continue;
        }
        throw err;
      }
      if (res.succeeded) return;
      if (fence !== undefined) {
        this.fenceLost(id);
        this.onFenceLost(id);
        throw new OperatorError(`task ${id}: this runner no longer holds it (its claim in etcd is gone)`, {
          target: id,
          hint: 'another jump host took it over; follow it there',
        });
      }
      await this.site.refresh([rel]).catch(() => undefined);
      const e = this.site.get(rel);
      const theirs = e ? this.parseRow('tasks', rel, e.value!) : null;
      this.sink?.apply('tasks', id, theirs);
      throw new EtcdConflictError(`task ${id} was changed meanwhile by another jump host`, {
        target: id,
        hint: 'the view is up to date again; look at it and try again',
      });
    }
  }

  async syncRemovedTasks(present: ReadonlySet<string>): Promise<void> {
    const gone = [...this.site.entries('tasks/')]
      .map(([rel]) => rel)
      .filter((rel) => !present.has(rel.slice(6)));
    for (const rel of gone) {
      const e = this.site.get(rel);
      if (!e) continue;
      await this.site
        .txn([this.site.modIs(this.site.key(rel), e.rev)], [this.site.deleteOp(this.site.key(rel))])
        .catch((err) => this.site.log(`etcd: could not drop ${rel}: ${describeError(err)}`));
    }
  }

  /** Resolves once the task's writes asked for so far are in etcd (or failed). */
  async flushTask(id: string): Promise<void> {
    const s = this.taskWrites.get(id);
    if (!s) return;
    const pending = [s.lazy ? this.schedule(id) : null, s.next, s.running].filter((p) => p !== null);
    await Promise.all(pending.map((p) => p.catch(() => undefined)));
  }

  /**
   * Writes what it can within a few seconds, then stops waiting for etcd: a runner stopping while
   * etcd is away must not hang (its tasks show as interrupted at the others once its lease ends).
   */
  async close(): Promise<void> {
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 3_000).unref())]);
    this.closing = true;
  }

  async flush(): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const [id, s] of this.taskWrites) {
      if (s.lazy) pending.push(this.schedule(id));
      if (s.next) pending.push(s.next);
      if (s.running) pending.push(s.running);
    }
    pending.push(this.rowQueue.then(() => undefined));
    // Each write's own caller hears of its failure; flush only waits.
    await Promise.all(pending.map((p) => p.catch(() => undefined)));
  }
}
