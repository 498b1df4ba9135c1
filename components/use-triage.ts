import { useState } from 'react';
import type { Triage } from '../src/protocol/doctor.ts';
import type { Task } from '../src/protocol/records.ts';
import type { DashboardActions } from './actions.ts';
import type { View } from './keys.ts';
import { triageRoom } from './TriageView.tsx';
import { useTroubleReading, type TroubleTarget } from './use-trouble-reading.ts';

export const TRIAGE: TroubleTarget = { view: 'triage', name: 'site' };

/**
 * The triage's own reading, kept apart from the host's or rack's: the doctor opened from one of its
 * rows reads beside it, and esc comes back to the list as it was (read again at once). Its rows are
 * what its cursor moves over, by hostname.
 */
export function useTriage(o: {
  view: View;
  actions: DashboardActions | undefined;
  tasks: readonly Task[] | undefined;
  fixedNow: number | undefined;
  width: number;
  height: number;
}) {
  const [opened, setOpened] = useState(false);
  const reading = useTroubleReading({
    target: opened ? TRIAGE : null,
    active: opened && o.view === 'triage',
    actions: o.actions,
    tasks: o.tasks,
    fixedNow: o.fixedNow,
  });
  const data = o.view === 'triage' ? ((reading.current?.data ?? null) as Triage | null) : null;
  return {
    /** Shown in the triage view once opened. */
    target: opened ? TRIAGE : null,
    reading,
    /** Opens it, or reads it again if it was open. */
    open() {
      if (opened) reading.again();
      setOpened(true);
    },
    /** Its rows by hostname and a page of them (the rows on screen); null elsewhere and until read. */
    rows: (v: View): { keys: readonly string[]; page: number } | null =>
      v === 'triage' && data
        ? {
            keys: data.rows.map((r) => r.hostname),
            page: triageRoom(data, { height: o.height, error: (reading.current?.error ?? null) !== null }),
          }
        : null,
  };
}
