import { describe, expect, it } from 'vitest';
import { DIALECT_MODULES } from '../../src/gear/switch/dialects/index.ts';
import { expectClean } from './clean.ts';

/**
 * Switch output a parser may meet: garbage, truncated tables, an unknown prompt, an error line.
 * Each parser returns what it could read or throws one clear error — never a TypeError.
 */
const GARBAGE: [string, string][] = [
  ['empty', ''],
  ['binary', '\u0000\u0001\u0002\u00ff'],
  ['an unknown prompt', 'Router> \r\nRouter> '],
  ['an error line', '% Error: Invalid input detected at "^" marker.'],
  [
    'a truncated table',
    'VLAN Name                             Status    Ports\n---- -------------------------------- --------- ----\n10   pxe                              act',
  ],
  ['a pager prompt', ' --More-- '],
  ['ANSI escapes', '\u001b[2J\u001b[1;1Hswitch# '],
  ['10,000 lines of x', 'x\n'.repeat(10_000)],
];

const CASES = Object.values(DIALECT_MODULES).flatMap((d) =>
  (['parsePort', 'parseVlans', 'parseMac'] as const).flatMap((fn) =>
    GARBAGE.map(([label, text]) => [`${d.name} ${fn}: ${label}`, d, fn, text] as const),
  ),
);

describe('switch output parsers on bad output', () => {
  it.each(CASES)('%s', (_l, d, fn, text) => {
    let result: unknown;
    try {
      result = d[fn](text);
    } catch (err) {
      expect(err).not.toBeInstanceOf(TypeError);
      expect(err).not.toBeInstanceOf(RangeError);
      expectClean(String((err as Error).message), /\w/);
      return;
    }
    if (fn !== 'parsePort') expect(Array.isArray(result)).toBe(true);
  });
});

export const SWITCH_CASES = CASES.length;
