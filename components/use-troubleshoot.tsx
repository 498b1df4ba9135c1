import { useRef, useState } from 'react';
import type { Diagnosis, Inspection } from '../src/protocol/doctor.ts';
import type { Task } from '../src/protocol/records.ts';
import type { DashboardActions, TaskRef } from './actions.ts';
import { askPlanned } from './confirm-plan.ts';
import type { Dialog } from './dialog.ts';
import type { FooterMessage } from './Footer.tsx';
import type { KeyHandlers, TroubleActionId, View } from './keys.ts';
import { TroubleBody, troubleLines } from './TroubleBody.tsx';
import type { WindowStart } from './TriageView.tsx';
import { TRIAGE, useTriage } from './use-triage.ts';
import { firstLine, targetKey, useTroubleReading, type TroubleTarget } from './use-trouble-reading.ts';

export { DOCTOR_REFRESH_MS, TRIAGE_REFRESH_MS } from './use-trouble-reading.ts';

interface TroubleOptions {
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
}

/**
 * The doctor, the inspection, the cabling check and the triage: which host or rack is open, its
 * reading (useTroubleReading), the keys that open them, and the fix and reconcile keys, each
 * confirmed in a dialog, then started as a task without waiting.
 */
export function useTroubleshoot(o: TroubleOptions) {
  const [target, setTarget] = useState<TroubleTarget | null>(null);
  const common = { actions: o.actions, tasks: o.tasks, fixedNow: o.fixedNow };
  const reading = useTroubleReading({ target, active: target !== null && o.view === target.view, ...common });
  const triage = useTriage({ ...common, view: o.view, width: o.width, height: o.height });
  /** The target shown in a view, and its reading. */
  const shownIn = (v: View) =>
    v === 'triage'
      ? triage.target && { target: triage.target, reading: triage.reading }
      : target && v === target.view
        ? { target, reading }
        : null;
  const targetRef = useRef(target);
  targetRef.current = target;
  const openTarget = (t: TroubleTarget, what: string) => {
    if (!o.actions)
      return o.say({
        tone: 'error',
        text: `${what}: not connected to the site runner, so nothing can be read`,
      });
    if (t.view === 'triage') triage.open();
    else {
      if (targetKey(targetRef.current) === targetKey(t)) reading.again();
      targetRef.current = t;
      setTarget(t);
    }
    // The scroll position of the last host's reading would hide this one's cause line.
    o.top(t.view);
    o.open(t.view);
  };
  const now = () => o.fixedNow ?? Date.now();
  const keys = readingKeys(o, target, reading);
  const doctorOf = (hostname: string | undefined) => {
    if (hostname) return openTarget({ view: 'doctor', name: hostname }, 'doctor');
    o.say({ tone: 'error', text: o.view === 'triage' ? 'no host in the triage' : 'no host selected' });
  };

  return {
    /** The keys' handlers, for the selected host and the rack at hand (the racks view's, or the tab's). */
    handlers: (
      /** Read when the key is handled: a burst of keys may have moved the cursor since the render. */
      rowNow: () => { hostname: string; rack: string | null } | undefined,
      rack: string | undefined,
    ): KeyHandlers<TroubleActionId> => {
      const doctor = () => doctorOf(rowNow()?.hostname);
      return {
        doctor,
        // Enter in the triage is D.
        triageDoctor: doctor,
        inspect: () => {
          const row = rowNow();
          if (row) return openTarget({ view: 'inspect', name: row.hostname }, 'inspect');
          o.say({ tone: 'error', text: 'no host selected' });
        },
        cabling: () => {
          const name = rack ?? rowNow()?.rack;
          if (name) return openTarget({ view: 'cabling', name }, 'cabling');
          o.say({ tone: 'error', text: 'cabling: pick a rack first (:racks, or ←→ on the hosts)' });
        },
        triage: () => openTarget(TRIAGE, 'triage'),
        fix: keys.fix,
        reconcile: keys.reconcile,
      };
    },
    /** The host the doctor or the inspection on screen reads (not always the host list's selection). */
    hostIn: (v: View): string | undefined =>
      target && v === target.view && target.view !== 'cabling' ? target.name : undefined,
    /** `r` in a troubleshooting view reads it again. */
    reread: () => shownIn(o.view)?.reading.again(),
    /** The triage's rows, by hostname: its cursor is on a host, not a line. */
    rows: triage.rows,
    /** Cursor positions in the view: one per first line shown, so the last screenful stays full. */
    length: (v: View): number | null => {
      const shown = shownIn(v);
      if (!shown || o.view !== v) return null;
      const lines = troubleLines(shown.target, shown.reading.current?.data ?? null, { ...o, now: now() });
      return Math.max(1, lines - Math.max(1, o.height - 2) + 1);
    },
    body: (
      v: View,
      p: { offset: number; width: number; rows: { selected: number; windowStart: WindowStart } },
    ) => {
      const shown = shownIn(v);
      return shown ? (
        <TroubleBody
          {...{ target: shown.target, current: shown.reading.current, readOnly: o.readOnly }}
          {...{ now: now(), height: o.height }}
          {...p}
        />
      ) : null;
    },
  };
}

/** The keys that act on the reading on screen: the doctor's fixes, the inspection's reconcile. */
function readingKeys(
  o: TroubleOptions,
  target: TroubleTarget | null,
  reading: ReturnType<typeof useTroubleReading>,
) {
  const { actions } = o;
  const data = reading.current?.data ?? null;
  const start = (what: string, name: string, call: () => Promise<TaskRef>) => {
    o.say({ tone: 'pending', text: `${what} ${name}: requested…` });
    Promise.resolve()
      .then(call)
      .then(
        (ref) => {
          o.say({ tone: 'info', text: `${what} ${name} → task ${ref.taskId}` });
          reading.watch(ref.taskId);
        },
        (err: unknown) => o.say({ tone: 'error', text: `${what} ${name} refused: ${firstLine(err)}` }),
      );
  };
  return {
    fix: (k?: string) => {
      const d = target?.view === 'doctor' ? (data as Diagnosis | null) : null;
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
      const i = target?.view === 'inspect' ? (data as Inspection | null) : null;
      if (!actions || !i) return o.say({ tone: 'error', text: 'no reading yet' });
      if (!i.reconcile || i.drift.length === 0)
        return o.say({ tone: 'error', text: `${i.hostname}: no drift a task can reconcile` });
      const req = { action: 'reconcile', host: i.hostname } as const;
      askPlanned(o, 'reconcile', [{ name: i.hostname, req }], ([c]) =>
        start('reconcile', i.hostname, () => actions.runAction(req, c!.plan.digest)),
      );
    },
  };
}
