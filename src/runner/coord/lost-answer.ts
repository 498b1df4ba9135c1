import type * as RPC from 'etcd3/lib/rpc.js';

/**
 * A transaction whose answer was lost (its member killed mid-call) is tried again by the etcd3
 * library at another member; when the first try had committed, the second fails its compare on
 * the runner's own write. These tell that case apart: the keys a transaction writes, and whether
 * what etcd holds now is exactly what it wrote (same value, same lease; deleted keys gone). Pure.
 */

/** The keys a transaction's puts and deletes write, or null when it does anything else too. */
export function writtenKeys(success: readonly RPC.IRequestOp[]): string[] | null {
  if (success.length === 0) return null;
  const keys: string[] = [];
  for (const op of success) {
    const w = op.request_put ?? op.request_delete_range;
    if (!w?.key) return null;
    keys.push(Buffer.from(w.key).toString('utf8'));
  }
  return keys;
}

export interface HeldKey {
  value: string;
  lease: string;
}

/** Whether every write of `success` is in effect, given what etcd holds at its keys (in order). */
export function writesInEffect(
  success: readonly RPC.IRequestOp[],
  held: readonly (HeldKey | undefined)[],
): boolean {
  return success.every((op, i) => {
    const kv = held[i];
    if (op.request_delete_range) return kv === undefined;
    const put = op.request_put;
    if (!put?.value || kv === undefined) return false;
    return kv.value === Buffer.from(put.value).toString('utf8') && kv.lease === String(put.lease ?? '0');
  });
}
