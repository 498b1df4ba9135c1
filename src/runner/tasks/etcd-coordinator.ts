import type { Task } from '../../protocol/records.ts';
import type { RunnerStatus } from '../../protocol/messages.ts';
import type { Store } from '../store/store.ts';
import type { EtcdSite, MirrorEntry } from '../coord/etcd-site.ts';
import type { EtcdStoreRemote } from '../coord/etcd-store.ts';
import type * as RPC from 'etcd3/lib/rpc.js';
import { OperatorError, describeError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import type { Claim, ClaimRequest, ClaimResult, Coordinator, Holder, Unlock } from './coordination.ts';
import { IN_FLIGHT } from './internal.ts';
import { KeyedMutex } from './locks.ts';
import { StoreJournal } from './store-journal.ts';

/**
 * The coordinator of a site with several jump hosts, over etcd (see src/runner/coord/etcd-site.ts for the
 * keys). Claims and step locks are keys bound to this runner's lease: when the runner dies they
 * vanish with the lease, and the other runners mark its tasks interrupted (a watch on active/).
 * The fence of a claim is the create revision of active/<taskId>; every journal write of the task
 * compares it, so a runner that lost its lease cannot write over the task's new owner, and its
 * claims' `lost` signals stop the tasks at once.
 *
 * Lookups (holderOf, task, tasks) read the local mirror the watch keeps current.
 */
interface Mine {
  claim: Claim;
  controller: AbortController;
  /** key → the exact value written (release deletes only keys still naming this task). */
  values: Map<string, string>;
  /**
   * key → the claim a forced start took it from (its value and lease): handed back at release
   * while that task is still active, as the one-host coordinator does.
   */
  displaced: Map<string, MirrorEntry>;
  releasing: boolean;
}

interface ClaimValue {
  taskId: string;
  kind: string;
  owner: string;
}

/** A task changed by someone else, or taken over by this runner: for the event stream. */
export type RemoteTaskListener = (
  before: Readonly<Task> | undefined,
  after: Readonly<Task> | undefined,
) => void;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EtcdCoordinator extends StoreJournal implements Coordinator {
  readonly owner: string;
  private readonly mine = new Map<string, Mine>();
  private readonly stepLocks = new KeyedMutex();
  private readonly lockWaiters = new Map<string, Set<() => void>>();
  private readonly taskListeners = new Set<RemoteTaskListener>();
  /** Last known copy of each task changed by others, to tell listeners what changed. */
  private readonly offs: (() => void)[] = [];
  private poll: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    store: Store,
    readonly site: EtcdSite,
    readonly remote: EtcdStoreRemote,
  ) {
    super(store);
    this.owner = site.owner;
    remote.onFenceLost = (id) => this.loseClaim(id, 'its claim in etcd is gone (taken over)');
    this.offs.push(
      site.onLease((event) => {
        if (event !== 'lost') return;
        for (const id of [...this.mine.keys()]) this.loseClaim(id, describeError(site.lost.reason));
      }),
    );
    // Tasks written by others: park/unpark, and a snapshot for listeners.
    let before = new Map<string, Task>();
    for (const t of store.tasks.peekAll()) before.set(t.id, structuredClone(t) as Task);
    this.offs.push(
      site.subscribe('tasks/', (rel, e) => {
        const id = rel.slice('tasks/'.length);
        const now = store.tasks.peek(id);
        if (e.value !== null && now && JSON.parse(e.value).by === this.owner) return;
        const was = before.get(id);
        if (now) {
          before.set(id, structuredClone(now) as Task);
          if (now.state === 'interrupted') this.park(now);
          else this.unpark(id);
        } else {
          before.delete(id);
          this.unpark(id);
        }
        for (const l of this.taskListeners) l(was, now);
      }),
    );
    this.offs.push(() => (before = new Map()));
    // A task's runner let go of it, or died (its lease expired): if the task was still in flight,
    // nobody works on it any more.
    this.offs.push(
      site.subscribe('active/', (rel, e, prev) => {
        const id = rel.slice('active/'.length);
        if (e.value !== null) return;
        const mine = this.mine.get(id);
        if (mine && !mine.releasing) {
          this.loseClaim(id, 'its claim in etcd was removed');
          // Our lease-bound key went without our release: most likely the lease itself.
          void site.probe();
        }
        let owner = 'another runner';
        try {
          if (prev?.value) owner = `runner ${(JSON.parse(prev.value) as ClaimValue).owner}`;
        } catch {
          // keep the default
        }
        setImmediate(() => void this.takeOver(id, owner).catch(() => undefined));
      }),
    );
    this.offs.push(
      site.subscribe('locks/', (rel, e) => {
        if (e.value !== null) return;
        const name = rel.slice('locks/'.length);
        for (const w of this.lockWaiters.get(name) ?? []) w();
      }),
    );
    const every = Math.max(500, site.ttlSeconds * 1000);
    this.poll = setInterval(() => void this.recoverOrphans().catch(() => undefined), every);
    this.poll.unref();
  }

  /** Whether this runner holds the task's claim (works on it now). */
  holds(taskId: string): boolean {
    const m = this.mine.get(taskId);
    return m !== undefined && !m.controller.signal.aborted;
  }

  /** Listens to tasks changed by other runners (and taken over by this one). */
  onRemoteTask(fn: RemoteTaskListener): () => void {
    this.taskListeners.add(fn);
    return () => this.taskListeners.delete(fn);
  }

  // ---------------------------------------------------------------- takeover

  /**
   * Every in-flight task nobody holds (no active/<id> key: its runner died or let go without
   * finishing it) becomes interrupted, for any jump host to resume or roll back. Returns the ids
   * this runner marked.
   */
  async recoverOrphans(): Promise<string[]> {
    const ids: string[] = [];
    for (const t of [...this.store.tasks.peekAll()]) {
      if (!IN_FLIGHT.has(t.state) || this.site.get(`active/${t.id}`) || this.mine.has(t.id)) continue;
      if (await this.takeOver(t.id, 'its runner').catch(() => false)) ids.push(t.id);
    }
    return ids;
  }

  private async takeOver(id: string, who: string): Promise<boolean> {
    if (this.closed || !this.site.getHealth().available) return false;
    const t = this.store.tasks.peek(id);
    if (!t || !IN_FLIGHT.has(t.state) || this.site.get(`active/${id}`) || this.mine.has(id)) return false;
    const before = structuredClone(t) as Task;
    const running = t.steps.findIndex(
      (s) => s.state === 'running' || (s.undoStartedAt !== undefined && s.state !== 'undone'),
    );
    const where = running >= 0 ? ` during step ${running + 1} (${t.steps[running]!.title})` : '';
    const text = `interrupted: ${who} went away (its etcd lease ended) while the task was ${t.state}${where}`;
    await this.mutateTask(id, (task) => {
      task.state = 'interrupted';
      task.error = redact(text);
      task.log.push({
        at: new Date().toISOString(),
        level: 'warn',
        text: `${redact(text)}; resume or roll it back from any jump host (noticed by ${this.owner})`,
        source: 'engine',
      });
    });
    const after = this.store.tasks.peek(id);
    for (const l of this.taskListeners) l(before, after);
    return true;
  }

  // ---------------------------------------------------------------- claims

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    this.site.assertAvailable();
    const blocking = this.holders(req.keys, req.taskId);
    if (blocking.length > 0 && !req.force) return { ok: false, holder: blocking[0]! };
    const s = this.site;
    const value = JSON.stringify({
      taskId: req.taskId,
      kind: req.kind,
      owner: this.owner,
    } satisfies ClaimValue);
    const keys = [...new Set(req.keys)];
    const active = s.key(`active/${req.taskId}`);
    const res = await s.txn(
      [s.createIs(active, 0), ...(req.force ? [] : keys.map((k) => s.createIs(s.key(`claims/${k}`), 0)))],
      [
        s.putOp(active, value, true),
        // Forced: each put answers the claim it replaced, to hand it back at release.
        ...keys.map((k) => withPrevious(s.putOp(s.key(`claims/${k}`), value, true), req.force === true)),
      ],
      [s.rangeOp(active), ...keys.map((k) => s.rangeOp(s.key(`claims/${k}`)))],
    );
    if (!res.succeeded) {
      for (const r of res.responses) {
        const kv = r.response_range?.kvs?.[0];
        if (!kv) continue;
        try {
          const v = JSON.parse(kv.value.toString('utf8')) as ClaimValue;
          return { ok: false, holder: this.holderFrom(v) };
        } catch {
          // not a claim of ours
        }
      }
      throw new OperatorError(`could not claim ${keys.join(', ')} in etcd; try again`);
    }
    const displaced = new Map<string, MirrorEntry>();
    keys.forEach((k, i) => {
      const prev = res.responses[i + 1]?.response_put?.prev_kv;
      if (prev) {
        displaced.set(k, {
          rev: Number(prev.mod_revision),
          value: prev.value.toString('utf8'),
          create: Number(prev.create_revision),
          lease: String(prev.lease),
        });
      }
    });
    const fence = Number(res.header.revision);
    const controller = new AbortController();
    const claim: Claim = { taskId: req.taskId, keys, owner: this.owner, fence, lost: controller.signal };
    this.mine.set(req.taskId, {
      claim,
      controller,
      values: new Map(keys.map((k) => [k, value])),
      displaced,
      releasing: false,
    });
    this.remote.setFence(req.taskId, fence);
    if (s.lost.aborted) this.loseClaim(req.taskId, describeError(s.lost.reason));
    return { ok: true, claim, displaced: blocking };
  }

  private holderFrom(v: ClaimValue): Holder {
    const state = this.store.tasks.peek(v.taskId)?.state ?? 'pending';
    return { taskId: v.taskId, kind: v.kind, state, owner: v.owner };
  }

  private loseClaim(id: string, why: string): void {
    const m = this.mine.get(id);
    if (!m || m.controller.signal.aborted) return;
    this.remote.fenceLost(id);
    m.controller.abort(new Error(why));
  }

  async release(claim: Claim): Promise<void> {
    const m = this.mine.get(claim.taskId);
    if (!m || m.claim !== claim) return;
    m.releasing = true;
    // The task's last journal writes go first: another runner may take it up the moment it is free.
    await this.remote.flushTask(claim.taskId);
    this.mine.delete(claim.taskId);
    this.remote.setFence(claim.taskId, null);
    if (m.controller.signal.aborted) return;
    const s = this.site;
    const ops = [
      { key: s.key(`active/${claim.taskId}`), value: m.values.values().next().value as string | undefined },
      ...[...m.values].map(([k, v]) => ({ key: s.key(`claims/${k}`), value: v })),
    ];
    const attempt = async () => {
      for (const op of ops) {
        if (op.value && (await this.handBack(op.key, op.value, m.displaced))) continue;
        await s.txn(op.value ? [s.valueIs(op.key, op.value)] : [], [s.deleteOp(op.key)]);
      }
    };
    try {
      await attempt();
    } catch {
      // etcd is away: keep trying in the background (the keys also go with the lease).
      void (async () => {
        for (let wait = 500; !this.closed && !s.lost.aborted; wait = Math.min(wait * 2, 5_000)) {
          await sleep(wait);
          if (
            await attempt().then(
              () => true,
              () => false,
            )
          )
            return;
        }
      })();
    }
  }

  /**
   * A key this task took by force goes back to the task it was taken from, with that runner's
   * lease, while that task is still active; false when there is none to hand it to (then the key
   * is deleted as usual).
   */
  private async handBack(key: string, ours: string, displaced: Map<string, MirrorEntry>): Promise<boolean> {
    const prefix = this.site.key('claims/');
    const prev = key.startsWith(prefix) ? displaced.get(key.slice(prefix.length)) : undefined;
    if (!prev?.value) return false;
    let holder: ClaimValue;
    try {
      holder = JSON.parse(prev.value) as ClaimValue;
    } catch {
      return false;
    }
    const s = this.site;
    try {
      const res = await s.txn(
        [s.valueIs(key, ours), s.exists(s.key(`active/${holder.taskId}`))],
        [s.putOp(key, prev.value, prev.lease === '0' ? false : prev.lease)],
      );
      return res.succeeded;
    } catch {
      // Its lease is gone (that runner died): nothing to hand back to.
      return false;
    }
  }

  holderOf(keys: readonly string[]): Holder | undefined {
    return this.holders(keys, null, true)[0];
  }

  private holders(keys: readonly string[], self: string | null, first = false): Holder[] {
    const found = new Map<string, Holder>();
    for (const k of keys) {
      const e = this.site.get(`claims/${k}`);
      if (!e) continue;
      let v: ClaimValue;
      try {
        v = JSON.parse(e.value!) as ClaimValue;
      } catch {
        continue;
      }
      if (v.taskId === self || found.has(v.taskId)) continue;
      found.set(v.taskId, this.holderFrom(v));
      if (first) return [...found.values()];
    }
    for (const k of keys) {
      for (const id of this.parked.on(k)) {
        if (id === self || found.has(id)) continue;
        const t = this.store.tasks.peek(id);
        if (!t || t.state !== 'interrupted') continue;
        found.set(id, { taskId: id, kind: t.kind, state: t.state, owner: null });
        if (first) return [...found.values()];
      }
    }
    return [...found.values()];
  }

  // ---------------------------------------------------------------- step locks

  /**
   * Takes the named locks in etcd (lease-bound keys locks/<name>), in sorted order, after the
   * same names in this process (one waiter per name per runner). Waits while another runner
   * holds one (woken by the watch when it goes, or every 250 ms); while etcd is unreachable the
   * task waits here, before its step: a switch batch is never started without its lock.
   */
  async lock(names: readonly string[], taskId: string, signal: AbortSignal): Promise<Unlock> {
    const localRelease = await this.stepLocks.acquireAll(names, signal);
    const s = this.site;
    const taken: { key: string; value: string }[] = [];
    const unlockAll = async () => {
      for (const t of taken.reverse()) await s.txn([s.valueIs(t.key, t.value)], [s.deleteOp(t.key)]);
    };
    try {
      for (const name of [...new Set(names)].sort()) {
        const key = s.key(`locks/${name}`);
        const value = JSON.stringify({ taskId, owner: this.owner });
        for (;;) {
          if (signal.aborted) throw signal.reason;
          if (s.lost.aborted) throw new OperatorError(`lost the etcd lease while waiting for ${name}`);
          const ok = await s.txn([s.createIs(key, 0)], [s.putOp(key, value, true)]).then(
            (r) => r.succeeded,
            () => false,
          );
          if (ok) break;
          await this.waitForLock(name, signal);
        }
        taken.push({ key, value });
      }
    } catch (err) {
      await unlockAll().catch(() => undefined);
      localRelease();
      throw err;
    }
    return async () => {
      try {
        await unlockAll();
        localRelease();
      } catch {
        // etcd is away: the lock keys stay ours until they can be deleted (or the lease ends).
        void (async () => {
          for (let wait = 500; !this.closed && !s.lost.aborted; wait = Math.min(wait * 2, 5_000)) {
            await sleep(wait);
            if (
              await unlockAll().then(
                () => true,
                () => false,
              )
            )
              break;
          }
          localRelease();
        })();
      }
    };
  }

  private waitForLock(name: string, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.lockWaiters.get(name);
      if (!set) this.lockWaiters.set(name, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set!.delete(done);
        if (set!.size === 0) this.lockWaiters.delete(name);
        resolve();
      };
      const timer = setTimeout(done, 250);
      signal.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  // ---------------------------------------------------------------- journal

  /** Who works where: the runners registered, and etcd's health, for `runner status`. */
  describe(): NonNullable<RunnerStatus['coordination']> {
    const h = this.site.getHealth();
    return {
      backend: 'etcd',
      endpoints: [...this.site.endpoints],
      prefix: this.site.prefix,
      owner: this.owner,
      available: h.available,
      condition: h.condition,
      staleSince: h.since,
      error: h.error,
      members: h.members,
      lease: h.lease,
      runners: this.site.runners(),
    };
  }

  close(): void {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    for (const off of this.offs) off();
  }
}

export type { MirrorEntry };

/** A put that answers the value it replaced (with its lease), when `want`. */
function withPrevious(op: RPC.IRequestOp, want: boolean): RPC.IRequestOp {
  return want && op.request_put ? { request_put: { ...op.request_put, prev_kv: true } } : op;
}
