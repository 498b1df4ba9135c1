import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import type { Claim, ClaimRequest, ClaimResult, Coordinator, Holder, Unlock } from './coordination.ts';
import { KeyedMutex } from './locks.ts';
import { StoreJournal } from './store-journal.ts';

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
export class LocalCoordinator extends StoreJournal implements Coordinator {
  readonly owner: string;
  private readonly claims = new Map<string, { claim: Claim; kind: string }[]>();
  private readonly stepLocks = new KeyedMutex();
  private readonly never = new AbortController().signal;
  private fence = 0;

  constructor(store: Store, opts: { owner?: string } = {}) {
    super(store);
    this.owner = opts.owner ?? `pid-${process.pid}-${randomBytes(3).toString('hex')}`;
  }

  // ---------------------------------------------------------------- claims

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

  // ---------------------------------------------------------------- step locks

  async lock(names: readonly string[], _taskId: string, signal: AbortSignal): Promise<Unlock> {
    const release = await this.stepLocks.acquireAll(names, signal);
    return () => {
      release();
      return Promise.resolve();
    };
  }

  // ---------------------------------------------------------------- journal
}
