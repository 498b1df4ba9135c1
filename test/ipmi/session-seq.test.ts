import { describe, expect, it } from 'vitest';
import { acceptSessionSeq } from '../../src/gear/ipmi/session.ts';

describe("the BMC's session sequence numbers", () => {
  it('takes each number once: newer ones, and late ones within the window behind the highest', () => {
    const s = { inHighest: 0, inSeen: 0 };
    expect([1, 2, 3].map((n) => acceptSessionSeq(s, n))).toEqual([true, true, true]);
    expect(acceptSessionSeq(s, 2)).toBe(false); // a replay
    expect(acceptSessionSeq(s, 10)).toBe(true);
    expect(acceptSessionSeq(s, 5)).toBe(true); // late, never seen, inside the window
    expect(acceptSessionSeq(s, 5)).toBe(false);
    expect(acceptSessionSeq(s, 40)).toBe(true);
    expect(acceptSessionSeq(s, 10)).toBe(false); // 30 behind: outside the window
    expect(acceptSessionSeq(s, 0)).toBe(false); // 0 is never a session sequence number
  });
});
