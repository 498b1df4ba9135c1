import { randomBytes } from 'node:crypto';
import type { Task, TaskTarget } from '../../state/schema.ts';
import type { Store } from '../../state/store.ts';
import type {
  Claim,
  ClaimRequest,
  ClaimResult,
  Coordinator,
  Holder,
  JournalWrite,
  Unlock,
} from './coordination.ts';
import { KeyedMutex } from './locks.ts';
import { ParkedTasks } from './parked-tasks.ts';

/** Keys naming what a target touches: the host by id and by name, the instance, the instance's host. */
export function keysForTarget(store: Pick<Store, 'hosts' | 'instances'>, target: TaskTarget): string[] {
  const keys = new Set<string>();
  const hosts = store.hosts;
  const addHost = (hostId?: string, hostname?: string) => {
    const h =
      (hostId !== undefined ? hosts.peekBy('id', hostId) : undefined) ??
      (hostname !== undefined ? hosts.peekBy('hostname', hostname) : undefined);
    if (hostId ?? h?.id) keys.add(`host:${hostId ?? h!.id}`);
    if (hostname ?? h?.hostname) keys.add(`hostname:${hostname ?? h!.hostname}`);
    if (h) {
      keys.add(`host:${h.id}`);
      keys.add(`hostname:${h.hostname}`);
    }
  };
  addHost(target.hostId, target.hostname);
  if (target.instanceId) {
    keys.add(`instance:${target.instanceId}`);
    const inst = store.instances.peekBy('id', target.instanceId);
    if (inst) addHost(inst.hostId, undefined);
  }
  return [...keys];
}

/**
 * The coordinator of a site with one jump host: the store is the journal, and this process (the
 * runner, the store's only writer) is the only one that claims or locks anything, so claims and
 * step locks are in-memory maps. A claim is never lost here.
 *
 * Holder lookups are O(1) per key: claims are a map from key to its claims (more than one only after
 * a forced start, newest last; each goes with its own task), and interrupted tasks (which
 * keep their host until the operator decides) are indexed by key too, kept current on every
 * journal write that moves a task into or out of 'interrupted'.
 */
export class LocalCoordinator implements Coordinator {
  readonly owner: string;
  private readonly claims = new Map<string, { claim: Claim; kind: string }[]>();
  /** key → ids of interrupted tasks whose target has it. */
  private readonly parked = new ParkedTasks();
  private readonly stepLocks = new KeyedMutex();
  private readonly never = new AbortController().signal;
  private fence = 0;

  constructor(
    readonly store: Store,
    opts: { owner?: string } = {},
  ) {
    this.owner = opts.owner ?? `pid-${process.pid}-${randomBytes(3).toString('hex')}`;
    for (const t of store.tasks.peekAll()) if (t.state === 'interrupted') this.park(t);
  }

  // ---------------------------------------------------------------- claims

  keysFor(target: TaskTarget): string[] {
    return keysForTarget(this.store, target);
  }

  claim(req: ClaimRequest): Promise<ClaimResult> {
    // Decided and taken in one synchronous run: nothing else in the process can interleave.
    const blocking = this.holders(req.keys, req.taskId);
    if (blocking.length > 0 && !req.force) return Promise.resolve({ ok: false, holder: blocking[0]! });
    this.fence += 1;
    const claim: Claim = {
      taskId: req.taskId,
      keys: [...req.keys],
      owner: this.owner,
      fence: this.fence,
      lost: this.never,
    };
    const entry = { claim, kind: req.kind };
    for (const k of claim.keys) {
      const held = this.claims.get(k);
      if (held) held.push(entry);
      else this.claims.set(k, [entry]);
    }
    return Promise.resolve({ ok: true, claim, displaced: blocking });
  }

  release(claim: Claim): Promise<void> {
    for (const k of claim.keys) {
      const held = this.claims.get(k);
      const i = held?.findIndex((e) => e.claim === claim) ?? -1;
      if (i < 0) continue;
      held!.splice(i, 1);
      if (held!.length === 0) this.claims.delete(k);
    }
    return Promise.resolve();
  }

  holderOf(keys: readonly string[]): Holder | undefined {
    return this.holders(keys, null, true)[0];
  }

  /** Distinct holders of the keys other than `self`: claims first, then interrupted tasks. */
  private holders(keys: readonly string[], self: string | null, first = false): Holder[] {
    const found = new Map<string, Holder>();
    for (const k of keys) {
      const held = this.claims.get(k) ?? [];
      // Newest first: after a forced start, the task that took the key.
      for (let n = held.length - 1; n >= 0; n--) {
        const { claim, kind } = held[n]!;
        const id = claim.taskId;
        if (id === self || found.has(id)) continue;
        // A claim made for a task not yet journaled (start() claims first) reads as pending.
        const state = this.store.tasks.peek(id)?.state ?? 'pending';
        found.set(id, { taskId: id, kind, state, owner: claim.owner });
        if (first) return [...found.values()];
      }
    }
    for (const k of keys) {
      for (const id of this.parked.on(k)) {
        if (id === self || found.has(id)) continue;
        const t = this.store.tasks.peek(id);
        if (!t) continue;
        found.set(id, { taskId: id, kind: t.kind, state: t.state, owner: null });
        if (first) return [...found.values()];
      }
    }
    return [...found.values()];
  }

  private park(t: Readonly<Task>): void {
    if (!this.parked.has(t.id)) this.parked.park(t.id, this.keysFor(t.target));
  }

  private unpark(id: string): void {
    this.parked.unpark(id);
  }

  // ---------------------------------------------------------------- step locks

  async lock(names: readonly string[], _taskId: string, signal: AbortSignal): Promise<Unlock> {
    const release = await this.stepLocks.acquireAll(names, signal);
    return () => {
      release();
      return Promise.resolve();
    };
  }

  // ---------------------------------------------------------------- journal

  async insertTask(task: Task): Promise<void> {
    await this.store.tasks.insert(task);
    if (task.state === 'interrupted') this.park(task);
  }

  mutateTask(id: string, fn: (task: Task) => void, opts: JournalWrite = {}): Promise<void> {
    return this.store.tasks.mutate(
      id,
      (t) => {
        const was = t.state;
        fn(t);
        if (t.state === was) return;
        if (t.state === 'interrupted') this.park(t);
        else if (was === 'interrupted') this.unpark(t.id);
      },
      opts,
    );
  }

  task(id: string): Readonly<Task> | undefined {
    return this.store.tasks.peek(id);
  }

  tasks(): readonly Readonly<Task>[] {
    return this.store.tasks.peekAll();
  }

  async removeTasks(ids: ReadonlySet<string>): Promise<number> {
    if (ids.size === 0) return 0;
    for (const id of ids) this.unpark(id);
    return this.store.tasks.removeWhere((t) => ids.has(t.id));
  }

  flush(): Promise<void> {
    return this.store.flush();
  }
}
