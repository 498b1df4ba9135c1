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

/** The console relay's ring of chunks: what a follower gets, in order, each byte once, bounded. */
const chunk = (session: string, seq: number, at: number, text: string): RelayChunk => ({
  session,
  seq,
  at,
  data: Buffer.from(text),
});

describe('the console relay chunks', () => {
  it('round-trips a chunk and refuses what is not one', () => {
    const c = chunk('s1', 7, 120, 'login: \x1b[0m');
    expect(decodeChunk(encodeChunk(c))).toEqual(c);
    expect(decodeChunk('{"s":"x","n":1,"d":""}')).toBeNull();
    expect(decodeChunk('not json')).toBeNull();
    expect(slotOf(0)).toBe('00');
    expect(slotOf(RELAY_SLOTS + 3)).toBe('03');
  });

  it("gives a follower the current session's bytes past its offset, in order, each once", () => {
    // A ring that wrapped: slot order is not chunk order; a stale chunk of another session is ignored.
    const ring = [
      chunk('s1', 33, 2, 'c'),
      chunk('s1', 31, 0, 'a'),
      chunk('s1', 32, 1, 'b'),
      chunk('s0', 40, 0, 'old'),
    ];
    const first = relayedSince(ring, 's1', undefined);
    expect(first.data.toString()).toBe('abc');
    expect(first.pos).toEqual({ session: 's1', offset: 3 });
    expect(relayedSince(ring, 's1', first.pos).data.length).toBe(0);
    // The holder publishes its tail again for a new follower: the bytes this one has are not repeated.
    const again = relayedSince([...ring, chunk('s1', 34, 1, 'bcde')], 's1', first.pos);
    expect(again.data.toString()).toBe('de');
    expect(again.pos).toEqual({ session: 's1', offset: 5 });
    // A new holder (a new session): everything it published, from its start.
    expect(relayedSince([chunk('s2', 0, 0, 'x')], 's2', again.pos).data.toString()).toBe('x');
    // The console is free: nothing.
    expect(relayedSince(ring, undefined, first.pos).data.length).toBe(0);
  });

  it('cuts a batch in chunks with their offsets, keeping only what the ring can hold (the newest)', () => {
    expect(cutChunks(Buffer.alloc(0), 0)).toEqual([]);
    const two = cutChunks(Buffer.alloc(RELAY_CHUNK_BYTES + 1, 1), 100);
    expect(two.map((c) => [c.at, c.data.length])).toEqual([
      [100, RELAY_CHUNK_BYTES],
      [100 + RELAY_CHUNK_BYTES, 1],
    ]);
    const huge = Buffer.concat([Buffer.alloc(10, 0), Buffer.alloc(RELAY_SLOTS * RELAY_CHUNK_BYTES, 2)]);
    const cut = cutChunks(huge, 0);
    expect(cut.length).toBe(RELAY_SLOTS);
    expect(cut[0]!.at).toBe(10);
    expect(cut.every((c) => c.data.every((x) => x === 2))).toBe(true);
  });
});
