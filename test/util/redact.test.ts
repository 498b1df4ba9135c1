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
});
