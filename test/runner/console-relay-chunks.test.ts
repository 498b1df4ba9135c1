import { describe, expect, it } from 'vitest';
import {
  RELAY_CHUNK_BYTES,
  RELAY_SLOTS,
  cutChunks,
  decodeChunk,
  encodeChunk,
  relayedSince,
  slotOf,
  type RelayChunk,
} from '../../src/runner/console/relay-chunks.ts';

/** The console relay's ring of chunks: what a follower gets, in order, once, bounded. */
const chunk = (session: string, seq: number, text: string): RelayChunk => ({
  session,
  seq,
  data: Buffer.from(text),
});

describe('the console relay chunks', () => {
  it('round-trips a chunk and refuses what is not one', () => {
    const c = chunk('s1', 7, 'login: \x1b[0m');
    expect(decodeChunk(encodeChunk(c))).toEqual(c);
    expect(decodeChunk('{"s":"x"}')).toBeNull();
    expect(decodeChunk('not json')).toBeNull();
    expect(slotOf(0)).toBe('00');
    expect(slotOf(RELAY_SLOTS + 3)).toBe('03');
  });

  it("gives a follower the current session's chunks after its position, in order, each once", () => {
    // A ring that wrapped: slot order is not chunk order; a stale chunk of another session is ignored.
    const ring = [chunk('s1', 33, 'c'), chunk('s1', 31, 'a'), chunk('s1', 32, 'b'), chunk('s0', 40, 'old')];
    const first = relayedSince(ring, 's1', undefined);
    expect(first.data.toString()).toBe('abc');
    expect(first.pos).toEqual({ session: 's1', seq: 33 });
    expect(relayedSince(ring, 's1', first.pos).data.length).toBe(0);
    const more = relayedSince([...ring, chunk('s1', 34, 'd')], 's1', first.pos);
    expect(more.data.toString()).toBe('d');
    // A new holder (a new session): everything it published, from its start.
    expect(relayedSince([chunk('s2', 0, 'x')], 's2', more.pos).data.toString()).toBe('x');
    // The console is free: nothing.
    expect(relayedSince(ring, undefined, first.pos).data.length).toBe(0);
  });

  it('cuts a batch in chunks, keeping only what the ring can hold (the newest)', () => {
    expect(cutChunks(Buffer.alloc(0))).toEqual([]);
    const two = cutChunks(Buffer.alloc(RELAY_CHUNK_BYTES + 1, 1));
    expect(two.map((b) => b.length)).toEqual([RELAY_CHUNK_BYTES, 1]);
    const huge = Buffer.concat([Buffer.alloc(10, 0), Buffer.alloc(RELAY_SLOTS * RELAY_CHUNK_BYTES, 2)]);
    const cut = cutChunks(huge);
    expect(cut.length).toBe(RELAY_SLOTS);
    expect(cut.every((b) => b.every((x) => x === 2))).toBe(true);
  });
});
