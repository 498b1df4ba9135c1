import { useEffect, useRef, useState } from 'react';
import type { Cabling, Diagnosis, Inspection } from '../src/protocol/doctor.ts';
import type { Task } from '../src/protocol/records.ts';
import { IN_FLIGHT } from '../src/protocol/task-states.ts';
import type { DashboardActions, TaskRef } from './actions.ts';
import { askPlanned } from './confirm-plan.ts';
import type { Dialog } from './Dialogs.tsx';
import type { FooterMessage } from './Footer.tsx';
import type { View } from './keys.ts';
import { DoctorView, doctorLines } from './DoctorView.tsx';
import { InspectView, inspectLines } from './InspectView.tsx';
import { CablingView, cablingLines } from './CablingView.tsx';
import { TriageView, triageLines } from './TriageView.tsx';
import type { Triage } from '../src/protocol/doctor.ts';

/** How often the doctor reads the host again while its view is open. */
export const DOCTOR_REFRESH_MS = 5_000;
/** How often the triage reads the site again while its view is open (it reads every host in trouble). */
export const TRIAGE_REFRESH_MS = 30_000;

type Target = { view: 'doctor' | 'inspect' | 'cabling' | 'triage'; name: string };
type Data = Diagnosis | Inspection | Cabling | Triage;
interface Reading {
  key: string;
  data: Data | null;
  error: string | null;
  loading: boolean;
}

const keyOf = (t: Target | null) => (t ? `${t.view}:${t.name}` : '');
const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/**
 * The doctor, the inspection and the cabling check: which host or rack is open, its reading from
 * the runner (the doctor's again every 5 s while open, and after a task it started ends), and the
 * fix and reconcile keys, each confirmed in a dialog, then started as a task without waiting.
 */
