import { formatSeconds } from '../../util/deadline.ts';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  isBrokenCircuitError,
  retry,
} from 'cockatiel';
import {
  Etcd3,
  EtcdLeaseInvalidError,
  isRecoverableError,
  type IOptions,
  type Lease,
  type Watcher,
} from 'etcd3';
import type * as RPC from 'etcd3/lib/rpc.js';
import type { EtcdSettings } from '../../config/config.ts';
import { OperatorError, describeError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import {
  OutageJudge,
  cleanGrpcMessage,
  conditionFrom,
  type Health,
  type MemberCount,
} from './etcd-health.ts';
import { writesInEffect, writtenKeys } from './lost-answer.ts';

/**
 * A runner's connection to the site's etcd: its lease (kept alive every TTL/3), its entry in the
 * runner registry, a mirror of every key under the site's prefix kept current by one watch, and
 * transactions. What the keys mean is decided by the two users of this class: EtcdStoreRemote
 * (records and tasks) and EtcdCoordinator (claims, step locks, takeover).
 *
 * Keys under the prefix (see the README, "Several jump hosts"):
 *   runners/<owner>             the runner: jump host, pid, since when            (bound to its lease)
 *   records/<collection>/<id>   a record: host, template, offering, network, instance
 *   unique/<collection>/<field>/<value>   the id of the record using a unique value
 *   tasks/<id>                  a task with its steps and journal
 *   active/<taskId>             the runner working on the task; its create revision is the fence
 *                                                                                 (bound to its lease)
 *   claims/<key>                the task holding a host, host name or instance   (bound to its lease)
 *   locks/<name>                the task holding a step lock ('switch:tor-r01')  (bound to its lease)
 *
 * A cluster's member loss is invisible while a quorum holds: every request may go to any member,
 * a member that fails a call is skipped for a second (a circuit breaker per member) and the call
 * goes on at another, and the lease is kept alive by rounds that try member after member, each
 * try bounded, several rounds per TTL. "Available" means a quorum answered, never "every member
 * answered": a single failed try changes nothing; only a round or a request that failed at every
 * member it tried makes etcd unavailable, and a probe of each member then tells "unreachable" (none
 * answers) from "quorum lost" (members answer, no leader).
 *
 * The lease is only declared lost when etcd says so (a keepalive answered with TTL 0, or a write
 * refused for an unknown lease): while etcd is unreachable the runner pauses its writes instead,
 * and after an etcd restart the lease is still there (etcd renews every lease on a new leader).
 * A lease that really expired (a partition longer than the TTL) is replaced by a new one as soon
 * as etcd answers; the claims of the old one are lost for good (their tasks are interrupted, for
 * any jump host to resume), never continued under the new lease.
 */

export interface MirrorEntry {
  /** The revision of the last change seen (a put or a delete). */
  rev: number;
  /** null: deleted. */
  value: string | null;
  create: number;
  lease: string;
}

export type MirrorListener = (key: string, entry: MirrorEntry, prev: MirrorEntry | undefined) => void;

export type { Health } from './etcd-health.ts';

export class EtcdUnavailableError extends OperatorError {}

const enc = (s: string) => Buffer.from(s, 'utf8');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const nowIso = () => new Date().toISOString();

/** Errors worth another try at another member: transport failures, a member skipped, an election. */
const retryable = (err: Error) =>
  isRecoverableError(err) ||
  isBrokenCircuitError(err) ||
  /no leader|leader changed|request timed out|too many requests/i.test(err.message);

/**
 * How long one try of a request may take, and the keepalive rhythm, from the lease TTL: several
 * keepalive rounds per TTL, so that a member's death or an election (about a second) costs at most
 * one round, never the lease.
 */
export function etcdTiming(ttlSeconds: number): { keepEveryMs: number; tryMs: number } {
  const ttlMs = ttlSeconds * 1000;
  return {
    keepEveryMs: Math.max(200, Math.floor(ttlMs / 4)),
    tryMs: Math.min(2_000, Math.max(1_000, ttlMs / 4)),
  };
}

export class EtcdSite {
  readonly owner: string;
  readonly prefix: string;
  readonly endpoints: readonly string[];
  readonly client: Etcd3;
  readonly ttlSeconds: number;
  private lostController = new AbortController();
  private lease!: Lease;
  private leaseId = '';
  private watcher: Watcher | null = null;
  private keepTimer: NodeJS.Timeout | null = null;
  private readonly timing: { keepEveryMs: number; tryMs: number };
  private readonly mirror = new Map<string, MirrorEntry>();
  private readonly listeners = new Set<{ prefix: string; fn: MirrorListener }>();
  private health: Health;
  private readonly healthListeners = new Set<(h: Health) => void>();
  private readonly leaseListeners = new Set<(event: 'lost' | 'renewed') => void>();
  private closed = false;

  private constructor(
    settings: EtcdSettings,
    readonly log: (line: string) => void,
  ) {
    this.prefix = settings.prefix;
    this.endpoints = settings.endpoints;
    this.ttlSeconds = settings.ttlSeconds;
    this.owner = `${hostname()}/pid-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.timing = etcdTiming(this.ttlSeconds);
    this.health = {
      available: true,
      condition: 'ok',
      since: null,
      error: null,
      members: null,
      lease: { grantedAt: nowIso(), lostAt: null, renewedAt: null },
    };
    // One try is bounded by the TTL's rhythm, and never longer than RACKPILOT_ETCD_TIMEOUT.
    const tryMs = Math.min(this.timing.tryMs, settings.timeoutMs ?? Infinity);
    const opts: IOptions = {
      hosts: [...settings.endpoints],
      dialTimeout: tryMs,
      // Each try of a unary call is bounded (a frozen member must not hold it); the watch and
      // keepalive streams are long-lived (keepalives get their own bound per try).
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + tryMs }),
      faultHandling: {
        // A member that failed a call is skipped for a second: the next tries go to the others.
        host: () =>
          circuitBreaker(handleWhen(retryable), { halfOpenAfter: 1_000, breaker: new ConsecutiveBreaker(1) }),
        // A call goes on at another member, with backoff across an election (about a second).
        global: retry(handleWhen(retryable), {
          maxAttempts: settings.endpoints.length + 4,
          backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }),
        }),
      },
    };
    if (settings.ca) {
      const read = (what: string, path: string) => {
        try {
          return readFileSync(path);
        } catch (err) {
          throw new OperatorError(`cannot read the etcd ${what} ${path}: ${describeError(err)}`, {
            target: path,
          });
        }
      };
      opts.credentials = {
        rootCertificate: read('CA (RACKPILOT_ETCD_CA)', settings.ca),
        ...(settings.key && { privateKey: read('client key (RACKPILOT_ETCD_KEY)', settings.key) }),
        ...(settings.cert && { certChain: read('client certificate (RACKPILOT_ETCD_CERT)', settings.cert) }),
      };
    }
    if (settings.user && settings.password)
      opts.auth = { username: settings.user, password: settings.password };
    this.client = new Etcd3(opts);
    this.memberOptions = (endpoint) => ({
      ...opts,
      hosts: [endpoint],
      faultHandling: {
        global: retry(
          handleWhen(() => false),
          { maxAttempts: 1 },
        ),
      },
    });
  }

  /** The options of a client of one member only (the probe of each member's own status). */
  private readonly memberOptions: (endpoint: string) => IOptions;

  /** Aborts when etcd says the lease is gone: every claim taken under it is lost (a new one follows). */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  /** Connects, takes a lease, loads every key under the prefix, watches it and registers the runner. */
  static async open(
    settings: EtcdSettings,
    log: (line: string) => void = () => undefined,
  ): Promise<EtcdSite> {
    const site = new EtcdSite(settings, log);
    // RACKPILOT_ETCD_TIMEOUT bounds the whole opening, its tries at every member included.
    const bound = settings.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const started = site.start();
    started.catch(() => undefined);
    try {
      await (bound === undefined
        ? started
        : Promise.race([
            started,
            new Promise<never>((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`no answer within ${formatSeconds(bound)} (RACKPILOT_ETCD_TIMEOUT)`)),
                bound,
              );
            }),
          ]));
    } catch (err) {
      site.closed = true;
      site.client.close();
      throw new OperatorError(
        `cannot use etcd at ${settings.endpoints.join(', ')}: ${cleanGrpcMessage(describeError(err))}`,
        {
          hint: `check RACKPILOT_ETCD and that etcd runs (\`etcdctl endpoint health\`); RACKPILOT_ETCD_TIMEOUT (${Math.round((settings.timeoutMs ?? 5_000) / 1000)} s) bounds the connection and each request`,
        },
      );
    } finally {
      clearTimeout(timer);
    }
    return site;
  }

  private async start(): Promise<void> {
    await this.grantLease();
    const all = await this.client.getAll().prefix(this.prefix).exec();
    const rev = Number(all.header.revision);
    for (const kv of all.kvs) {
      this.mirror.set(kv.key.toString('utf8'), {
        rev: Number(kv.mod_revision),
        value: kv.value.toString('utf8'),
        create: Number(kv.create_revision),
        lease: String(kv.lease),
      });
    }
    await this.watchFrom(rev + 1);
    await this.register();
    this.scheduleKeepAlive(this.timing.keepEveryMs);
  }

  private async grantLease(): Promise<void> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: false });
    lease.on('lost', (err) => {
      if (this.lease === lease) this.declareLost(describeError(err));
    });
    this.leaseId = await lease.grant();
    this.lease = lease;
  }

  /** This runner's entry in the registry, bound to its lease. */
  private async register(): Promise<void> {
    const l = this.health.lease;
    await this.txn(
      [],
      [
        this.putOp(
          this.key(`runners/${this.owner}`),
          JSON.stringify({
            owner: this.owner,
            host: hostname(),
            pid: process.pid,
            startedAt: l.grantedAt,
            ...(l.renewedAt && { leaseRenewedAt: l.renewedAt }),
          }),
          true,
        ),
      ],
    );
  }

  private scheduleKeepAlive(ms: number): void {
    if (this.closed) return;
    this.keepTimer = setTimeout(() => {
      const started = Date.now();
      void this.keepAlive().finally(() =>
        this.scheduleKeepAlive(Math.max(0, this.timing.keepEveryMs - (Date.now() - started))),
      );
    }, ms);
    this.keepTimer.unref();
  }

  /** Asks etcd about the lease now (after a sign that it may be gone). */
  probe(): Promise<void> {
    return this.keepAlive();
  }

  private async watchFrom(revision: number): Promise<void> {
    const w = await this.client.watch().prefix(this.prefix).startRevision(String(revision)).create();
    this.watcher = w;
    w.on('data', (res) => this.onWatch(res));
    // The library reconnects the watch at another member; whether etcd is available is for the
    // keepalive round to tell (a member's death must not make etcd look unavailable).
    w.on('disconnected', () => void this.keepAlive());
    w.on('connected', () => void this.keepAlive());
    // etcd cancels a watch whose revision was compacted away: read everything again and go on.
    w.on('error', (err: unknown) => {
      this.log(`etcd: the watch stopped (${this.describe(err)}); reading the prefix again`);
      void this.resync(w);
    });
  }

  private resyncing = false;

  /** The mirror from a fresh read of the whole prefix (keys gone meanwhile are deleted), then a new watch. */
  private async resync(failed: Watcher): Promise<void> {
    if (this.closed || this.resyncing || this.watcher !== failed) return;
    this.resyncing = true;
    try {
      await failed.cancel().catch(() => undefined);
      for (let wait = 250; !this.closed; wait = Math.min(wait * 2, 5_000)) {
        const started = Date.now();
        try {
          const all = await this.client.getAll().prefix(this.prefix).exec();
          const rev = Number(all.header.revision);
          const seen = new Set<string>();
          for (const kv of all.kvs) {
            const key = kv.key.toString('utf8');
            seen.add(key);
            this.applyEntry(key, {
              rev: Number(kv.mod_revision),
              value: kv.value.toString('utf8'),
              create: Number(kv.create_revision),
              lease: String(kv.lease),
            });
          }
          for (const [key, e] of [...this.mirror]) {
            if (e.value !== null && !seen.has(key))
              this.applyEntry(key, { rev, value: null, create: 0, lease: '0' });
          }
          await this.watchFrom(rev + 1);
          return;
        } catch (err) {
          await this.failed(err, started);
          await sleep(wait);
        }
      }
    } finally {
      this.resyncing = false;
    }
  }

  private keeping: Promise<void> | null = null;

  /**
   * One keepalive round: tries member after member (each try bounded) until one renews the lease;
   * only a round that fails at every try makes etcd unavailable. Rounds never overlap.
   */
  private keepAlive(): Promise<void> {
    this.keeping ??= this.keepAliveRound().finally(() => (this.keeping = null));
    return this.keeping;
  }

  private async keepAliveRound(): Promise<void> {
    if (this.closed || this.lost.aborted) return;
    const lease = this.lease;
    const started = Date.now();
    let last: unknown = null;
    for (let attempt = 0; attempt < this.endpoints.length + 2 && !this.closed; attempt++) {
      if (attempt > 0) await sleep(Math.min(100 * attempt, 500));
      try {
        await lease.keepaliveOnce({ deadline: Date.now() + this.timing.tryMs });
        this.answered();
        return;
      } catch (err) {
        if (err instanceof EtcdLeaseInvalidError) {
          if (this.lease === lease) this.declareLost('etcd says the lease expired');
          return;
        }
        last = err;
      }
    }
    if (!this.closed) await this.failed(last, started);
  }

  private declareLost(why: string): void {
    if (this.lost.aborted || this.closed) return;
    const at = nowIso();
    this.log(
      `etcd: this runner's lease is gone (${why}); its tasks stop where they are, and a new lease is taken as soon as etcd answers`,
    );
    this.health = { ...this.health, lease: { ...this.health.lease, lostAt: at, renewedAt: null } };
    this.lostController.abort(new Error(`the runner's etcd lease is gone (${why})`));
    for (const l of this.leaseListeners) l('lost');
    for (const l of this.healthListeners) l(this.getHealth());
    void this.renewLease();
  }

  /**
   * A new lease once etcd answers: the runner serves again. Its former claims stay lost (their
   * keys went with the old lease): those tasks are interrupted, for any jump host to resume.
   */
  private async renewLease(): Promise<void> {
    for (let wait = 250; !this.closed && this.lost.aborted; wait = Math.min(wait * 2, 2_000)) {
      const started = Date.now();
      try {
        await this.grantLease();
        this.lostController = new AbortController();
        const at = nowIso();
        this.health = { ...this.health, lease: { ...this.health.lease, renewedAt: at } };
        await this.register();
        this.answered();
        this.log(
          `etcd: took a new lease at ${at}; this runner serves again (the tasks it held under the old lease are interrupted, for any jump host to resume)`,
        );
        for (const l of this.leaseListeners) l('renewed');
        for (const l of this.healthListeners) l(this.getHealth());
        return;
      } catch (err) {
        if (!this.lost.aborted) return;
        await this.failed(err, started);
        await sleep(wait);
      }
    }
  }

  /** Lease events: 'lost' (claims under it are gone) and 'renewed' (a new lease serves). */
  onLease(fn: (event: 'lost' | 'renewed') => void): () => void {
    this.leaseListeners.add(fn);
    return () => this.leaseListeners.delete(fn);
  }

  /** Counts the answers, so that a failure's verdict does not overrule an answer that came after it. */
  private answers = 0;
  /** Turns failed rounds into an outage: the second in a row, not the first (an election). */
  private readonly judge = new OutageJudge();

  /** A request answered: a quorum is there. */
  private answered(): void {
    this.answers++;
    this.judge.answered();
    if (this.health.available) return;
    this.health = {
      ...this.health,
      available: true,
      condition: 'ok',
      since: null,
      error: null,
      members: null,
    };
    this.log(`etcd at ${this.endpoints.join(', ')} answers again (a quorum)`);
    for (const l of this.healthListeners) l(this.getHealth());
  }

  private probing: Promise<MemberCount> | null = null;

  /**
   * A request (or keepalive round) begun at `startedAt` failed at every member it tried. The second
   * such round in a row makes etcd unavailable (the judge); a probe of each member's own status
   * (answered without the quorum) then tells "unreachable" from "quorum lost".
   */
  private async failed(err: unknown, startedAt: number): Promise<void> {
    const error = this.describe(err);
    const began = this.judge.failed(startedAt, Date.now());
    if (began === null && this.health.available) return;
    const answers = this.answers;
    const members = await (this.probing ??= this.probeMembers().finally(() => (this.probing = null)));
    // A request answered meanwhile: a quorum is there after all.
    if (this.closed || this.answers !== answers) return;
    const condition = conditionFrom(members, error);
    const was = this.health;
    const changed = was.available || was.condition !== condition;
    this.health = {
      ...was,
      available: false,
      condition,
      since: was.available && began !== null ? new Date(began).toISOString() : changed ? nowIso() : was.since,
      error,
      members,
    };
    if (changed) {
      this.log(
        `etcd at ${this.endpoints.join(', ')} ${condition === 'quorum-lost' ? 'has lost its quorum' : 'is unreachable'} ` +
          `(${members.answering} of ${members.total} members answer): ${error}`,
      );
      for (const l of this.healthListeners) l(this.getHealth());
    }
  }

  /** Each member's own status, with a short deadline, from a client of that member alone. */
  private async probeMembers(): Promise<MemberCount> {
    const answers = await Promise.all(
      this.endpoints.map(async (ep) => {
        const one = new Etcd3(this.memberOptions(ep));
        try {
          const st = await one.maintenance.status({ deadline: Date.now() + 1_000 });
          return { leader: st.leader !== '0' };
        } catch {
          return null;
        } finally {
          one.close();
        }
      }),
    );
    const ok = answers.filter((a) => a !== null);
    return { answering: ok.length, total: this.endpoints.length, leader: ok.some((a) => a.leader) };
  }

  /** An error for logs and refusals: redacted, without gRPC's "Resolution note". */
  private describe(err: unknown): string {
    return redact(cleanGrpcMessage(describeError(err ?? 'no member answered')));
  }

  getHealth(): Health {
    return { ...this.health, lease: { ...this.health.lease } };
  }

  onHealth(fn: (h: Health) => void): () => void {
    this.healthListeners.add(fn);
    return () => this.healthListeners.delete(fn);
  }

  /**
   * The refusal of a change while etcd is unavailable, naming it; or, for one request that failed
   * at every member while etcd still counts as available (a single round), that request's failure.
   */
  unavailableError(requestError?: string): EtcdUnavailableError {
    const h = this.health;
    if (h.available && requestError !== undefined)
      return new EtcdUnavailableError(
        `etcd at ${this.endpoints.join(', ')} did not answer this change at any member (${requestError}): it was not made`,
        { target: this.endpoints.join(','), hint: 'try again: a leader election takes about a second' },
      );
    const what = h.condition === 'quorum-lost' ? 'has no quorum' : 'is unreachable';
    const members = h.members ? `, ${h.members.answering} of ${h.members.total} members answer` : '';
    return new EtcdUnavailableError(
      `etcd at ${this.endpoints.join(', ')} ${what}${h.since ? ` since ${h.since}` : ''}${members}: ` +
        `changes are refused until it answers again${h.error ? ` (${h.error})` : ''}`,
      {
        target: this.endpoints.join(','),
        hint: 'reads show the last known state (marked stale); running tasks pause at their next step',
      },
    );
  }

  assertAvailable(): void {
    if (this.lost.aborted)
      throw new OperatorError(
        `this runner's etcd lease expired at ${this.health.lease.lostAt}: changes are refused until it takes a new one, as soon as etcd answers`,
        { hint: 'its tasks were interrupted, for any jump host to resume or roll back' },
      );
    if (!this.health.available) throw this.unavailableError();
  }

  // ---------------------------------------------------------------- the mirror

  key(rel: string): string {
    return this.prefix + rel;
  }

  rel(key: string): string {
    return key.slice(this.prefix.length);
  }

  get(rel: string): MirrorEntry | undefined {
    const e = this.mirror.get(this.key(rel));
    return e && e.value !== null ? e : undefined;
  }

  /** Entries under a relative prefix (live ones only). */
  *entries(relPrefix: string): Iterable<[string, MirrorEntry]> {
    const p = this.key(relPrefix);
    for (const [k, e] of this.mirror) if (e.value !== null && k.startsWith(p)) yield [this.rel(k), e];
  }

  /** Calls `fn` for every change (relative key) under a relative prefix, from the watch or our own writes. */
  subscribe(relPrefix: string, fn: MirrorListener): () => void {
    const entry = { prefix: this.key(relPrefix), fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  private onWatch(res: RPC.IWatchResponse): void {
    for (const ev of res.events ?? []) {
      const key = ev.kv.key.toString('utf8');
      this.applyEntry(key, {
        rev: Number(ev.kv.mod_revision),
        value: ev.type === 'Delete' ? null : ev.kv.value.toString('utf8'),
        create: ev.type === 'Delete' ? 0 : Number(ev.kv.create_revision),
        lease: ev.type === 'Delete' ? '0' : String(ev.kv.lease),
      });
    }
  }

  /** Newer than what the mirror has: stored and announced. */
  private applyEntry(key: string, entry: MirrorEntry): void {
    const prev = this.mirror.get(key);
    if (prev && prev.rev >= entry.rev) return;
    this.mirror.set(key, entry);
    for (const l of this.listeners) {
      if (!key.startsWith(l.prefix)) continue;
      try {
        l.fn(this.rel(key), entry, prev);
      } catch (err) {
        this.log(`etcd: a change of ${this.rel(key)} could not be applied: ${describeError(err)}`);
      }
    }
  }

  /** Reads keys from etcd (not the mirror) and brings the mirror up to them. */
  async refresh(rels: readonly string[]): Promise<void> {
    if (rels.length === 0) return;
    const res = await this.client.kv.txn({
      compare: [],
      success: rels.map((r) => ({ request_range: { key: enc(this.key(r)) } })),
      failure: [],
    });
    const rev = Number(res.header.revision);
    rels.forEach((r, i) => {
      const kv = res.responses[i]?.response_range?.kvs?.[0];
      const key = this.key(r);
      if (kv) {
        this.applyEntry(key, {
          rev: Number(kv.mod_revision),
          value: kv.value.toString('utf8'),
          create: Number(kv.create_revision),
          lease: String(kv.lease),
        });
      } else {
        const had = this.mirror.get(key);
        if (had && had.value !== null) this.applyEntry(key, { rev, value: null, create: 0, lease: '0' });
      }
    });
  }

  // ---------------------------------------------------------------- transactions

  /** `leased`: bound to this runner's lease, or to the lease id given (another runner's). */
  putOp(key: string, value: string, leased: boolean | string = false): RPC.IRequestOp {
    const lease = leased === true ? this.leaseId : leased || undefined;
    return { request_put: { key: enc(key), value: enc(value), ...(lease && { lease }) } };
  }

  deleteOp(key: string): RPC.IRequestOp {
    return { request_delete_range: { key: enc(key) } };
  }

  rangeOp(key: string): RPC.IRequestOp {
    return { request_range: { key: enc(key) } };
  }

  /** The key's create revision equals `rev` (0: the key does not exist). */
  /** The key exists. */
  exists(key: string): RPC.ICompare {
    return { key: enc(key), target: 'Create', result: 'Greater', create_revision: 0 };
  }

  createIs(key: string, rev: number): RPC.ICompare {
    return { key: enc(key), target: 'Create', result: 'Equal', create_revision: rev };
  }

  /** The key's mod revision equals `rev` (0: the key does not exist). */
  modIs(key: string, rev: number): RPC.ICompare {
    return { key: enc(key), target: 'Mod', result: 'Equal', mod_revision: rev };
  }

  valueIs(key: string, value: string): RPC.ICompare {
    return { key: enc(key), target: 'Value', result: 'Equal', value: enc(value) };
  }

  /**
   * One transaction. When it succeeds, the puts and deletes of `success` are applied to the mirror
   * at once (the watch's echo of them is then older and ignored). A call that fails to reach etcd
   * marks it unreachable and rejects with the refusal naming the endpoints.
   */
  async txn(
    compare: RPC.ICompare[],
    success: RPC.IRequestOp[],
    failure: RPC.IRequestOp[] = [],
  ): Promise<RPC.ITxnResponse> {
    if (this.closed) throw new OperatorError('the runner is stopping');
    let res: RPC.ITxnResponse;
    const started = Date.now();
    try {
      res = await this.client.kv.txn({ compare, success, failure });
    } catch (err) {
      if (err instanceof EtcdLeaseInvalidError) {
        this.declareLost('etcd refused a write for an unknown lease');
        throw new OperatorError(`this runner's etcd lease is gone`, { cause: err });
      }
      await this.failed(err, started);
      throw this.unavailableError(this.describe(err));
    }
    this.answered();
    // The failure branch's answers are not this success's: a forced claim's displaced keys are not known.
    if (!res.succeeded && (await this.inEffect(success))) return { ...res, succeeded: true, responses: [] };
    if (res.succeeded) {
      const rev = Number(res.header.revision);
      for (const op of success) {
        if (op.request_put) {
          const key = op.request_put.key!.toString('utf8');
          const prev = this.mirror.get(key);
          this.applyEntry(key, {
            rev,
            value: op.request_put.value!.toString('utf8'),
            create: prev && prev.value !== null ? prev.create : rev,
            lease: op.request_put.lease ? String(op.request_put.lease) : '0',
          });
        } else if (op.request_delete_range) {
          const key = op.request_delete_range.key!.toString('utf8');
          if (this.mirror.get(key)?.value != null)
            this.applyEntry(key, { rev, value: null, create: 0, lease: '0' });
        }
      }
    }
    return res;
  }

  /**
   * Whether every put and delete of a transaction whose compare failed is in effect already, as
   * this runner wrote them (same value, same lease): its own earlier try committed and only the
   * answer was lost (a leader killed mid-call, the library trying again at another member).
   * Then the mirror takes the keys as etcd has them and the write counts as done.
   */
  private async inEffect(success: RPC.IRequestOp[]): Promise<boolean> {
    const keys = writtenKeys(success);
    if (!keys) return false;
    let read: RPC.ITxnResponse;
    try {
      read = await this.client.kv.txn({
        compare: [],
        success: keys.map((k) => this.rangeOp(k)),
        failure: [],
      });
    } catch {
      return false;
    }
    const kvs = keys.map((_, i) => read.responses[i]?.response_range?.kvs?.[0]);
    const held = kvs.map((kv) => kv && { value: kv.value.toString('utf8'), lease: String(kv.lease) });
    if (!writesInEffect(success, held)) return false;
    const rev = Number(read.header.revision);
    keys.forEach((key, i) => {
      const kv = kvs[i];
      if (kv)
        this.applyEntry(key, {
          rev: Number(kv.mod_revision),
          value: kv.value.toString('utf8'),
          create: Number(kv.create_revision),
          lease: String(kv.lease),
        });
      else if (this.mirror.get(key)?.value != null)
        this.applyEntry(key, { rev, value: null, create: 0, lease: '0' });
    });
    this.log(
      `etcd: a write whose answer was lost had committed (${keys.map((k) => this.rel(k)).join(', ')})`,
    );
    return true;
  }

  /** Whether a key bound to a lease is bound to ours. */
  ours(entry: MirrorEntry | undefined): boolean {
    return entry !== undefined && entry.lease === this.leaseId;
  }

  /** Live runners (from the registry), by owner. */
  runners(): { owner: string; host: string; pid: number; startedAt: string }[] {
    const out = [];
    for (const [, e] of this.entries('runners/')) {
      try {
        out.push(JSON.parse(e.value!));
      } catch {
        // not ours
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepTimer) clearTimeout(this.keepTimer);
    const soon = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
    await Promise.race([this.watcher?.cancel().catch(() => undefined), soon(1_000)]);
    // A runner that stops cleanly gives its lease back: its registry entry and claims go at once.
    await Promise.race([this.lease.revoke().catch(() => undefined), soon(2_000)]);
    this.client.close();
  }
}
