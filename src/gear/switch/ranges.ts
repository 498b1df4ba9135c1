import { MAX_VLAN, MIN_VLAN, ValidationError } from './validate.ts';

/**
 * `100-103,200` → [100,101,102,103,200]. Throws on anything else. The ranges are merged before
 * they are expanded: a trunk allowing all (`1-4094`, read on every port check) costs one pass,
 * not a set and a sort of 4,094 numbers.
 */
export function parseVlanList(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === '' || /^none$/i.test(trimmed)) return [];
  const ranges: [number, number][] = [];
  for (const part of trimmed.split(',')) {
    const m = /^\s*(\d{1,4})(?:\s*-\s*(\d{1,4}))?\s*$/.exec(part);
    if (!m) throw new ValidationError(`bad VLAN list ${JSON.stringify(text)}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a < MIN_VLAN || b > MAX_VLAN || b < a)
      throw new ValidationError(`bad VLAN range ${JSON.stringify(part)}`);
    ranges.push([a, b]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  for (const [a, b] of ranges) {
    const last = out.length > 0 ? out[out.length - 1]! : MIN_VLAN - 1;
    for (let v = Math.max(a, last + 1); v <= b; v++) out.push(v);
  }
  return out;
}

/** [100,101,102,200] → `100-102,200`. */
export function formatVlanList(vlans: Iterable<number>): string {
  const sorted = [...new Set(vlans)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * Port lists as switches print them in `show vlan`: `1/1/2-4,8` (range on the last component,
 * Dell OS9) or `1/1/3-1/1/48` (full range, Dell OS10). Returns the numeric port names.
 */
export function expandPortNumbers(spec: string): string[] {
  const out: string[] = [];
  const items = spec.split(',').map((s) => s.trim());
  let prefix: string | undefined; // `1/1/` of the last full port, for bare `8` items
  for (const item of items) {
    if (item === '') continue;
    const m = /^((?:\d+\/)*)(\d+)(?:-((?:\d+\/)*)(\d+))?$/.exec(item);
    if (!m) throw new Error(`cannot parse port list item ${JSON.stringify(item)}`);
    const head = m[1] !== '' ? m[1]! : (prefix ?? '');
    if (m[1] !== '') prefix = m[1];
    const from = Number(m[2]);
    const to = m[4] === undefined ? from : Number(m[4]);
    for (let n = from; n <= to; n++) out.push(`${head}${n}`);
  }
  return out;
}

/** Inverse of expandPortNumbers for one interface type, in the OS9 style `1/1/2-4,8`. */
export function compressPortNumbers(ports: string[]): string[] {
  // Group by everything but the last component, keep numeric order.
  const groups = new Map<string, number[]>();
  for (const p of ports) {
    const i = p.lastIndexOf('/');
    const head = p.slice(0, i + 1);
    const n = Number(p.slice(i + 1));
    if (!groups.has(head)) groups.set(head, []);
    groups.get(head)!.push(n);
  }
  const out: string[] = [];
  for (const [head, nums] of [...groups].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    const r = formatVlanList(nums).split(',');
    out.push(head + r.join(','));
  }
  return out;
}
