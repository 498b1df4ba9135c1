/**
 * The console relay's chunks, without I/O. The runner holding a host's SOL session publishes what
 * the console prints as numbered chunks in a ring of RELAY_SLOTS keys (chunk n in slot n mod
 * RELAY_SLOTS), so the other jump hosts read the last RELAY_SLOTS chunks at most and the site's
 * store never holds more than RELAY_SLOTS × RELAY_CHUNK_BYTES of a console.
 */
export const RELAY_SLOTS = 32;
export const RELAY_CHUNK_BYTES = 4096;

/**
 * One published chunk: the holder's session (one per claim), its number in that session, where
 * its bytes start in the session's stream, the bytes. Chunks may overlap (the holder publishes its
 * scrollback's tail again for a new follower): the offset lets a follower take each byte once.
 */
export interface RelayChunk {
  session: string;
  seq: number;
  at: number;
  data: Buffer;
}

/** Where a follower is in the relayed stream: the session and the offset of the next byte it needs. */
export interface RelayPos {
  session: string;
  offset: number;
}

export function slotOf(seq: number): string {
  return String(seq % RELAY_SLOTS).padStart(2, '0');
}

export function encodeChunk(c: RelayChunk): string {
  return JSON.stringify({ s: c.session, n: c.seq, a: c.at, d: c.data.toString('base64') });
}

export function decodeChunk(raw: string): RelayChunk | null {
  try {
    const v = JSON.parse(raw) as { s?: unknown; n?: unknown; a?: unknown; d?: unknown };
    if (
      typeof v.s !== 'string' ||
      typeof v.n !== 'number' ||
      typeof v.a !== 'number' ||
      typeof v.d !== 'string'
    )
      return null;
    return { session: v.s, seq: v.n, at: v.a, data: Buffer.from(v.d, 'base64') };
  } catch {
    return null;
  }
}

/**
 * The bytes a follower has not had yet, from the chunks in the ring now: those of the current
 * session past its offset (all of them when it followed another session or none), in order,
 * each byte once.
 */
export function relayedSince(
  chunks: readonly RelayChunk[],
  session: string | undefined,
  pos: RelayPos | undefined,
): { data: Buffer; pos: RelayPos | undefined } {
  if (session === undefined) return { data: Buffer.alloc(0), pos };
  let offset = pos?.session === session ? pos.offset : -1;
  const out: Buffer[] = [];
  for (const c of chunks.filter((x) => x.session === session).sort((a, b) => a.seq - b.seq)) {
    const end = c.at + c.data.length;
    if (end <= offset) continue;
    out.push(offset > c.at ? c.data.subarray(offset - c.at) : c.data);
    offset = end;
  }
  return { data: Buffer.concat(out), pos: offset < 0 ? pos : { session, offset } };
}

/**
 * What is waiting to be published (its first byte at stream offset `at`), cut in chunks of at most
 * RELAY_CHUNK_BYTES: only the newest RELAY_SLOTS chunks' worth (older ones would be overwritten in
 * the ring before anyone read them).
 */
export function cutChunks(pending: Buffer, at: number): { at: number; data: Buffer }[] {
  const max = RELAY_SLOTS * RELAY_CHUNK_BYTES;
  const skip = Math.max(0, pending.length - max);
  const out: { at: number; data: Buffer }[] = [];
  for (let i = skip; i < pending.length; i += RELAY_CHUNK_BYTES)
    out.push({ at: at + i, data: pending.subarray(i, i + RELAY_CHUNK_BYTES) });
  return out;
}
