import type { JsonValue, MaasProgress } from '../../protocol/records.ts';
import { redact } from '../../util/redact.ts';
import { CancelSignal, FINISHED_STEP, SkipSignal, StepTimeout, formatMs, reasonOf } from './internal.ts';
import type { TaskJournal } from './journal.ts';
import type { Step, StepContext } from './types.ts';

/** What the parts that run steps (forward, rollback) share. */
export interface RunEnv {
  journal: TaskJournal;
  /** Timeout for steps that set none; undefined = no timeout. */
  defaultTimeoutMs: number | undefined;
  /** After an abort, how long a call may take to stop before a warning says what is being waited for. */
  settleWarnMs: number;
}

/**
 * Calls a step function (run, verify or undo) with its context, bounded by the step's timeout and
 * the task's signal.
 *
 * When the timeout passes or the task is cancelled, the call's signal aborts and the engine waits
 * for the call to settle before this returns: only then may the step be retried, undone, the next
 * step start, or the step's locks and the task's host be released. A call that outlives its abort
 * may still be changing the gear; nothing else may touch that gear meanwhile. If it takes longer
 * than settleWarnMs, a warning says so (the operator sees why the task does not move on).
 */
export async function callStep<R>(
  env: RunEnv,
  id: string,
  steps: Step<any>[],
  i: number,
  attempt: number,
  taskSignal: AbortSignal,
  fn: (ctx: StepContext<any>) => Promise<R>,
): Promise<R> {
  const step = steps[i]!;
  if (taskSignal.aborted) throw new CancelSignal(reasonOf(taskSignal));
  const local = new AbortController();
  const onTaskAbort = () => local.abort(taskSignal.reason);
  taskSignal.addEventListener('abort', onTaskAbort, { once: true });
  const timeoutMs = step.timeoutMs ?? env.defaultTimeoutMs;
  const timer =
    timeoutMs === undefined
      ? null
      : setTimeout(() => local.abort(new StepTimeout(`timed out after ${formatMs(timeoutMs)}`)), timeoutMs);
  let warned = false;
  let abortedAt = 0;
  let warnTimer: NodeJS.Timeout | null = null;
  const onAbort = () => {
    abortedAt = Date.now();
    warnTimer = setTimeout(() => {
      warned = true;
      env.journal.log(
        id,
        'warn',
        `${redact(step.title)}: ${reasonOf(local.signal)}, and the call has not stopped after ` +
          `${formatMs(env.settleWarnMs)}; waiting for it before going on (the host and the step's locks stay held)`,
        i,
        'engine',
      );
    }, env.settleWarnMs);
  };
  local.signal.addEventListener('abort', onAbort, { once: true });
  try {
    let result: R;
    try {
      result = await fn(context(env, id, steps, i, attempt, local.signal));
    } catch (err) {
      // A step that skips itself is skipped, whatever else happened.
      if (local.signal.aborted && !(err instanceof SkipSignal)) throw local.signal.reason;
      throw err;
    }
    // Finished after its abort: it counts as the timeout or cancellation it was (a retry's
    // verify() finds an effect that did happen).
    if (local.signal.aborted) throw local.signal.reason;
    return result;
  } finally {
    if (timer) clearTimeout(timer);
    if (warnTimer) clearTimeout(warnTimer);
    local.signal.removeEventListener('abort', onAbort);
    taskSignal.removeEventListener('abort', onTaskAbort);
    if (warned) {
      env.journal.log(
        id,
        'info',
        `${redact(step.title)}: the call stopped ${formatMs(Date.now() - abortedAt)} after it was aborted`,
        i,
        'engine',
      );
    }
  }
}

/** Each record's frozen copy, made once: a task's params and outputs are read by every later step. */
const frozenCopies = new WeakMap<object, unknown>();

function readOnlyCopy<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  let copy = frozenCopies.get(value);
  if (copy === undefined) {
    copy = deepFreeze(structuredClone(value));
    frozenCopies.set(value, copy);
  }
  return copy as T;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function context(
  env: RunEnv,
  id: string,
  steps: Step<any>[],
  i: number,
  attempt: number,
  signal: AbortSignal,
): StepContext<any> {
  const journal = env.journal;
  const task = journal.coord.task(id)!;
  const outputs: Record<string, JsonValue | undefined> = {};
  task.steps.forEach((r, n) => {
    if (r.output !== undefined && FINISHED_STEP.has(r.state))
      outputs[steps[n]?.key ?? r.title] = readOnlyCopy(r.output);
  });
  const title = redact(steps[i]!.title);
  return {
    taskId: id,
    target: task.target,
    // Frozen copies: a step must not be able to change the journal behind the engine's back.
    params: readOnlyCopy(task.params),
    signal,
    attempt,
    outputs: Object.freeze(outputs),
    output: readOnlyCopy(task.steps[i]!.output),
    log: (text, level = 'info', source) => journal.log(id, level, String(text), i, source),
    progress: (fraction, text, facts) => {
      const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
      journal.emit({
        type: 'step-progress',
        taskId: id,
        at: journal.clock.now(),
        index: i,
        title,
        fraction: f,
        ...(text === undefined ? {} : { text: redact(text) }),
        ...(facts?.maas && { maas: redactMaas(facts.maas) }),
        ...(facts?.estimateMs !== undefined && { estimateMs: facts.estimateMs }),
      });
    },
    skip: (reason) => {
      throw new SkipSignal(reason);
    },
  };
}

/** MaaS's texts pass the one redaction function like any other line. */
function redactMaas(m: MaasProgress): MaasProgress {
  return {
    status: redact(m.status),
    ...(m.message !== undefined && { message: redact(m.message) }),
    ...(m.event !== undefined && { event: redact(m.event) }),
  };
}
