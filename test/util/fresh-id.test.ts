import { describe, expect, it } from 'vitest';
import { freshId } from '../../src/util/fresh-id.ts';

describe('freshId', () => {
  it('draws again while a live record has the id', () => {
    const draws = ['aabbccdd', 'aabbccdd', '01020304'].map((h) => Buffer.from(h, 'hex'));
    let calls = 0;
    const taken = new Set(['inst-aabbccdd']);
    const id = freshId(
      'inst',
      (x) => taken.has(x),
      () => draws[calls++]!,
    );
    expect(id).toBe('inst-01020304');
    expect(calls).toBe(3);
  });

  it('takes the first draw when nothing has it', () => {
    expect(
      freshId(
        't',
        () => false,
        () => Buffer.from('0000beef', 'hex'),
      ),
    ).toBe('t-0000beef');
  });

  it('is the prefix and 32 random bits in hex by default', () => {
    for (let n = 0; n < 50; n++) expect(freshId('i', () => false)).toMatch(/^i-[0-9a-f]{8}$/);
  });
});
