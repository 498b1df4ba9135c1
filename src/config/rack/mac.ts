/**
 * MAC addresses as the rack file, MaaS and switch tables write them, reduced to one form
 * (`00:18:8b:52:79:80`) so a MaaS interface, a rack entry and a MAC table row compare equal.
 */
const COLON_OR_DASH =
  /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;
// Cisco writes MACs as three dotted groups of four.
const DOTTED = /^([0-9a-f]{4})\.([0-9a-f]{4})\.([0-9a-f]{4})$/i;
const BARE = /^[0-9a-f]{12}$/i;

/** The lower-case colon form, or undefined when the text is not a MAC address. */
const CANONICAL = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;

export function normaliseMac(text: string): string | undefined {
  // Most MACs (MaaS's, the lab's) are already canonical: skip the general parse.
  if (CANONICAL.test(text)) return text;
  const s = text.trim();
  let hex: string | undefined;
  const c = COLON_OR_DASH.exec(s);
  if (c) hex = [c[1], c[3], c[4], c[5], c[6], c[7]].join('');
  else {
    const d = DOTTED.exec(s);
    if (d) hex = d[1]! + d[2]! + d[3]!;
    else if (BARE.test(s)) hex = s;
  }
  if (hex === undefined) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}:${h.slice(10, 12)}`;
}

/**
 * Why a well-formed MAC cannot be a NIC's address at all, or undefined when it can. Only the
 * all-zero and broadcast addresses are refused: MaaS records interfaces whose MAC has the
 * multicast bit set (its own API examples hold several), so the rack file must be able to name them.
 */
export function unusableMacReason(mac: string): string | undefined {
  if (mac === '00:00:00:00:00:00') return 'the all-zero address is not a NIC address';
  if (mac === 'ff:ff:ff:ff:ff:ff') return 'the broadcast address is not a NIC address';
  return undefined;
}

/**
 * A warning for a MAC with the group (multicast) bit set: a NIC does not normally send from one,
 * so it is often a typo, but MaaS reports such MACs (virtual NICs, badly programmed firmware).
 */
export function multicastMacWarning(mac: string): string | undefined {
  return parseInt(mac.slice(0, 2), 16) & 1
    ? `${mac} has the multicast bit set (first octet odd): unusual for a NIC; check it against what MaaS reports`
    : undefined;
}
