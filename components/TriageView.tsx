import type { Triage } from '../src/protocol/doctor.ts';
import { leftText, renderTriage } from './doctor-text.ts';
import { ReadingView, seg, type Line, type ReadingFrame } from './TroubleLines.tsx';

/**
 * The morning triage as lines: the CLI's `doctor --all` table, each row coloured by its urgency
 * (stuck and still running, failed or broken, progressing) and its time left before MaaS's timeout.
 */
export function triageLines(t: Triage, width?: number): Line[] {
  const text = renderTriage(t, width);
  const out: Line[] = [[seg(text[0]!, 'dim')]];
  if (t.rows.length === 0)
    return [...out, [], [seg('nothing in trouble: no host is stuck, failing or failed', 'ok')]];
  out.push([], [seg(text[1]!, 'dim')]);
  t.rows.forEach((r, i) => {
    const tone = r.urgency === 0 ? 'fail' : r.urgency === 1 ? 'unknown' : 'ok';
    const overdue = leftText(r.remainingS) === 'overdue';
    out.push([seg(text[i + 2]!, overdue ? 'fail' : tone)]);
  });
  for (const l of text.slice(t.rows.length + 2)) out.push([seg(l, 'fail')]);
  out.push([], [seg('D on a host (esc, then / to find it) opens its doctor', 'dim')]);
  return out;
}

export function TriageView({ triage, ...frame }: { triage: Triage | null } & ReadingFrame) {
  return (
    <ReadingView
      name="triage"
      readAt={triage?.readAt ?? null}
      lines={triage ? triageLines(triage, frame.width) : null}
      reading=" · reading every host in trouble…"
      placeholder="reading MaaS's machines in a transitional or failed state and their events…"
      cadence=" (every 30 s; r reads again)"
      {...frame}
    />
  );
}
