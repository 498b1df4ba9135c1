import { randomBytes } from 'node:crypto';
import { hostname as jumpHostName } from 'node:os';
import type { ConsoleGuard } from '../console/guard.ts';
import type { RelayPos } from '../console/relay-chunks.ts';
import { EtcdConsoleRelay } from './console-relay.ts';
import type { EtcdSite } from './etcd-site.ts';

/**
 * The console guard of an etcd site: `consoles/<host>` names the runner holding the host's SOL
 * session, bound to that runner's lease, so that a runner that dies frees its consoles with its
 * lease (as its task claims go). Created only when the key does not exist (a transaction), so two
 * jump hosts opening one console at once cannot both win. The other jump hosts follow the console
 * through the relay (console-relay.ts); `session` tells one holding of the console from the next.
 */
interface ConsoleClaimValue {
  owner: string;
  host: string;
  pid: number;
  since: string;
  session: string;
}

const PREFIX = 'consoles/';

export function describeHolder(raw: string): string {
  try {
    const v = JSON.parse(raw) as ConsoleClaimValue;
    return `jump host ${v.host} (runner ${v.owner}, since ${v.since})`;
  } catch {
    return 'another jump host';
  }
}

export class EtcdConsoleGuard implements ConsoleGuard {
  /** host → the exact value this runner wrote (release deletes only its own claim). */
  private readonly held = new Map<string, string>();

  private readonly relay: EtcdConsoleRelay;

  constructor(
    private readonly site: EtcdSite,
    log?: (line: string) => void,
  ) {
    this.relay = new EtcdConsoleRelay(site, log);
  }

  async claim(hostname: string): Promise<string | null> {
    const s = this.site;
    const key = s.key(PREFIX + hostname);
    const session = randomBytes(6).toString('hex');
    const value = JSON.stringify({
      owner: s.owner,
      host: jumpHostName(),
      pid: process.pid,
      since: new Date().toISOString(),
      session,
    } satisfies ConsoleClaimValue);
    const res = await s.txn([s.createIs(key, 0)], [s.putOp(key, value, true)], [s.rangeOp(key)]);
    if (res.succeeded) {
      this.held.set(hostname, value);
      this.relay.holding(hostname, key, value, session);
      return null;
    }
    const kv = res.responses[0]?.response_range?.kvs?.[0];
    if (!kv) return 'another jump host';
    const raw = kv.value.toString('utf8');
    const mine = this.held.get(hostname);
    if (mine === raw && s.ours({ rev: 0, value: raw, create: 0, lease: String(kv.lease) })) return null;
    return describeHolder(raw);
  }

  async release(hostname: string): Promise<void> {
    const value = this.held.get(hostname);
    if (value === undefined) return;
    this.held.delete(hostname);
    const s = this.site;
    const key = s.key(PREFIX + hostname);
    const ring = this.relay.releasing(hostname).map((k) => s.deleteOp(k));
    await s.txn([s.valueIs(key, value)], [s.deleteOp(key), ...ring]);
  }

  onFreed(fn: (hostname: string) => void): () => void {
    return this.site.subscribe(PREFIX, (rel, entry) => {
      if (entry.value === null) fn(rel.slice(PREFIX.length));
    });
  }

  onLost(fn: () => void): () => void {
    return this.site.onLease((event) => {
      if (event !== 'lost') return;
      this.held.clear();
      fn();
    });
  }

  publish(hostname: string, data: Buffer): void {
    this.relay.publish(hostname, data);
  }

  follow(hostname: string, on: boolean): void {
    this.relay.follow(hostname, on);
  }

  onRelayed(fn: (hostname: string) => void): () => void {
    return this.relay.onRelayed(fn);
  }

  relayedSince(hostname: string, pos: RelayPos | undefined): { data: Buffer; pos: RelayPos | undefined } {
    return this.relay.relayedSince(hostname, this.sessionOf(hostname), pos);
  }

  close(): void {
    this.relay.close();
  }

  /** The session of the claim standing now on the host's console (none while it is free). */
  private sessionOf(hostname: string): string | undefined {
    const raw = this.site.get(PREFIX + hostname)?.value;
    if (!raw) return undefined;
    try {
      return (JSON.parse(raw) as Partial<ConsoleClaimValue>).session;
    } catch {
      return undefined;
    }
  }
}
