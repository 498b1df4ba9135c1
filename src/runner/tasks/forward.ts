import type { JsonValue } from '../../protocol/records.ts';
import { describeError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import { callStep, type RunEnv } from './call.ts';
import type { TaskMode } from './events.ts';
import {
  CancelSignal,
  FINISHED_STEP,
  SkipSignal,
  backoff,
  reasonOf,
  retryPolicy,
  shouldRetry,
  stepLabel,
  toJson,
  type StepOutcome,
} from './internal.ts';
import type { Step } from './types.ts';

/**
 * Running a task forward: its unfinished steps in order, each journaled before and after
 * (write-ahead: a step's 'running' record is on disk before run() starts, its 'done' record and
 * output before the next step starts), verify() asked before every attempt, retries with backoff.
 *
 * The retry loop is written out rather than handed to p-retry: every attempt is journaled and
 * announced (started, failed with the wait before the next one), verify() runs between attempts,
 * and the waits go through the engine's Clock (tests and the lab at time scale 0 compress them).
 */
export async function runForward(
  env: RunEnv,
  id: string,
  steps: Step<any>[],
  mode: TaskMode,
  signal: AbortSignal,
): Promise<void> {
  const j = env.journal;
  await j.coord.mutateTask(id, (t) => {
    t.state = 'running';
    j.pushLog(t, 'info', mode === 'resume' ? 'resumed' : 'started', undefined, false, 'engine');
  });
  j.emit({ type: 'task-started', taskId: id, at: j.clock.now(), mode });
  for (let i = 0; i < steps.length; i++) {
    if (FINISHED_STEP.has(j.record(id, i).state)) continue;
    if (signal.aborted) throw new CancelSignal(reasonOf(signal));
    const outcome = await runStep(env, id, steps, i, signal);
    if (!outcome.ok) {
      if (outcome.cancelled) throw new CancelSignal(outcome.error);
      await j.finish(id, 'failed', `step ${i + 1} (${steps[i]!.title}) failed: ${outcome.error}`);
      return;
    }
  }
  await j.finish(id, 'done');
}

async function runStep(
  env: RunEnv,
  id: string,
  steps: Step<any>[],
  i: number,
  signal: AbortSignal,
): Promise<StepOutcome> {
  const j = env.journal;
  const step = steps[i]!;
  const title = redact(step.title);
  // The previous step's 'done' may still be in memory only (see below). Before anything that can
  // take long (a lock wait, a verify() talking to gear) it goes to disk on its own.
  if (step.verify || step.locks?.length) await j.coord.flush();
  const unlock = await j.coord.lock(step.locks ?? [], id, signal);
  try {
    const policy = retryPolicy(step.retry);
    for (let attempt = 1; ; attempt++) {
      // Asked before every attempt: a failed or timed-out attempt may still have had its effect.
      if (step.verify) {
        const verified = await tryVerify(env, id, steps, i, signal);
        if (verified) {
          await j.coord.mutateTask(id, (t) => {
            const r = t.steps[i]!;
            r.state = 'done';
            r.endedAt = j.iso();
            r.note = 'already in place';
            delete r.error;
            if (verified.output !== undefined) r.output = verified.output;
            j.pushLog(t, 'info', `${title}: already in place; not run`, i, true, 'engine');
          });
          j.emit({ type: 'step-done', taskId: id, at: j.clock.now(), index: i, title, alreadyInPlace: true });
          return { ok: true };
        }
      }
      await j.coord.mutateTask(id, (t) => {
        const r = t.steps[i]!;
        r.state = 'running';
        r.startedAt = j.iso();
        r.attempts += 1;
        delete r.endedAt;
        delete r.error;
        delete r.note;
        // The journal's log tells the whole story; subscribers get the typed event instead.
        const again = attempt > 1 ? ` (attempt ${attempt})` : '';
        j.pushLog(t, 'info', `${stepLabel(i, steps)} ${title}: started${again}`, i, false, 'engine');
      });
      j.emit({ type: 'step-started', taskId: id, at: j.clock.now(), index: i, title, attempt });
      try {
        const out = await callStep(env, id, steps, i, attempt, signal, (ctx) => step.run(ctx));
        const output = toJson(out, step.title);
        // Not awaited: the next journal write (the next step's 'running', or the task's end) is
        // durable and carries this too, so 'done' + output are on disk before the next step runs
        // at the cost of one fdatasync per step instead of two.
        void j.coord
          .mutateTask(
            id,
            (t) => {
              const r = t.steps[i]!;
              r.state = 'done';
              r.endedAt = j.iso();
              if (output === undefined) delete r.output;
              else r.output = output;
              j.pushLog(t, 'info', `${stepLabel(i, steps)} ${title}: done`, i, false, 'engine');
            },
            { durable: false },
          )
          .catch(() => undefined);
        j.emit({ type: 'step-done', taskId: id, at: j.clock.now(), index: i, title, alreadyInPlace: false });
        return { ok: true };
      } catch (err) {
        if (err instanceof SkipSignal) {
          const reason = redact(err.reason);
          await j.coord.mutateTask(id, (t) => {
            const r = t.steps[i]!;
            r.state = 'skipped';
            r.endedAt = j.iso();
            r.note = reason;
            j.pushLog(t, 'info', `${title}: skipped: ${reason}`, i, true, 'engine');
          });
          j.emit({ type: 'step-skipped', taskId: id, at: j.clock.now(), index: i, title, reason });
          return { ok: true };
        }
        const cancelled = signal.aborted;
        const error = cancelled ? reasonOf(signal) : describeError(err);
        const retry = shouldRetry(policy, attempt, err, cancelled);
        const delay = retry ? backoff(policy, attempt) : undefined;
        await j.coord.mutateTask(id, (t) => {
          const r = t.steps[i]!;
          r.state = 'failed';
          r.endedAt = j.iso();
          r.error = error;
          const next = retry ? `; retrying in ${delay} ms` : '';
          j.pushLog(
            t,
            retry ? 'warn' : 'error',
            `${title}: attempt ${attempt} failed: ${error}${next}`,
            i,
            true,
            'engine',
          );
        });
        j.emit({
          type: 'step-failed',
          taskId: id,
          at: j.clock.now(),
          index: i,
          title,
          error,
          attempt,
          ...(delay === undefined ? {} : { retryInMs: delay }),
        });
        if (!retry) return { ok: false, error, cancelled };
        try {
          await j.clock.sleep(delay!, signal);
        } catch {
          return { ok: false, error: reasonOf(signal), cancelled: true };
        }
      }
    }
  } finally {
    await unlock();
  }
}

/** verify() errors are not fatal: the step just runs. */
async function tryVerify(
  env: RunEnv,
  id: string,
  steps: Step<any>[],
  i: number,
  signal: AbortSignal,
): Promise<{ output?: JsonValue } | null> {
  const step = steps[i]!;
  try {
    const v = await callStep(env, id, steps, i, 1, signal, (ctx) => step.verify!(ctx));
    if (v === true) return {};
    if (typeof v === 'object' && v !== null && 'output' in v) return { output: toJson(v.output, step.title) };
    return null;
  } catch (err) {
    if (signal.aborted) throw new CancelSignal(reasonOf(signal));
    env.journal.log(
      id,
      'warn',
      `${redact(step.title)}: could not check whether already in place (${describeError(err)}); running it`,
      i,
      'engine',
    );
    return null;
  }
}
