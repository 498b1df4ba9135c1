import { iso } from './facts.ts';
import type { DoctorFacts } from './facts.ts';
import type { Check, Fix } from '../../protocol/doctor.ts';
import type { Timeline, TimelineStage } from './timeline.ts';
import type { StoryEvent } from './stages.ts';

/**
 * What a rule is and the words rules share: the cause it answers, what it reads, and the readings
 * of the facts and the timeline several rules quote ("stopped after …", the MaaS status).
 */

export interface Cause {
  id: string;
  /** A few words for one line of the triage list. */
  title: string;
  /** The stage where it stopped (its label), when the timeline knows it. */
  stage: string | null;
  sentence: string;
  evidence: string[];
  fixes: Fix[];
  /** What the operator can look at next that is not a task (the whole log, the console). */
  hints: string[];
  specificity: number;
}

export interface RuleInput {
  f: DoctorFacts;
  t: Timeline;
  checks: Check[];
  /** curtin's installation output, whole. */
  installLog: readonly string[];
}

export type Rule = (x: RuleInput) => Cause | null;

export function minutes(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function gb(bytes: number): string {
  return bytes >= 1e12 ? `${(bytes / 1e12).toFixed(1)} TB` : `${Math.round(bytes / 1e9)} GB`;
}

export function mbps(bps: number): string {
  return `${Math.round(bps / 1e6)} MB/s`;
}

export const statusName = (f: DoctorFacts) =>
  f.maas && 'statusName' in f.maas ? f.maas.statusName : 'unknown';
export const statusCode = (f: DoctorFacts) => (f.maas && 'status' in f.maas ? f.maas.status : null);
export const failedCheck = (checks: Check[], p: (c: Check) => boolean) =>
  checks.find((c) => p(c) && c.state === 'fail');
export const last = (t: Timeline): TimelineStage | undefined => t.stages[t.stages.length - 1];
export const reached = (t: Timeline, id: string) => t.stages.some((s) => s.id === id);

/** "stopped after 'X' at 07:46:15, 12 min ago, where 2 min is typical here" */
export function stoppedAfter(t: Timeline, now: number): string {
  const s = last(t);
  if (!s) return 'before any stage MaaS logs';
  const ago = Math.max(0, Math.round((now - s.at) / 1000));
  const typical =
    s.typicalS !== null
      ? `, where ${minutes(s.typicalS)} is typical here`
      : s.patienceFrom === 'disk sizes'
        ? `, where ${minutes(s.patienceS ?? 0)} is the most its disks should take`
        : '';
  return `stopped after "${s.label}" at ${iso(s.at).slice(11, 19)} (${s.evidence.slice(9)}), ${minutes(ago)} ago${typical}`;
}

/** The operation has stopped: failed, or stalled past the stage's patience. */
export const stopped = (t: Timeline) => t.outcome === 'failed' || t.stalled;

export function opEvents(t: Timeline, p: (e: StoryEvent) => boolean): StoryEvent[] {
  return t.events.filter(p);
}