export function useTroubleshoot(o: {
  actions: DashboardActions | undefined;
  view: View;
  open: (v: View) => void;
  tasks: readonly Task[] | undefined;
  say: (m: FooterMessage) => void;
  openDialog: (d: Dialog) => void;
  readOnly: boolean;
  /** Fixed clock for tests. */
  fixedNow: number | undefined;
  height: number;
  width: number;
  /** Puts a view's cursor back to its first line: each reading opens at its top. */
  top: (v: View) => void;
}) {
  const { actions, view } = o;
  const [target, setTarget] = useState<Target | null>(null);
  const [reading, setReading] = useState<Reading>({ key: '', data: null, error: null, loading: false });
  const [nonce, setNonce] = useState(0);
  const [watch, setWatch] = useState<string | null>(null);
  const [, setTick] = useState(0);
  const key = keyOf(target);
  const active = target !== null && view === target.view;

  useEffect(() => {
    if (!active || !target || !actions) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setReading((r) =>
      r.key === key ? { ...r, loading: true } : { key, data: null, error: null, loading: true },
    );
    const read: Promise<Data> =
      target.view === 'doctor'
        ? actions.doctor(target.name)
        : target.view === 'inspect'
          ? actions.inspect(target.name)
          : target.view === 'triage'
            ? actions.triage()
            : actions.cabling(target.name);
    const again = () => {
      const every =
        target.view === 'doctor' ? DOCTOR_REFRESH_MS : target.view === 'triage' ? TRIAGE_REFRESH_MS : null;
      if (every !== null) timer = setTimeout(() => setNonce((n) => n + 1), every);
    };
    read.then(
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
          error: message(err),
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

  const targetRef = useRef(target);
  targetRef.current = target;
  const openTarget = (t: Target, what: string) => {
    if (!actions)
      return o.say({
        tone: 'error',
        text: `${what}: not connected to the site runner, so nothing can be read`,
      });
    if (keyOf(targetRef.current) === keyOf(t)) setNonce((n) => n + 1);
    targetRef.current = t;
    setTarget(t);
    // The scroll position of the last host's reading would hide this one's cause line.
    o.top(t.view);
    o.open(t.view);
  };
  const start = (what: string, name: string, call: () => Promise<TaskRef>) => {
    o.say({ tone: 'pending', text: `${what} ${name}: requested…` });
    Promise.resolve()
      .then(call)
      .then(
        (ref) => {
          o.say({ tone: 'info', text: `${what} ${name} → task ${ref.taskId}` });
          setWatch(ref.taskId);
        },
        (err: unknown) => o.say({ tone: 'error', text: `${what} ${name} refused: ${message(err)}` }),
      );
  };
  const current = reading.key === key ? reading : null;
  const noHost = () => o.say({ tone: 'error', text: 'no host selected' });

  const handlers: Record<string, (key?: string) => void> = {
    fix: (k) => {
      const d = target?.view === 'doctor' ? (current?.data as Diagnosis | null) : null;
      const f = d?.fixes[Number(k) - 1];
      if (!actions || !d || !f)
        return o.say({
          tone: 'error',
          text: d ? `no fix ${k}: the doctor proposes ${d.fixes.length}` : 'no reading yet',
        });
      const req = {
        action: 'fix',
        host: d.hostname,
        fix: f.id,
        ...(f.taskId && { taskId: f.taskId }),
      } as const;
      askPlanned(
        o,
        `fix ${f.id}`,
        [{ name: d.hostname, req }],
        ([c]) => start(`fix ${f.id}`, d.hostname, () => actions.runAction(req, c!.plan.digest)),
        f.first ? `first, by hand: ${f.first}` : undefined,
      );
    },
    reconcile: () => {
      const i = target?.view === 'inspect' ? (current?.data as Inspection | null) : null;
      if (!actions || !i) return o.say({ tone: 'error', text: 'no reading yet' });
      if (!i.reconcile || i.drift.length === 0)
        return o.say({ tone: 'error', text: `${i.hostname}: no drift a task can reconcile` });
      const req = { action: 'reconcile', host: i.hostname } as const;
      askPlanned(o, 'reconcile', [{ name: i.hostname, req }], ([c]) =>
        start('reconcile', i.hostname, () => actions.runAction(req, c!.plan.digest)),
      );
    },
  };

  const lines = (fixed: number) => {
    if (!target || !current?.data) return 1;
    if (target.view === 'doctor')
      return doctorLines(current.data as Diagnosis, fixed, o.readOnly, o.width).length;
    if (target.view === 'inspect') return inspectLines(current.data as Inspection, o.readOnly).length;
    if (target.view === 'triage') return triageLines(current.data as Triage).length;
    return cablingLines(current.data as Cabling).length;
  };
  const now = () => o.fixedNow ?? Date.now();

  return {
    /** The keys' handlers, for the selected host and the rack at hand (the racks view's, or the tab's). */
    handlers: (
      /** Read when the key is handled: a burst of keys may have moved the cursor since the render. */
      rowNow: () => { hostname: string; rack: string | null } | undefined,
      rack: string | undefined,
    ): Record<string, (key?: string) => void> => ({
      ...handlers,
      doctor: () => {
        const row = rowNow();
        return row ? openTarget({ view: 'doctor', name: row.hostname }, 'doctor') : noHost();
      },
      inspect: () => {
        const row = rowNow();
        return row ? openTarget({ view: 'inspect', name: row.hostname }, 'inspect') : noHost();
      },
      cabling: () => {
        const name = rack ?? rowNow()?.rack;
        if (name) return openTarget({ view: 'cabling', name }, 'cabling');
        o.say({ tone: 'error', text: 'cabling: pick a rack first (:racks, or ←→ on the hosts)' });
      },
      triage: () => openTarget({ view: 'triage', name: 'site' }, 'triage'),
    }),
    /** `r` in a troubleshooting view reads it again. */
    reread: () => {
      if (active) setNonce((n) => n + 1);
    },
    /** Cursor positions in the view: one per first line shown, so the last screenful stays full. */
    length: (v: View): number | null =>
      active && v === target.view ? Math.max(1, lines(now()) - Math.max(1, o.height - 2) + 1) : null,
    body: (v: View, p: { offset: number; width: number }) => {
      if (!target || v !== target.view) return null;
      const common = {
        error: current?.error ?? null,
        loading: current?.loading ?? true,
        now: now(),
        offset: p.offset,
        width: p.width,
        height: o.height,
      };
      if (target.view === 'doctor')
        return (
          <DoctorView
            hostname={target.name}
            diagnosis={(current?.data as Diagnosis | null) ?? null}
            readOnly={o.readOnly}
            {...common}
          />
        );
      if (target.view === 'inspect')
        return (
          <InspectView
            hostname={target.name}
            inspection={(current?.data as Inspection | null) ?? null}
            readOnly={o.readOnly}
            {...common}
          />
        );
      if (target.view === 'triage')
        return <TriageView triage={(current?.data as Triage | null) ?? null} {...common} />;
      return (
        <CablingView rack={target.name} cabling={(current?.data as Cabling | null) ?? null} {...common} />
      );
    },
  };
}
