/**
 * The console relay's chunks, without I/O. The runner holding a host's SOL session publishes what
 * the console prints as numbered chunks in a ring of RELAY_SLOTS keys (chunk n in slot n mod
 * RELAY_SLOTS), so the other jump hosts read the last RELAY_SLOTS chunks at most and the site's
 * store never holds more than RELAY_SLOTS × RELAY_CHUNK_BYTES of a console.
 */
export const RELAY_SLOTS = 32;
export const RELAY_CHUNK_BYTES = 4096;

/** One published chunk: the holder's session (one per claim), its number in that session, the bytes. */
export interface RelayChunk {
  session: string;
  seq: number;
  data: Buffer;
}

/** Where a follower is in the relayed stream. */
export interface RelayPos {
  session: string;
  seq: number;
}

export function slotOf(seq: number): string {
  return String(seq % RELAY_SLOTS).padStart(2, '0');
}

export function encodeChunk(c: RelayChunk): string {
  return JSON.stringify({ s: c.session, n: c.seq, d: c.data.toString('base64') });
}

export function decodeChunk(raw: string): RelayChunk | null {
  try {
    const v = JSON.parse(raw) as { s?: unknown; n?: unknown; d?: unknown };
    if (typeof v.s !== 'string' || typeof v.n !== 'number' || typeof v.d !== 'string') return null;
    return { session: v.s, seq: v.n, data: Buffer.from(v.d, 'base64') };
  } catch {
    return null;
  }
}

/**
 * The bytes a follower has not had yet, from the chunks in the ring now: those of the current
 * session after its position (all of them when it followed another session or none), in order.
 */
export function relayedSince(
  chunks: readonly RelayChunk[],
  session: string | undefined,
  pos: RelayPos | undefined,
): { data: Buffer; pos: RelayPos | undefined } {
  if (session === undefined) return { data: Buffer.alloc(0), pos };
  const after = pos?.session === session ? pos.seq : -1;
  const fresh = chunks.filter((c) => c.session === session && c.seq > after).sort((a, b) => a.seq - b.seq);
  if (fresh.length === 0)
    return { data: Buffer.alloc(0), pos: pos?.session === session ? pos : { session, seq: after } };
  return { data: Buffer.concat(fresh.map((c) => c.data)), pos: { session, seq: fresh.at(-1)!.seq } };
}

/**
 * What is waiting to be published, cut in chunks of at most RELAY_CHUNK_BYTES: only the newest
 * RELAY_SLOTS chunks' worth (older ones would be overwritten in the ring before anyone read them).
 */
export function cutChunks(pending: Buffer): Buffer[] {
  const max = RELAY_SLOTS * RELAY_CHUNK_BYTES;
  const data = pending.length > max ? pending.subarray(pending.length - max) : pending;
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += RELAY_CHUNK_BYTES) out.push(data.subarray(i, i + RELAY_CHUNK_BYTES));
  return out;
}
