import type { InspectNode, Inspection } from '../src/protocol/doctor.ts';
import { inspectionVerdict } from './inspect-text.ts';
import { ReadingView, seg, type Line, type ReadingFrame, type Segment } from './TroubleLines.tsx';

/**
 * The inspection as lines: the tree machine → bond → NIC → ToR port → VLANs, each value with its
 * expected one (✓ when they match, `actual ≠ expected DRIFT` when not, UNKNOWN when not read), then
 * the drift and the unknowns listed, and how to reconcile.
 */
export function inspectLines(i: Inspection, readOnly: boolean): Line[] {
  const out: Line[] = [];
  const walk = (n: InspectNode, prefix: string, last: boolean, root: boolean) => {
    const line: Segment[] = [];
    if (!root) line.push(seg(`${prefix}${last ? '└─ ' : '├─ '}`, 'dim'));
    const drift = Object.values(n.values).some((v) => v.drift);
    line.push(seg(n.label, drift ? 'fail' : 'plain'));
    for (const [k, v] of Object.entries(n.values)) {
      line.push(seg(`  ${k} `, 'dim'));
      if (v.drift) line.push(seg(`${v.actual} ≠ ${v.expected} DRIFT`, 'fail'));
      else if (v.unknown) line.push(seg(`${v.actual} UNKNOWN`, 'unknown'));
      else line.push(seg(v.actual), seg(' ✓', 'ok'));
    }
    out.push(line);
    const next = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
    n.children.forEach((c, idx) => walk(c, next, idx === n.children.length - 1, false));
  };
  walk(i.tree, '', true, true);
  out.push([]);
  if (i.drift.length === 0) out.push([seg(inspectionVerdict(i), i.unknown.length ? 'unknown' : 'ok')]);
  else {
    out.push([seg(`drift (${i.drift.length})`, 'title')]);
    for (const d of i.drift) out.push([seg('  ✗ ', 'fail'), seg(d)]);
    if (i.unknown.length) out.push([seg(`unknown (${i.unknown.length})`, 'title')]);
  }
  for (const u of i.unknown) out.push([seg('  ? ', 'unknown'), seg(u)]);
  if (i.drift.length > 0) {
    if (i.reconcile && !readOnly)
      out.push([], [seg('R', 'key'), seg(' reconcile: shows the plan, then y starts it as a task', 'dim')]);
    else if (!i.reconcile) out.push([], [seg('nothing a task can reconcile: fix it by hand', 'dim')]);
  }
  return out;
}

export function InspectView({
  hostname,
  inspection,
  readOnly,
  ...frame
}: { hostname: string; inspection: Inspection | null; readOnly: boolean } & ReadingFrame) {
  return (
    <ReadingView
      name={`inspect ${hostname}`}
      readAt={inspection?.readAt ?? null}
      lines={inspection ? inspectLines(inspection, readOnly) : null}
      reading=" · reading…"
      placeholder="reading MaaS and the switches…"
      cadence=" (r reads again)"
      {...frame}
    />
  );
}
