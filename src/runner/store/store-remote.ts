import type { CollectionName, StoreData, Task } from '../../protocol/records.ts';
import type { RowOp } from './store-format.ts';

/**
 * Where a store keeps its records when it is not the local file: a shared backend (etcd) that
 * several runners write to. The store keeps its in-memory collections and its API; the remote
 * makes every change durable there and brings the changes of the other runners in.
 *
 * Changes still apply to memory first (the collections' checks run on the local view); the
 * remote's write is a transaction that fails when the view was out of date, and then the remote
 * puts the affected records back as they are in the backend before the promise rejects.
 */
export interface StoreRemote {
  /** For messages: the backend and where (e.g. "etcd http://a:2379 /rackpilot/dc1/"). */
  readonly label: string;
  /** Everything the backend holds for the site, validated; called once at open. */
  load(): Promise<StoreData>;
  /** From now on, changes made by others arrive through the sink. */
  attach(sink: RemoteSink): void;
  /** Refuses a change before it is made (the backend is unreachable): an OperatorError. */
  assertWritable(collection: CollectionName): void;
  /** Record changes of the small collections, as one transaction. */
  writeRows(ops: RowOp[]): Promise<void>;
  /** The task as it is in memory now; `lazy`: may wait for the next write or a short delay. */
  writeTask(task: Readonly<Task>, lazy: boolean): Promise<void>;
  /** Tasks removed from memory (removeWhere, remove): dropped in the backend too. */
  syncRemovedTasks(present: ReadonlySet<string>): Promise<void>;
  /** Resolves once every write asked for so far is in the backend. */
  flush(): Promise<void>;
  /** The store closes: what can still be written is (briefly), then writes stop. */
  close(): Promise<void>;
}

/** What the remote calls on the store when the backend changed under it. */
export interface RemoteSink {
  /** A record written (row) or removed (null) by someone else, or put back after a failed write. */
  apply(collection: CollectionName, id: string, row: unknown): void;
  /** The record as it is in memory now (live; read-only). */
  current(collection: CollectionName, id: string): unknown;
}
