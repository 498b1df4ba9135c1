import { quote } from './quote.ts';

/** 802.1Q usable VLAN ids: 0 and 4095 are reserved by the standard. */
export const VLAN_MIN = 1;
export const VLAN_MAX = 4094;

export interface VlanRange {
  from: number;
  to: number;
}

export function isVlanId(n: number): boolean {
  return Number.isInteger(n) && n >= VLAN_MIN && n <= VLAN_MAX;
}

/**
 * `"100-199,300"` → ranges, in the syntax switch CLIs use for allowed-VLAN lists.
 * Returns a message naming the first bad item instead when the text is not such a list.
 */
export function parseVlanList(
  text: string,
): { ok: true; ranges: VlanRange[] } | { ok: false; message: string } {
  const items = text.split(',').map((s) => s.trim());
  const ranges: VlanRange[] = [];
  const example = 'e.g. "100-199,300"';
  if (text.trim() === '') return { ok: false, message: `empty VLAN list (${example})` };
  for (const item of items) {
    const m = /^(\d{1,4})(?:\s*-\s*(\d{1,4}))?$/.exec(item);
    if (!m) return { ok: false, message: `${quote(item)} is not a VLAN id or range (${example})` };
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (!isVlanId(from) || !isVlanId(to)) {
      return { ok: false, message: `${quote(item)}: VLAN ids go from ${VLAN_MIN} to ${VLAN_MAX}` };
    }
    if (to < from) return { ok: false, message: `${quote(item)}: range goes backwards` };
    ranges.push({ from, to });
  }
  return { ok: true, ranges };
}

export function vlanInRanges(ranges: readonly VlanRange[], vlan: number): boolean {
  return ranges.some((r) => vlan >= r.from && vlan <= r.to);
}
