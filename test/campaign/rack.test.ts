import { describe, expect, it } from 'vitest';
import { parseRackFile } from '../../src/config/rack/parse.ts';
import { expectClean } from './clean.ts';

import { base, MUTATIONS, TEXTS } from './bad-racks.ts';

/** Rack files: each mistake is reported with its JSON path, never a throw. */
describe('bad rack files name the JSON path', () => {
  it.each(MUTATIONS.map(([l, m, p]) => [l, m, p] as const))('%s', (_l, mutate, path) => {
    const r = base();
    mutate(r);
    const res = parseRackFile(JSON.stringify(r), { source: 'rack.json' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    const text = res.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
    expectClean(text, path);
  });

  it.each(TEXTS)('%s', (_l, text) => {
    const res = parseRackFile(text, { source: 'rack.json' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expectClean(res.errors.map((e) => `${e.path}: ${e.message}`).join('\n'), /\$|racks/);
  });
});

export const RACK_CASES = MUTATIONS.length + TEXTS.length;
