import { describeError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import { callStep, type RunEnv } from './call.ts';
import {
  CancelSignal,
  UNDOABLE_STEP,
  backoff,
  reasonOf,
  retryPolicy,
  shouldRetry,
  stepLabel,
  type StepOutcome,
} from './internal.ts';
import type { Step } from './types.ts';

/**
 * Rolling a task back: undo() of every step whose effect may be in place (done, running, failed,
 * undo-failed), last first, each journaled before and after; a rollback cut off by a crash
 * continues with the steps not yet undone.
 */
export async function runBackward(
  env: RunEnv,
  id: string,
  steps: Step<any>[],
  signal: AbortSignal,
): Promise<void> {
  const j = env.journal;
  await j.coord.mutateTask(id, (t) => {
    t.state = 'rolling-back';
    j.pushLog(t, 'info', 'rollback started', undefined, false, 'engine');
  });
  j.emit({ type: 'task-started', taskId: id, at: j.clock.now(), mode: 'rollback' });
  for (let i = steps.length - 1; i >= 0; i--) {
    const rec = j.record(id, i);
    if (!UNDOABLE_STEP.has(rec.state)) continue;
    const step = steps[i]!;
    const title = redact(step.title);
    if (!step.undo) {
      j.log(id, 'info', `${title}: has no undo; left as it is`, i, 'engine');
      continue;
    }
    if (signal.aborted) throw new CancelSignal(reasonOf(signal));
    const outcome = await undoStep(env, id, steps, i, signal);
    if (!outcome.ok) {
      if (outcome.cancelled) throw new CancelSignal(outcome.error);
      await j.finish(id, 'rollback-failed', `undo of step ${i + 1} (${step.title}) failed: ${outcome.error}`);
      return;
    }
  }
  await j.finish(id, 'rolled-back');
}

async function undoStep(
  env: RunEnv,
  id: string,
  steps: Step<any>[],
  i: number,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const j = env.journal;
  const step = steps[i]!;
  const title = redact(step.title);
  const policy = retryPolicy(step.retry);
  const unlock = await j.coord.lock(step.locks ?? [], id, signal);
  try {
    for (let attempt = 1; ; attempt++) {
      await j.coord.mutateTask(id, (t) => {
        t.steps[i]!.undoStartedAt = j.iso();
        j.pushLog(t, 'info', `${stepLabel(i, steps)} ${title}: undo started`, i, false, 'engine');
      });
      j.emit({ type: 'step-undo-started', taskId: id, at: j.clock.now(), index: i, title, attempt });
      try {
        await callStep(env, id, steps, i, attempt, signal, (ctx) => step.undo!(ctx));
        await j.coord.mutateTask(id, (t) => {
          const r = t.steps[i]!;
          r.state = 'undone';
          r.endedAt = j.iso();
          delete r.error;
          j.pushLog(t, 'info', `${stepLabel(i, steps)} ${title}: undone`, i, false, 'engine');
        });
        j.emit({ type: 'step-undone', taskId: id, at: j.clock.now(), index: i, title });
        return { ok: true };
      } catch (err) {
        const cancelled = signal.aborted;
        const error = cancelled ? reasonOf(signal) : describeError(err);
        const retry = shouldRetry(policy, attempt, err, cancelled);
        const delay = retry ? backoff(policy, attempt) : undefined;
        const next = retry ? `; retrying in ${delay} ms` : '';
        j.log(
          id,
          retry ? 'warn' : 'error',
          `${title}: undo attempt ${attempt} failed: ${error}${next}`,
          i,
          'engine',
        );
        if (retry) {
          try {
            await j.clock.sleep(delay!, signal);
            continue;
          } catch {
            return { ok: false, error: reasonOf(signal), cancelled: true };
          }
        }
        if (!cancelled) {
          await j.coord.mutateTask(id, (t) => {
            const r = t.steps[i]!;
            r.state = 'undo-failed';
            r.endedAt = j.iso();
            r.error = error;
          });
          j.emit({ type: 'step-undo-failed', taskId: id, at: j.clock.now(), index: i, title, error });
        }
        return { ok: false, error, cancelled };
      }
    }
  } finally {
    await unlock();
  }
}
