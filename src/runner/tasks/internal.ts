import type { JsonValue, StepRecord, TaskState } from '../../protocol/records.ts';
import { redact } from '../../util/redact.ts';
import { isAuthFailure } from '../../util/errors.ts';
import type { RetryPolicy, Step } from './types.ts';

/** Small pieces the engine's parts share: control-flow signals, state sets, formatting. */

/** Thrown by ctx.skip(): the step ends as 'skipped'. */
export class SkipSignal extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** The task was cancelled (or its claim lost): unwinds to drive(), which closes it as cancelled. */
export class CancelSignal extends Error {}

/** The reason a step's signal aborts with when its timeout passes. */
export class StepTimeout extends Error {}

export type StepOutcome = { ok: true } | { ok: false; error: string; cancelled: boolean };

export const FINISHED_STEP: ReadonlySet<StepRecord['state']> = new Set(['done', 'skipped']);
/** Steps whose effect may be (partly) in place, and so are undone by a rollback. */
export const UNDOABLE_STEP: ReadonlySet<StepRecord['state']> = new Set([
  'done',
  'running',
  'failed',
  'undo-failed',
]);
export const RESUMABLE: ReadonlySet<TaskState> = AWAITING_DECISION;
export const ROLLBACKABLE: ReadonlySet<TaskState> = AWAITING_DECISION;
export const PRUNABLE: ReadonlySet<TaskState> = new Set(['done', 'rolled-back', 'cancelled']);
// One definition for the engine and the dashboard (which does not load the engine).
export { IN_FLIGHT } from '../../protocol/task-states.ts';
import { AWAITING_DECISION } from '../../protocol/task-states.ts';

export function checkSteps(kind: string, steps: Step<any>[]): void {
  const seen = new Set<string>();
  for (const s of steps) {
    if (!s.title) throw new Error(`task kind ${kind}: a step has no title`);
    // Journal records are matched by title and outputs found by key (or title): both must be unique.
    if (seen.has(`t:${s.title}`)) throw new Error(`task kind ${kind}: two steps are titled "${s.title}"`);
    seen.add(`t:${s.title}`);
    if (s.key !== undefined) {
      if (seen.has(`k:${s.key}`)) throw new Error(`task kind ${kind}: two steps have the key "${s.key}"`);
      seen.add(`k:${s.key}`);
    }
  }
}

export function stepLabel(i: number, steps: readonly unknown[]): string {
  return `step ${i + 1}/${steps.length}`;
}

export function retryPolicy(r: RetryPolicy | undefined): RetryPolicy {
  return r ?? { attempts: 1, backoffMs: 0 };
}

export function backoff(policy: RetryPolicy, attempt: number): number {
  const raw = policy.backoffMs * (policy.factor ?? 2) ** (attempt - 1);
  return Math.round(Math.min(raw, policy.maxBackoffMs ?? Number.POSITIVE_INFINITY));
}

/**
 * Whether a failed attempt is tried again: not when cancelled, out of attempts or told not to, and
 * never after an authentication failure (a wrong BMC or switch password, a refused MaaS key).
 */
export function shouldRetry(policy: RetryPolicy, attempt: number, err: unknown, cancelled: boolean): boolean {
  if (cancelled || attempt >= policy.attempts || isAuthFailure(err)) return false;
  if (!policy.retryIf) return true;
  try {
    return policy.retryIf(err);
  } catch {
    return false;
  }
}

export function reasonOf(signal: AbortSignal, fallback?: unknown): string {
  const r = signal.aborted ? signal.reason : fallback;
  if (r instanceof Error) return redact(r.message);
  return r === undefined ? 'cancelled' : redact(String(r));
}

export function toJson(value: unknown, what: string): JsonValue | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as JsonValue;
  } catch (err) {
    throw new Error(`${what}: returned a value that cannot be journaled as JSON (${(err as Error).message})`);
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
