import { expect } from 'vitest';

/**
 * What every bad input must end in: one clear message that names the thing to fix, no stack trace,
 * no page of HTML, no secret, and short enough to read at 3 a.m.
 */
export function expectClean(text: string, names: string | RegExp, opts: { secrets?: string[] } = {}): void {
  expect(text).not.toMatch(/\n\s+at /); // no stack trace
  expect(text).not.toMatch(/<html|<body|<!doctype/i);
  expect(text).not.toMatch(/\[object Object\]|undefined is not|Cannot read propert/);
  expect(text.length).toBeLessThan(4000);
  if (typeof names === 'string') expect(text).toContain(names);
  else expect(text).toMatch(names);
  for (const s of opts.secrets ?? []) expect(text).not.toContain(s);
}

/**
 * What a command printed after the plan it showed and its confirmation on the command line
 * (`confirmed by --yes`): its own messages, without the plan's lines.
 */
export function afterPlan(text: string): string {
  const at = text.search(/^confirmed by .*$/m);
  return at < 0 ? text : text.slice(text.indexOf('\n', at) + 1);
}

/** Rejects when `p` takes longer than `ms`: every case is bounded. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms (a hang)`)), ms);
    }),
  ]);
}

/** The campaign's tally, per area (printed by `npm run campaign`'s reporter line). */
export const KEY = 'AbCdEfGhIjKlMnOpQr:StUvWxYzAbCdEfGhIj:KlMnOpQrStUvWxYzAbCdEfGhIjKlMnOp';
