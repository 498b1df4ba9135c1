import type { Cabling, Inspection, InspectNode } from '../src/protocol/doctor.ts';

/**
 * The summary line: drift when any value differs; otherwise "no drift" only when every value was
 * read. A port that could not be read is unknown, and says so, never "no drift".
 */
export function inspectionVerdict(i: Pick<Inspection, 'drift' | 'unknown'>): string {
  if (i.drift.length > 0) return `drift (${i.drift.length}):`;
  if (i.unknown.length > 0)
    return `unknown (${i.unknown.length}): no drift in what was read, but not everything could be read:`;
  return 'no drift: MaaS and the switches match the rack file and the store';
}

/** `inspect`'s exit code, as its summary: 1 drift, 3 unknown (something not read), 0 all read and matching. */
export function inspectionExitCode(i: Pick<Inspection, 'drift' | 'unknown'>): number {
  return i.drift.length > 0 ? 1 : i.unknown.length > 0 ? 3 : 0;
}

/** Text for the CLI and the README: the tree with expected values beside the actual ones. */
export function renderInspection(i: Omit<Inspection, 'plan'> & { plan?: Inspection['plan'] }): string[] {
  const out: string[] = [];
  const walk = (n: InspectNode, prefix: string, last: boolean, root: boolean) => {
    const head = root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
    const vals = Object.entries(n.values)
      .map(([k, v]) =>
        v.drift
          ? `${k} ${v.actual} ≠ ${v.expected}  DRIFT`
          : v.unknown
            ? `${k} ${v.actual}  UNKNOWN`
            : `${k} ${v.actual}`,
      )
      .join(' · ');
    out.push(`${head}${n.label}${vals ? `  [${vals}]` : ''}`);
    const next = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
    n.children.forEach((c, idx) => walk(c, next, idx === n.children.length - 1, false));
  };
  walk(i.tree, '', true, true);
  out.push('');
  out.push(inspectionVerdict(i));
  for (const d of i.drift) out.push(`  - ${d}`);
  if (i.drift.length > 0 && i.unknown.length > 0) out.push(`unknown (${i.unknown.length}):`);
  for (const u of i.unknown) out.push(`  ? ${u}`);
  if (i.plan?.length) {
    out.push('', 'reconcile plan (`--reconcile` runs it as a task):');
    for (const s of i.plan) {
      out.push(`  ${s.step}`);
      for (const a of s.actions) out.push(`    ${a}`);
    }
  }
  return out;
}

export function renderCabling(c: Cabling): string[] {
  const out: string[] = [];
  for (const s of c.switches)
    out.push(
      `${s.name}: ${s.error ? `MAC table not read: ${s.error}` : `MAC table read once, ${s.entries} entries`}`,
    );
  out.push('');
  const w = Math.max(4, ...c.nics.map((n) => (n.hostname ?? '-').length));
  out.push(`${'HOST'.padEnd(w)}  MAC                PORT      RESULT`);
  for (const n of c.nics) {
    const result =
      n.state === 'ok'
        ? `ok (VLAN ${n.vlan})`
        : n.state === 'other-port'
          ? `MISCABLED: seen on ${n.switch} ${n.seenOn}`
          : n.state === 'not-seen'
            ? 'not seen (off, link down or unplugged)'
            : 'switch not read';
    out.push(`${(n.hostname ?? '-').padEnd(w)}  ${n.mac}  ${n.port.padEnd(8)}  ${result}`);
  }
  const counts = ['ok', 'other-port', 'not-seen', 'error'].map(
    (s) => c.nics.filter((n) => n.state === s).length,
  );
  out.push(
    '',
    `${counts[0]} ok · ${counts[1]} on another port · ${counts[2]} not seen · ${counts[3]} not read`,
  );
  return out;
}
