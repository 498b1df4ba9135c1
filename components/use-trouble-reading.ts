import { useEffect, useState } from 'react';
import type { Cabling, Diagnosis, Inspection, Triage } from '../src/protocol/doctor.ts';
import type { Task } from '../src/protocol/records.ts';
import { IN_FLIGHT } from '../src/protocol/task-states.ts';
import type { DashboardActions } from './actions.ts';

/** How often the doctor reads the host again while its view is open. */
export const DOCTOR_REFRESH_MS = 5_000;
/** How often the triage reads the site again while its view is open (it reads every host in trouble). */
export const TRIAGE_REFRESH_MS = 30_000;

/** What a troubleshooting view reads: a host's doctor or inspection, a rack's cabling, the site's triage. */
export type TroubleTarget = { view: 'doctor' | 'inspect' | 'cabling' | 'triage'; name: string };
export type TroubleData = Diagnosis | Inspection | Cabling | Triage;
export interface Reading {
  key: string;
  data: TroubleData | null;
  error: string | null;
  loading: boolean;
}

export const targetKey = (t: TroubleTarget | null) => (t ? `${t.view}:${t.name}` : '');
export const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

function read(actions: DashboardActions, t: TroubleTarget): Promise<TroubleData> {
  if (t.view === 'doctor') return actions.doctor(t.name);
  if (t.view === 'inspect') return actions.inspect(t.name);
  if (t.view === 'triage') return actions.triage();
  return actions.cabling(t.name);
}

/**
 * The open target's reading from the runner, while its view is on top: again every 5 s for the
 * doctor (its countdown ticks every second) and every 30 s for the triage, again when asked, and
 * again when a task started from the view has ended, to show what it changed.
 */
export function useTroubleReading(o: {
  target: TroubleTarget | null;
  active: boolean;
  actions: DashboardActions | undefined;
  tasks: readonly Task[] | undefined;
  /** Fixed clock for tests: no ticking. */
  fixedNow: number | undefined;
}) {
  const { target, active, actions } = o;
  const key = targetKey(target);
  const [reading, setReading] = useState<Reading>({ key: '', data: null, error: null, loading: false });
  const [nonce, setNonce] = useState(0);
  const [watch, setWatch] = useState<string | null>(null);
  const [, setTick] = useState(0);

  useEffect(() => {
    if (!active || !target || !actions) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setReading((r) =>
      r.key === key ? { ...r, loading: true } : { key, data: null, error: null, loading: true },
    );
    const again = () => {
      const every =
        target.view === 'doctor' ? DOCTOR_REFRESH_MS : target.view === 'triage' ? TRIAGE_REFRESH_MS : null;
      if (every !== null) timer = setTimeout(() => setNonce((n) => n + 1), every);
    };
    read(actions, target).then(
      (data) => {
        if (!live) return;
        setReading({ key, data, error: null, loading: false });
        again();
      },
      (err: unknown) => {
        if (!live) return;
        setReading((r) => ({
          key,
          data: r.key === key ? r.data : null,
          error: firstLine(err),
          loading: false,
        }));
        again();
      },
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [active, key, nonce, actions]);

  // The countdown ticks every second while the doctor is open.
  useEffect(() => {
    if (!active || target?.view !== 'doctor' || o.fixedNow !== undefined) return;
    const t = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(t);
  }, [active, target?.view, o.fixedNow]);

  // A task started here that has ended: read again to show what it changed.
  const watched = watch ? o.tasks?.find((t) => t.id === watch) : undefined;
  const ended = watched !== undefined && !IN_FLIGHT.has(watched.state);
  useEffect(() => {
    if (!ended) return;
    setWatch(null);
    setNonce((n) => n + 1);
  }, [ended]);

  return {
    /** The reading of the open target; null until its first answer starts. */
    current: reading.key === key ? reading : null,
    again: () => setNonce((n) => n + 1),
    /** Reads again when this task ends. */
    watch: (taskId: string) => setWatch(taskId),
  };
}
