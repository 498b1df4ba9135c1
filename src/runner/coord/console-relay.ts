import { hostname as jumpHostName } from 'node:os';
import { describeError } from '../../util/errors.ts';
import { ConsoleRing } from '../console/ring.ts';
import {
  RELAY_CHUNK_BYTES,
  RELAY_SLOTS,
  cutChunks,
  decodeChunk,
  encodeChunk,
  relayedSince,
  slotOf,
  type RelayChunk,
  type RelayPos,
} from '../console/relay-chunks.ts';
import type { EtcdSite } from './etcd-site.ts';

/**
 * The console relay through etcd: the runner holding a host's SOL session publishes what the
 * console prints while another jump host follows it, so that jump host's viewers watch it
 * read-only. Keys under the site's prefix:
 *
 *   console-watch/<host>/<owner>   a runner follows the console (bound to its lease)
 *   console-out/<host>/<slot>      the holder's chunks, a ring of RELAY_SLOTS (bound to its lease)
 *
 * Writes happen only while someone follows: a console nobody elsewhere watches costs etcd nothing.
 * When a first follower comes, the holder publishes the tail of its scrollback, so the follower's
 * view opens on what the console showed, then batches the live output every RELAY_BATCH_MS (or
 * sooner, a full chunk). Releasing the claim deletes the ring; a lost lease takes it along.
 */
export const RELAY_BATCH_MS = 150;
const TAIL_BYTES = 8 * 1024;
const WATCH = 'console-watch/';
const OUT = 'console-out/';

interface Held {
  claimKey: string;
  claimValue: string;
  session: string;
  seq: number;
  tail: ConsoleRing;
  pending: Buffer[];
  /** The stream offset of the first pending byte. */
  pendingAt: number;
  timer?: NodeJS.Timeout;
  followed: boolean;
  failing: boolean;
}

export class EtcdConsoleRelay {
  private readonly held = new Map<string, Held>();
  private readonly following = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly site: EtcdSite,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.offs.push(
      site.subscribe(WATCH, (rel) => this.followersChanged(rel.slice(WATCH.length).split('/')[0]!)),
      // Follows went with an ended lease: they are taken again under the new one.
      site.onLease((event) => {
        if (event === 'renewed') for (const host of this.following) void this.putFollow(host);
        else for (const h of this.held.values()) clearTimeout(h.timer);
        if (event === 'lost') this.held.clear();
      }),
    );
  }

  /** This runner now holds the host's console (its claim's key and value, and the session's id). */
  holding(hostname: string, claimKey: string, claimValue: string, session: string): void {
    this.held.set(hostname, {
      claimKey,
      claimValue,
      session,
      seq: 0,
      tail: new ConsoleRing(TAIL_BYTES),
      pending: [],
      pendingAt: 0,
      followed: false,
      failing: false,
    });
    this.followersChanged(hostname);
  }

  /** The delete operations of the host's ring, for the transaction that releases its claim. */
  releasing(hostname: string): string[] {
    const h = this.held.get(hostname);
    this.held.delete(hostname);
    if (!h) return [];
    clearTimeout(h.timer);
    const slots = Math.min(h.seq, RELAY_SLOTS);
    return Array.from({ length: slots }, (_, i) => this.site.key(`${OUT}${hostname}/${slotOf(i)}`));
  }

  publish(hostname: string, data: Buffer): void {
    const h = this.held.get(hostname);
    if (!h || data.length === 0) return;
    if (h.followed && h.pending.length === 0) h.pendingAt = h.tail.total;
    h.tail.append(data);
    if (!h.followed) return;
    h.pending.push(data);
    if (h.pending.reduce((n, b) => n + b.length, 0) >= RELAY_CHUNK_BYTES) this.flushSoon(hostname, h, 0);
    else this.flushSoon(hostname, h, RELAY_BATCH_MS);
  }

  follow(hostname: string, on: boolean): void {
    if (on === this.following.has(hostname)) return;
    if (on) {
      this.following.add(hostname);
      void this.putFollow(hostname);
    } else {
      this.following.delete(hostname);
      const key = this.site.key(`${WATCH}${hostname}/${this.site.owner}`);
      void this.site.txn([], [this.site.deleteOp(key)]).catch(() => undefined); // else it goes with the lease
    }
  }

  onRelayed(fn: (hostname: string) => void): () => void {
    return this.site.subscribe(OUT, (rel, entry) => {
      if (entry.value !== null) fn(rel.slice(OUT.length).split('/')[0]!);
    });
  }

  /** The bytes relayed after `pos`, from the ring of the session that holds the console now. */
  relayedSince(hostname: string, session: string | undefined, pos: RelayPos | undefined) {
    const chunks: RelayChunk[] = [];
    for (const [, e] of this.site.entries(`${OUT}${hostname}/`)) {
      const c = e.value === null ? null : decodeChunk(e.value);
      if (c) chunks.push(c);
    }
    return relayedSince(chunks, session, pos);
  }

  close(): void {
    for (const off of this.offs) off();
    for (const h of this.held.values()) clearTimeout(h.timer);
  }

  private async putFollow(hostname: string): Promise<void> {
    const s = this.site;
    const value = JSON.stringify({ owner: s.owner, host: jumpHostName(), since: new Date().toISOString() });
    await s.txn([], [s.putOp(s.key(`${WATCH}${hostname}/${s.owner}`), value, true)]).catch((err) => {
      this.log(`console of ${hostname}: cannot follow it through etcd (${describeError(err)})`);
    });
  }

  /** Someone began or stopped following a console: the holder starts (with its tail) or stops publishing. */
  private followersChanged(hostname: string): void {
    const h = this.held.get(hostname);
    if (!h) return;
    let followed = false;
    for (const [rel] of this.site.entries(`${WATCH}${hostname}/`))
      if (!rel.endsWith(`/${this.site.owner}`)) followed = true;
    if (followed === h.followed) return;
    h.followed = followed;
    if (followed) {
      // The tail again, even if an earlier follower had it: the offsets let each take a byte once.
      h.pending = [h.tail.contents()];
      h.pendingAt = h.tail.total - h.tail.length;
      this.flushSoon(hostname, h, 0);
    } else {
      h.pending = [];
    }
  }

  private flushSoon(hostname: string, h: Held, ms: number): void {
    if (h.timer && ms > 0) return;
    clearTimeout(h.timer);
    h.timer = setTimeout(() => {
      h.timer = undefined;
      this.chain = this.chain.then(() => this.flush(hostname, h));
    }, ms);
    h.timer.unref();
  }

  /** One transaction per batch, only while this runner's claim stands (else the batch is dropped). */
  private async flush(hostname: string, h: Held): Promise<void> {
    const chunks = cutChunks(Buffer.concat(h.pending), h.pendingAt);
    h.pending = [];
    if (chunks.length === 0 || this.held.get(hostname) !== h) return;
    const s = this.site;
    const puts = chunks.map(({ at, data }) => {
      const chunk = { session: h.session, seq: h.seq++, at, data };
      return s.putOp(s.key(`${OUT}${hostname}/${slotOf(chunk.seq)}`), encodeChunk(chunk), true);
    });
    try {
      await s.txn([s.valueIs(h.claimKey, h.claimValue)], puts);
      h.failing = false;
    } catch (err) {
      if (!h.failing) this.log(`console of ${hostname}: its output is not relayed (${describeError(err)})`);
      h.failing = true;
    }
  }
}
