/** `['racks', 0, 'hosts', 3, 'mac']` → `racks[0].hosts[3].mac`; the root is `$`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else
      out += `[${JSON.stringify(String(seg)).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))}]`;
  }
  return out || '$';
}

/**
 * Orders paths as a reader scans the file: by their list indices (`racks[2]` before `racks[10]`,
 * a rack before its hosts). Paths with the same indices compare equal, so a stable sort keeps
 * the order in which their problems were found.
 */
export function comparePaths(a: string, b: string): number {
  const ia = [...a.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  const ib = [...b.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  for (let i = 0; i < Math.min(ia.length, ib.length); i++) {
    if (ia[i] !== ib[i]) return ia[i]! - ib[i]!;
  }
  return ia.length - ib.length;
}
