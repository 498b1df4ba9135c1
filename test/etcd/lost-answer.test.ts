import { describe, expect, it } from 'vitest';
import { writesInEffect, writtenKeys } from '../../src/runner/coord/lost-answer.ts';

/**
 * A transaction tried again after its answer was lost: it counts as done only when etcd holds
 * exactly what it wrote (value and lease), its deleted keys gone; never when another wrote there.
 */
const put = (key: string, value: string, lease?: string) => ({
  request_put: { key: Buffer.from(key), value: Buffer.from(value), ...(lease && { lease }) },
});
const del = (key: string) => ({ request_delete_range: { key: Buffer.from(key) } });

describe('a write whose answer was lost', () => {
  it('names the keys of puts and deletes only', () => {
    expect(writtenKeys([put('/p/a', '1'), del('/p/b')])).toEqual(['/p/a', '/p/b']);
    expect(writtenKeys([put('/p/a', '1'), { request_range: { key: Buffer.from('/p/c') } }])).toBeNull();
    expect(writtenKeys([])).toBeNull();
  });

  it('is in effect when etcd holds the same values and leases, and the deleted keys are gone', () => {
    const ops = [put('/p/a', '{"by":"jump-a"}'), put('/p/lock', 't-1', '77'), del('/p/b')];
    expect(
      writesInEffect(ops, [
        { value: '{"by":"jump-a"}', lease: '0' },
        { value: 't-1', lease: '77' },
        undefined,
      ]),
    ).toBe(true);
  });

  it('is not when another runner wrote there, under another lease, or a deleted key is back', () => {
    const ops = [put('/p/a', '{"by":"jump-a"}'), put('/p/lock', 't-1', '77'), del('/p/b')];
    const ours = [{ value: '{"by":"jump-a"}', lease: '0' }, { value: 't-1', lease: '77' }, undefined];
    expect(writesInEffect(ops, [{ value: '{"by":"jump-b"}', lease: '0' }, ...ours.slice(1)])).toBe(false);
    expect(writesInEffect(ops, [ours[0], { value: 't-1', lease: '78' }, undefined])).toBe(false);
    expect(writesInEffect(ops, [ours[0], ours[1], { value: 'x', lease: '0' }])).toBe(false);
    expect(writesInEffect(ops, [undefined, ours[1], undefined])).toBe(false);
  });
});
