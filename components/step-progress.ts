import type { MaasProgress, StepRecord } from '../src/protocol/records.ts';
import type { StepProgress } from '../state/runner-task-feed.ts';
import { progressBar, taskProgress } from './task-panes.ts';

/**
 * The running step of a task as the operator reads it, the same facts in the dashboard's task pane
 * and in a CLI command following the task: which step of how many, how long it has run, MaaS's own
 * progress (status, status message, latest event) and a bar over the task's steps.
 */
export interface RunningStep {
  /** 1-based, as shown: "7/13". */
  number: number;
  count: number;
  title: string;
  /** Since the step started; null when the journal has no start time for it. */
  elapsedMs: number | null;
  /** The task's fraction: finished steps plus the running step's own share. */
  fraction: number;
  /** "MaaS Disk erasing: Erasing disks · latest event", when the step waits on MaaS. */
  maas?: string;
  /** The stage's typical duration at this site, when a history knows it. */
  estimateMs?: number;
}

type StepsOf = { steps: readonly Pick<StepRecord, 'title' | 'state' | 'startedAt'>[] };

/** The running step's facts, or null when no step runs. */
export function runningStep(t: StepsOf, live: StepProgress | undefined, now: number): RunningStep | null {
  const i = t.steps.findIndex((s) => s.state === 'running');
  const step = t.steps[i];
  if (!step) return null;
  const p = taskProgress(t, live);
  const mine = live && live.index === i ? live : undefined;
  return {
    number: i + 1,
    count: t.steps.length,
    title: step.title,
    elapsedMs: step.startedAt ? Math.max(0, now - Date.parse(step.startedAt)) : null,
    fraction: p.fraction,
    ...(mine?.maas && { maas: maasProgressText(mine.maas) }),
    ...(mine?.estimateMs !== undefined && { estimateMs: mine.estimateMs }),
  };
}

/** MaaS's word on the phase: "MaaS Disk erasing: Erasing disks · latest: <event>". */
export function maasProgressText(m: MaasProgress): string {
  const status = `MaaS ${m.status}${m.message ? `: ${m.message}` : ''}`;
  // MaaS often words its status message as its latest event ("Rebooting"): once is enough.
  return m.event && m.event !== m.message ? `${status} · ${m.event}` : status;
}

/** "12s", "4m05s", "1h02m": a running step's time, moving every second. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** "4m05s" or "4m05s of ~6m00s" with an estimate. */
export function stepTime(r: RunningStep): string {
  if (r.elapsedMs === null) return '';
  return r.estimateMs !== undefined
    ? `${formatElapsed(r.elapsedMs)} of ~${formatElapsed(r.estimateMs)}`
    : formatElapsed(r.elapsedMs);
}

/**
 * The running step on one line, for a CLI following the task:
 * `[7/13] Wait for MaaS to report Deployed ███░░░░░ 4m05s · MaaS Deploying · curtin …`.
 */
export function runningStepLine(r: RunningStep, barCells = 10): string {
  const time = stepTime(r);
  return [
    `[${r.number}/${r.count}] ${r.title} ${progressBar(r.fraction, barCells)}${time ? ` ${time}` : ''}`,
    r.maas,
  ]
    .filter(Boolean)
    .join(' · ');
}
