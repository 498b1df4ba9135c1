import { hostname as jumpHostName } from 'node:os';
import type { ConsoleGuard } from '../console/guard.ts';
import type { EtcdSite } from './etcd-site.ts';

/**
 * The console guard of an etcd site: `consoles/<host>` names the runner holding the host's SOL
 * session, bound to that runner's lease, so that a runner that dies frees its consoles with its
 * lease (as its task claims go). Created only when the key does not exist (a transaction), so two
 * jump hosts opening one console at once cannot both win.
 */
interface ConsoleClaimValue {
  owner: string;
  host: string;
  pid: number;
  since: string;
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

  constructor(private readonly site: EtcdSite) {}

  async claim(hostname: string): Promise<string | null> {
    const s = this.site;
    const key = s.key(PREFIX + hostname);
    const value = JSON.stringify({
      owner: s.owner,
      host: jumpHostName(),
      pid: process.pid,
      since: new Date().toISOString(),
    } satisfies ConsoleClaimValue);
    const res = await s.txn([s.createIs(key, 0)], [s.putOp(key, value, true)], [s.rangeOp(key)]);
    if (res.succeeded) {
      this.held.set(hostname, value);
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
    await s.txn([s.valueIs(key, value)], [s.deleteOp(key)]);
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
}
