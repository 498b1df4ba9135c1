import type { Cabling, Diagnosis, Inspection, Triage } from '../src/protocol/doctor.ts';
import { DoctorView, doctorLines } from './DoctorView.tsx';
import { InspectView, inspectLines } from './InspectView.tsx';
import { CablingView, cablingLines } from './CablingView.tsx';
import { TriageView, type WindowStart } from './TriageView.tsx';
import type { ReadingFrame } from './TroubleLines.tsx';
import type { Reading, TroubleTarget } from './use-trouble-reading.ts';

/** The reading's lines as its view draws them, for the cursor's range (the triage's cursor is on its rows). */
export function troubleLines(
  target: TroubleTarget,
  data: Reading['data'],
  o: { now: number; readOnly: boolean; width: number },
): number {
  if (!data) return 1;
  if (target.view === 'doctor') return doctorLines(data as Diagnosis, o.now, o.readOnly, o.width).length;
  if (target.view === 'inspect') return inspectLines(data as Inspection, o.readOnly).length;
  if (target.view === 'triage') return 1;
  return cablingLines(data as Cabling).length;
}

/** The doctor, the inspection, the cabling check or the triage, with its reading so far. */
export function TroubleBody({
  target,
  current,
  readOnly,
  rows,
  ...common
}: {
  target: TroubleTarget;
  current: Reading | null;
  readOnly: boolean;
  /** The triage's highlighted row and its window. */
  rows: { selected: number; windowStart: WindowStart };
} & Omit<ReadingFrame, 'error' | 'loading'>) {
  const shown: ReadingFrame = { error: current?.error ?? null, loading: current?.loading ?? true, ...common };
  const data = current?.data ?? null;
  if (target.view === 'doctor')
    return (
      <DoctorView
        hostname={target.name}
        diagnosis={data as Diagnosis | null}
        readOnly={readOnly}
        {...shown}
      />
    );
  if (target.view === 'inspect')
    return (
      <InspectView
        hostname={target.name}
        inspection={data as Inspection | null}
        readOnly={readOnly}
        {...shown}
      />
    );
  if (target.view === 'triage') return <TriageView triage={data as Triage | null} {...rows} {...shown} />;
  return <CablingView rack={target.name} cabling={data as Cabling | null} {...shown} />;
}
