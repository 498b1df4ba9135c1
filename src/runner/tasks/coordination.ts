import type { Task, TaskState, TaskTarget } from '../../protocol/records.ts';

/**
 * THE interface between the task engine and whatever coordinates the runners of a site: who holds
 * which host, the named step locks (a ToR switch), and the task journal. The engine uses nothing
 * else for either.
 *
 * Implementations:
 *  - LocalCoordinator (local-coordinator.ts): one jump host. The lowdb store is the journal; claims
 *    and step locks live in this process (the runner is the store's only writer).
 *  - EtcdCoordinator (etcd-coordinator.ts): several jump hosts. A claim is a set of keys bound to
 *    the runner's etcd lease, with the create revision of the task's active/<id> key as its fence;
 *    step locks are lease-bound keys too; the journal is the tasks/ keys, written in transactions
 *    that compare the fence. When a runner's lease expires its claims go with it and the other
 *    runners mark its tasks interrupted.
 *
 * What the shape asks of an implementation, so both fit:
 *  - Every method that changes shared state is async (a round trip to etcd); the lookups the UI
 *    makes per row (holderOf, task, tasks) are synchronous reads of a local view, which an etcd
 *    implementation keeps current with a watch. They answer "who holds it" for display and
 *    planning; claim() is the authority.
 *  - A claim carries a fencing token and a signal that aborts when the claim is lost (lease
 *    expired, taken over): the engine stops the task at once, and the implementation refuses any
 *    further journal write for that task from this runner (compare the fence in the transaction).
 */

/** Who holds a key. */
export interface Holder {
  taskId: string;
  kind: string;
  state: TaskState;
  /** The runner working on the task; null when none is (an interrupted task awaiting the operator). */
  owner: string | null;
}

export interface ClaimRequest {
  taskId: string;
  /** The task's kind, for messages of other tasks refused because of this claim. */
  kind: string;
  /** From keysFor(target). */
  keys: readonly string[];
  /**
   * Take the keys even when another task holds them (the operator's --force). The claim names the
   * tasks it took them from in `displaced`; those tasks are not stopped, and a key goes back to the
   * task it was taken from (if that one still runs) when the forced claim is released.
   */
  force?: boolean;
}

export interface Claim {
  readonly taskId: string;
  readonly keys: readonly string[];
  /** The runner that made the claim. */
  readonly owner: string;
  /** Grows with every claim made: a write carrying an older fence than the key's is refused. */
  readonly fence: number;
  /** Aborts (with the reason) when the claim is lost; the task must stop. */
  readonly lost: AbortSignal;
}

export type ClaimResult = { ok: true; claim: Claim; displaced: Holder[] } | { ok: false; holder: Holder };

/** Gives a step lock back; resolves once others may take it. */
export type Unlock = () => Promise<void>;

export interface JournalWrite {
  /** false: the change may ride on the next write (log lines need no write-ahead). Default true. */
  durable?: boolean;
}

export interface Coordinator {
  /** This runner, as holders and logs name it. */
  readonly owner: string;

  // ---- claims: what a task holds from start to end (a host, an instance)

  /** Keys naming what a target touches: the host by id and by name, the instance, the instance's host. */
  keysFor(target: TaskTarget): string[];
  /**
   * Takes every key for the task, or none and names a holder: a task with a claim on one of the
   * keys, or an interrupted task whose target has one (its state on the gear is unknown). The
   * requesting task's own interrupted record does not count (resume, rollback).
   */
  claim(req: ClaimRequest): Promise<ClaimResult>;
  /** Gives the claim's keys back. */
  release(claim: Claim): Promise<void>;
  /** Who holds any of the keys, running or queued first, then interrupted; O(1) per key. */
  holderOf(keys: readonly string[]): Holder | undefined;

  // ---- step locks: held only while one step runs ('switch:tor-r01')

  /**
   * Takes every named lock for the task, in a fixed order so overlapping sets cannot deadlock,
   * waiting while others hold them; rejects with the signal's reason if it aborts while waiting.
   */
  lock(names: readonly string[], taskId: string, signal: AbortSignal): Promise<Unlock>;

  // ---- the journal

  /** Adds a task record; resolves once durable. */
  insertTask(task: Task): Promise<void>;
  /**
   * Applies `fn` to the task's record and writes it. Durable writes resolve once on disk (the
   * engine's write-ahead depends on it); rejects when the task's claim was lost.
   */
  mutateTask(id: string, fn: (task: Task) => void, opts?: JournalWrite): Promise<void>;
  /** The live record; read-only by contract (change it through mutateTask). */
  task(id: string): Readonly<Task> | undefined;
  /** Every record, oldest first; read-only by contract. */
  tasks(): readonly Readonly<Task>[];
  /** Drops finished records; returns how many went. */
  removeTasks(ids: ReadonlySet<string>): Promise<number>;
  /** Resolves once every change made so far is durable. */
  flush(): Promise<void>;
}
