import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Etcd3, EtcdLeaseInvalidError, type IOptions, type Lease, type Watcher } from 'etcd3';
import type * as RPC from 'etcd3/lib/rpc.js';
import type { EtcdSettings } from '../config/config.ts';
import { OperatorError, describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';

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
 * The lease is only declared lost when etcd says so (a keepalive answered with TTL 0, or a write
 * refused for an unknown lease): while etcd is unreachable the runner pauses its writes instead,
 * and after an etcd restart the lease is still there (etcd renews every lease on a new leader).
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

export interface Health {
  available: boolean;
  /** Since when etcd has been unreachable (ISO), when it is. */
  since: string | null;
  error: string | null;
}

export class EtcdUnavailableError extends OperatorError {}

const enc = (s: string) => Buffer.from(s, 'utf8');

export class EtcdSite {
  readonly owner: string;
  readonly prefix: string;
  readonly endpoints: readonly string[];
  readonly client: Etcd3;
  readonly ttlSeconds: number;
  /** Aborts when etcd says the lease is gone: every claim of this runner is lost. */
  readonly lost: AbortSignal;
  private readonly lostController = new AbortController();
  private lease!: Lease;
  private leaseId = '';
  private watcher: Watcher | null = null;
  private keepTimer: NodeJS.Timeout | null = null;
  private readonly mirror = new Map<string, MirrorEntry>();
  private readonly listeners = new Set<{ prefix: string; fn: MirrorListener }>();
  private health: Health = { available: true, since: null, error: null };
  private readonly healthListeners = new Set<(h: Health) => void>();
  private closed = false;

  private constructor(
    settings: EtcdSettings,
    readonly log: (line: string) => void,
  ) {
    this.prefix = settings.prefix;
    this.endpoints = settings.endpoints;
    this.ttlSeconds = settings.ttlSeconds;
    this.owner = `${hostname()}/pid-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.lost = this.lostController.signal;
    const opts: IOptions = {
      hosts: [...settings.endpoints],
      dialTimeout: settings.timeoutMs ?? 5_000,
      // Unary calls must not hang while etcd is away (RACKPILOT_ETCD_TIMEOUT); the watch and
      // keepalive streams are long-lived.
      defaultCallOptions: (ctx) =>
        ctx.isStream ? {} : { deadline: Date.now() + (settings.timeoutMs ?? 5_000) },
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
  }

  /** Connects, takes a lease, loads every key under the prefix, watches it and registers the runner. */
  static async open(
    settings: EtcdSettings,
    log: (line: string) => void = () => undefined,
  ): Promise<EtcdSite> {
    const site = new EtcdSite(settings, log);
    try {
      await site.start();
    } catch (err) {
      site.client.close();
      throw new OperatorError(`cannot use etcd at ${settings.endpoints.join(', ')}: ${describeError(err)}`, {
        hint: `check RACKPILOT_ETCD and that etcd runs (\`etcdctl endpoint health\`); each request may take ${Math.round((settings.timeoutMs ?? 5_000) / 1000)} s (RACKPILOT_ETCD_TIMEOUT)`,
      });
    }
    return site;
  }

  private async start(): Promise<void> {
    this.lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: false });
    this.lease.on('lost', (err) => this.declareLost(describeError(err)));
    this.leaseId = await this.lease.grant();
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
    await this.txn(
      [],
      [
        this.putOp(
          this.key(`runners/${this.owner}`),
          JSON.stringify({
            owner: this.owner,
            host: hostname(),
            pid: process.pid,
            startedAt: new Date().toISOString(),
          }),
          true,
        ),
      ],
    );
    const every = Math.max(200, Math.floor((this.ttlSeconds * 1000) / 3));
    this.keepTimer = setInterval(() => void this.keepAlive(), every);
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
    w.on('disconnected', (err: unknown) => this.setHealth(false, describeError(err)));
    w.on('connected', () => void this.keepAlive());
    // etcd cancels a watch whose revision was compacted away: read everything again and go on.
    w.on('error', (err: unknown) => {
      this.log(`etcd: the watch stopped (${describeError(err)}); reading the prefix again`);
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
          this.setHealth(false, describeError(err));
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    } finally {
      this.resyncing = false;
    }
  }

  private async keepAlive(): Promise<void> {
    if (this.closed || this.lost.aborted) return;
    try {
      await this.lease.keepaliveOnce();
      this.setHealth(true, null);
    } catch (err) {
      if (err instanceof EtcdLeaseInvalidError) this.declareLost('etcd says the lease expired');
      else this.setHealth(false, describeError(err));
    }
  }

  private declareLost(why: string): void {
    if (this.lost.aborted || this.closed) return;
    this.log(`etcd: this runner's lease is gone (${why}); its tasks stop where they are`);
    this.lostController.abort(new Error(`the runner's etcd lease is gone (${why})`));
  }

  private setHealth(available: boolean, error: string | null): void {
    if (available === this.health.available) {
      if (!available) this.health.error = error;
      return;
    }
    this.health = available
      ? { available: true, since: null, error: null }
      : { available: false, since: new Date().toISOString(), error };
    this.log(
      available
        ? `etcd at ${this.endpoints.join(', ')} is reachable again`
        : `etcd at ${this.endpoints.join(', ')} is unreachable: ${redact(error ?? '')}`,
    );
    for (const l of this.healthListeners) l(this.health);
  }

  getHealth(): Health {
    return { ...this.health };
  }

  onHealth(fn: (h: Health) => void): () => void {
    this.healthListeners.add(fn);
    return () => this.healthListeners.delete(fn);
  }

  /** The refusal of a change while etcd is unreachable, naming it. */
  unavailableError(): EtcdUnavailableError {
    return new EtcdUnavailableError(
      `etcd at ${this.endpoints.join(', ')} is unreachable${this.health.since ? ` since ${this.health.since}` : ''}: ` +
        `changes are refused until it answers again${this.health.error ? ` (${this.health.error})` : ''}`,
      {
        target: this.endpoints.join(','),
        hint: 'reads show the last known state (marked stale); running tasks pause at their next step',
      },
    );
  }

  assertAvailable(): void {
    if (this.lost.aborted)
      throw new OperatorError(`this runner lost its etcd lease; restart it (\`rackpilot runner stop\`)`, {
        hint: 'its tasks were taken over by the other jump hosts',
      });
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
    try {
      res = await this.client.kv.txn({ compare, success, failure });
    } catch (err) {
      if (err instanceof EtcdLeaseInvalidError) {
        this.declareLost('etcd refused a write for an unknown lease');
        throw new OperatorError(`this runner's etcd lease is gone`, { cause: err });
      }
      this.setHealth(false, describeError(err));
      throw this.unavailableError();
    }
    this.setHealth(true, null);
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
    if (this.keepTimer) clearInterval(this.keepTimer);
    const soon = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
    await Promise.race([this.watcher?.cancel().catch(() => undefined), soon(1_000)]);
    // A runner that stops cleanly gives its lease back: its registry entry and claims go at once.
    await Promise.race([this.lease.revoke().catch(() => undefined), soon(2_000)]);
    this.client.close();
  }
}
