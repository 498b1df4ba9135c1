import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecretsForTest, redact, registerSecret } from '../../src/util/redact.ts';

afterEach(() => clearSecretsForTest());

describe('redact', () => {
  it('masks every occurrence, the longest secret first, and the percent-encoded form', () => {
    registerSecret('hunter22');
    registerSecret('hunter22extra');
    registerSecret('p@ss word');
    expect(redact('a hunter22extra b hunter22 c')).toBe('a *** b *** c');
    expect(redact('key=p%40ss%20word&x=p@ss word')).toBe('key=***&x=***');
    expect(redact('nothing here')).toBe('nothing here');
  });

  it('masks overlapping secrets whole: nothing of either leaks', () => {
    registerSecret('abcd');
    registerSecret('cdefgh');
    expect(redact('xxabcdefghyy')).toBe('xx***yy');
  });

  it('ignores secrets shorter than four characters', () => {
    registerSecret('abc');
    expect(redact('abc abc')).toBe('abc abc');
  });

  it('finds a secret among 10,000 registered ones (one BMC password per host)', () => {
    for (let i = 0; i < 10_000; i++) registerSecret(`bmc-pass-${i.toString(36).padStart(6, '0')}`);
    const lines = Array.from({ length: 10_000 }, (_, i) => `r${i} Deployed power on 1/1/${i % 48}`);
    for (const l of lines) expect(redact(l)).toBe(l);
    expect(redact(`x bmc-pass-${(42).toString(36).padStart(6, '0')} y`)).toBe('x *** y');
  });

  it('leaves no registered secret in any text, whatever its characters (those past one byte too)', () => {
    // U+0161 and U+0361 end in the byte of 'a', U+0162 in that of 'b': the scan's numbers take one
    // byte of each character, so these share them; a surrogate pair (U+1F512) is two characters.
    const char = fc.constantFrom(
      'a',
      'b',
      'c',
      '\u0161',
      '\u0361',
      '\u0162',
      '1',
      ' ',
      '=',
      '%',
      '\u{1F512}',
    );
    const word = (min: number, max: number) =>
      fc.array(char, { minLength: min, maxLength: max }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(
        fc.array(word(4, 9), { minLength: 1, maxLength: 6 }),
        fc.array(word(0, 12), { maxLength: 8 }),
        (found, filler) => {
          clearSecretsForTest();
          for (const s of found) registerSecret(s);
          const text = filler.map((f, i) => `${f}${found[i % found.length]}`).join('') + found.join('|');
          const out = redact(text);
          for (const s of found) expect(out.includes(s)).toBe(false);
          // A text holding none of them (nor their percent-encoded forms) comes back as it was.
          const other = filler.join('');
          const forms = found.flatMap((s) => [s, encodeURIComponent(s)]);
          if (!forms.some((s) => other.includes(s))) expect(redact(other)).toBe(other);
        },
      ),
      { numRuns: 500 },
    );
  });
});
