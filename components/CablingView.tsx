import type { Cabling } from '../src/protocol/doctor.ts';
import { ReadingView, seg, type Line, type ReadingFrame } from './TroubleLines.tsx';

/** The cabling check as lines: each switch's MAC table, then one row per rack-file NIC. */
export function cablingLines(c: Cabling): Line[] {
  const out: Line[] = [];
  for (const s of c.switches)
    out.push(
      s.error
        ? [seg(`${s.name}: `), seg(`MAC table not read: ${s.error}`, 'fail')]
        : [seg(`${s.name}: `), seg(`MAC table read once, ${s.entries} entries`, 'dim')],
    );
  const w = Math.max(4, ...c.nics.map((n) => (n.hostname ?? '-').length));
  out.push([], [seg(`${'HOST'.padEnd(w)}  MAC                PORT      RESULT`, 'dim')]);
  for (const n of c.nics) {
    const result =
      n.state === 'ok'
        ? seg(`ok${n.vlan !== null ? ` (VLAN ${n.vlan})` : ''}`, 'ok')
        : n.state === 'other-port'
          ? seg(`on another port: ${n.switch} ${n.seenOn} (miscabled)`, 'fail')
          : n.state === 'not-seen'
            ? seg('not seen (off, link down or unplugged)', 'unknown')
            : seg('switch not read', 'dim');
    out.push([seg(`${(n.hostname ?? '-').padEnd(w)}  ${n.mac}  ${n.port.padEnd(8)}  `), result]);
  }
  const count = (s: string) => c.nics.filter((n) => n.state === s).length;
  out.push(
    [],
    [
      seg(`${count('ok')} ok`, 'ok'),
      seg(' · '),
      seg(`${count('other-port')} on another port`, count('other-port') ? 'fail' : 'plain'),
      seg(' · '),
      seg(`${count('not-seen')} not seen`, count('not-seen') ? 'unknown' : 'plain'),
      seg(` · ${count('error')} not read`),
    ],
  );
  return out;
}

export function CablingView({
  rack,
  cabling,
  ...frame
}: { rack: string; cabling: Cabling | null } & ReadingFrame) {
  return (
    <ReadingView
      name={`cabling ${rack}`}
      readAt={cabling?.readAt ?? null}
      lines={cabling ? cablingLines(cabling) : null}
      reading=" · reading the MAC tables…"
      placeholder="reading each switch MAC table…"
      cadence=" (r reads again)"
      {...frame}
    />
  );
}
