import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ArrayAnswerError, JsonArrayReader } from '../../src/gear/maas/json-array.ts';

const Item = z.object({ id: z.string(), n: z.number() });
const read = (chunks: readonly string[]) => {
  const r = new JsonArrayReader(Item);
  for (const c of chunks) r.write(Buffer.from(c));
  return r.end();
};
const failure = (chunks: readonly string[]) => {
  try {
    read(chunks);
  } catch (e) {
    expect(e).toBeInstanceOf(ArrayAnswerError);
    return { kind: (e as ArrayAnswerError).kind, message: (e as ArrayAnswerError).message };
  }
  throw new Error('no error');
};

describe('a JSON array answer read element by element', () => {
  const body = JSON.stringify([
    { id: 'a"b', n: 1, extra: { deep: [1, 2, { x: 'ü 機' }] } },
    { id: 'c\\d', n: -2.5e3, extra: null },
  ]);
  const expected = [
    { id: 'a"b', n: 1 },
    { id: 'c\\d', n: -2500 },
  ];

  it('gives the validated elements (unknown keys dropped), however the bytes are split', () => {
    expect(read([body])).toEqual(expected);
    const bytes = Buffer.from(body);
    for (let cut = 1; cut < bytes.length; cut++) {
      const r = new JsonArrayReader(Item);
      r.write(bytes.subarray(0, cut));
      r.write(bytes.subarray(cut));
      expect(r.end()).toEqual(expected);
    }
    expect(read(['[]'])).toEqual([]);
    expect(read(['[', ']\n', '\n'])).toEqual([]);
  });

  it('names the element and the field of a wrong one', () => {
    expect(failure(['[{"id":"a","n":1},{"id":"b","n":"x"}]'])).toEqual({
      kind: 'invalid',
      message: expect.stringMatching(/^1\.n: /),
    });
  });

  it('tells JSON of the wrong shape from what is not JSON, or not all of it', () => {
    expect(failure(['{"machines":[]}'])).toEqual({ kind: 'invalid', message: '(root): expected an array' });
    expect(failure(['null'])).toEqual({ kind: 'invalid', message: '(root): expected an array' });
    expect(failure(['<!doctype html><html>'])).toMatchObject({ kind: 'not-json' });
    expect(failure(['[{"id":"a","n":1},'])).toMatchObject({
      kind: 'not-json',
      message: 'the answer ends before its JSON does',
    });
    expect(failure([''])).toMatchObject({ kind: 'not-json' });
    expect(failure(['[]', 'x'])).toMatchObject({ kind: 'not-json' });
    expect(failure(['[{"id":"a" "n":1}]'])).toMatchObject({ kind: 'not-json' });
  });
});
