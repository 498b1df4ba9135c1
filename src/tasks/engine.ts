import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import {
  TASK_LOG_LIMIT,
  type JsonValue,
  type LogLevel,
  type StepRecord,
  type Task,
  type TaskState,
  type TaskTarget,
} from '../../state/schema.ts';
import type { Store } from '../../state/store.ts';
import { OperatorError, describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import { realClock, type Clock } from './clock.ts';
import type { TaskEvent, TaskListener, TaskMode } from './events.ts';
import { KeyedMutex, Semaphore, type Release } from './locks.ts';
import type { RetryPolicy, Step, StepContext, StepFactory } from './types.ts';

/**
 * The task engine: runs a task's steps in order, writing the journal to the store before and after
 * each step (write-ahead: a step's 'running' record is on disk before run() starts, its 'done' record
 * and output before the next step starts), so a killed process leaves an exact record that `recover`,
 * `resume` and `rollback` act on.
 */
export interface TaskEngineOptions {
  store: Store;
  /** Tasks running at once (queued tasks hold their host but wait for a slot). */
  concurrency?: number;
  /** Backoff waits go through it; step timeouts always use real time. */
  clock?: Clock;
  /** Timeout for steps that set none; undefined = no timeout. */
  defaultTimeoutMs?: number;
  /** How long a step that ignores its aborted signal is waited for before the engine moves on. */
  abandonGraceMs?: number;
  /**
   * Finished tasks (done, rolled back, cancelled) kept in the store; recover() drops older ones.
   * Failed and interrupted tasks are never dropped: they await the operator.
   */
  keepFinished?: number;
}

interface Definition {
  factory: StepFactory<any>;
  params?: z.ZodType;
}

interface Active {
  controller: AbortController;
  done: Promise<Task>;
  keys: string[];
}

class SkipSignal extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

class CancelSignal extends Error {}

class StepTimeout extends Error {}

type StepOutcome = { ok: true } | { ok: false; error: string; cancelled: boolean };

const FINISHED_STEP: ReadonlySet<StepRecord['state']> = new Set(['done', 'skipped']);
/** Steps whose effect may be (partly) in place, and so are undone by a rollback. */
const UNDOABLE_STEP: ReadonlySet<StepRecord['state']> = new Set(['done', 'running', 'failed', 'undo-failed']);
const RESUMABLE: ReadonlySet<TaskState> = new Set(['interrupted', 'failed', 'cancelled', 'rollback-failed']);
const ROLLBACKABLE: ReadonlySet<TaskState> = new Set([
  'interrupted',
  'failed',
  'cancelled',
  'rollback-failed',
]);
const PRUNABLE: ReadonlySet<TaskState> = new Set(['done', 'rolled-back', 'cancelled']);
const IN_FLIGHT: ReadonlySet<TaskState> = new Set(['pending', 'running', 'rolling-back']);

export class TaskEngine {
  readonly store: Store;
  private readonly clock: Clock;
  private readonly defaultTimeoutMs: number | undefined;
  private readonly abandonGraceMs: number;
  private readonly keepFinished: number;
  private readonly slots: Semaphore;
  private readonly stepLocks = new KeyedMutex();
  private readonly definitions = new Map<string, Definition>();
  private readonly active = new Map<string, Active>();
  /** Tasks between a resume/rollback request and their launch (a journal write in between). */
  private readonly starting = new Set<string>();
  /** host/instance key → id of the task holding it. */
  private readonly holders = new Map<string, string>();
  private readonly listeners = new Set<TaskListener>();

  constructor(opts: TaskEngineOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? realClock;
    this.defaultTimeoutMs = opts.defaultTimeoutMs;
    this.abandonGraceMs = opts.abandonGraceMs ?? 5_000;
    this.keepFinished = opts.keepFinished ?? 1_000;
    this.slots = new Semaphore(opts.concurrency ?? 8);
  }

  /** Registers a kind of task. `params` (zod) is checked at start and again at resume. */
  define<P>(kind: string, factory: StepFactory<P>, opts: { params?: z.ZodType<P> } = {}): void {
    this.definitions.set(kind, { factory, ...(opts.params ? { params: opts.params } : {}) });
  }

  subscribe(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Counts for a status line. */
  load(): { running: number; queued: number } {
    return { running: this.slots.running, queued: this.slots.waiting };
  }

  get(id: string): Task | undefined {
    return this.store.tasks.get(id);
  }

  /**
   * Creates the task (journaled 'pending' before this resolves), takes its host, and runs it in the
   * background. `opts.steps` runs a step list directly; a task started that way can only be resumed
   * or rolled back after a restart if its kind is also defined (or the same steps are passed again).
   */
  async start<P>(
    kind: string,
    target: TaskTarget,
    params: P,
    opts: { steps?: Step<P>[] } = {},
  ): Promise<string> {
    const def = this.definitions.get(kind);
    if (!def && !opts.steps) {
      throw new OperatorError(`unknown task kind ${kind}`, {
        hint: `known kinds: ${[...this.definitions.keys()].join(', ')}`,
      });
    }
    const checked = this.checkParams(kind, def, params);
    const id = this.newId();
    const steps = (opts.steps ?? def!.factory(checked, { taskId: id, target })) as Step<any>[];
    checkSteps(kind, steps);
    const keys = this.claim(id, target, null);
    const now = this.iso();
    try {
      await this.store.tasks.insert({
        id,
        kind,
        target: { ...target },
        params: checked as JsonValue,
        state: 'pending',
        steps: steps.map((s) => ({ title: redact(s.title), state: 'pending', attempts: 0 })),
        log: [],
        createdAt: now,
        updatedAt: now,
      });
    } catch (err) {
      this.unclaim(id, keys);
      throw err;
    }
    this.emit({
      type: 'task-created',
      taskId: id,
      at: this.clock.now(),
      kind,
      target: { ...target },
      steps: steps.map((s) => redact(s.title)),
    });
    this.launch(id, steps, keys, 'run');
    return id;
  }

  /** Re-runs a task from its first unfinished step (steps whose verify() says done are not re-run). */
  async resume(id: string, opts: { steps?: Step<any>[] } = {}): Promise<void> {
    const task = this.settledTask(id, RESUMABLE, 'resumed');
    const steps = this.rebuild(task, opts.steps);
    const keys = this.claim(id, task.target, id);
    const first = task.steps.findIndex((s) => !FINISHED_STEP.has(s.state));
    this.starting.add(id);
    try {
      await this.store.tasks.mutate(id, (t) => {
        t.state = 'pending';
        delete t.error;
        this.pushLog(
          t,
          'info',
          `resume requested (from step ${first + 1}: ${t.steps[first]?.title ?? 'none left'})`,
        );
      });
    } catch (err) {
      this.unclaim(id, keys);
      throw err;
    } finally {
      this.starting.delete(id);
    }
    this.launch(id, steps, keys, 'resume');
  }

  /** Runs undo() of the steps whose effect may be in place, last first. */
  async rollback(id: string, opts: { steps?: Step<any>[] } = {}): Promise<void> {
    const task = this.settledTask(id, ROLLBACKABLE, 'rolled back');
    const steps = this.rebuild(task, opts.steps);
    const keys = this.claim(id, task.target, id);
    this.starting.add(id);
    try {
      await this.store.tasks.mutate(id, (t) => {
        t.state = 'pending';
        delete t.error;
        this.pushLog(t, 'info', 'rollback requested');
      });
    } catch (err) {
      this.unclaim(id, keys);
      throw err;
    } finally {
      this.starting.delete(id);
    }
    this.launch(id, steps, keys, 'rollback');
  }

  /**
   * Cancels a queued or running task (the running step's signal aborts) and resolves once it has
   * stopped. An interrupted task is closed as cancelled, which frees its host.
   */
  async cancel(id: string, reason = 'cancelled by operator'): Promise<Task> {
    const active = this.active.get(id);
    if (active) {
      active.controller.abort(new CancelSignal(reason));
      return active.done;
    }
    const task = this.requireTask(id);
    if (task.state !== 'interrupted' || this.starting.has(id)) {
      throw new OperatorError(`task ${id} is ${task.state}; there is nothing to cancel`, { target: id });
    }
    await this.store.tasks.mutate(id, (t) => {
      t.state = 'cancelled';
      t.error = redact(reason);
      this.pushLog(t, 'warn', `closed without resume or rollback: ${reason}`);
    });
    this.emit({ type: 'task-cancelled', taskId: id, at: this.clock.now(), reason: redact(reason) });
    return this.requireTask(id);
  }

  /** Resolves with the task record once no code in this process is working on it. */
  async wait(id: string): Promise<Task> {
    const active = this.active.get(id);
    if (active) return active.done;
    return this.requireTask(id);
  }

  /**
   * Start-up: tasks the journal shows as pending, running or rolling back were cut off by the process
   * ending. They become 'interrupted', their step records untouched, awaiting resume or rollback.
   */
  async recover(): Promise<string[]> {
    const ids: string[] = [];
    const writes: Promise<void>[] = [];
    for (const t of this.store.tasks.peekAll()) {
      if (!IN_FLIGHT.has(t.state) || this.active.has(t.id)) continue;
      const was = t.state;
      const runningStep = t.steps.findIndex(
        (s) => s.state === 'running' || (s.undoStartedAt !== undefined && s.state !== 'undone'),
      );
      const where =
        runningStep >= 0 ? ` during step ${runningStep + 1} (${t.steps[runningStep]!.title})` : '';
      const text = `interrupted: rackpilot stopped while the task was ${was}${where}`;
      ids.push(t.id);
      writes.push(
        this.store.tasks.mutate(t.id, (task) => {
          task.state = 'interrupted';
          task.error = text;
          this.pushLog(task, 'warn', `${text}; resume or roll it back`);
        }),
      );
    }
    await Promise.all(writes);
    for (const id of ids) this.emit({ type: 'task-interrupted', taskId: id, at: this.clock.now() });
    await this.pruneFinished();
    return ids;
  }

  private async pruneFinished(): Promise<void> {
    // Newest first; the store keeps tasks in creation order, which breaks ties of equal timestamps.
    const finished = this.store.tasks
      .peekAll()
      .map((t, order) => ({ t, order }))
      .filter(({ t }) => PRUNABLE.has(t.state) && !this.active.has(t.id))
      .sort((a, b) =>
        a.t.updatedAt === b.t.updatedAt ? b.order - a.order : a.t.updatedAt < b.t.updatedAt ? 1 : -1,
      );
    const drop = new Set(finished.slice(this.keepFinished).map(({ t }) => t.id));
    if (drop.size > 0) await this.store.tasks.removeWhere((t) => drop.has(t.id));
  }

  /** Which task holds this target, if any (running, queued, or interrupted awaiting a decision). */
  holderOf(target: TaskTarget): string | undefined {
    for (const k of this.keysFor(target)) {
      const h = this.holders.get(k);
      if (h) return h;
    }
    return this.interruptedOn(this.keysFor(target), null)?.id;
  }

  // ---------------------------------------------------------------- running

  private launch(id: string, steps: Step<any>[], keys: string[], mode: TaskMode): void {
    const controller = new AbortController();
    const active: Active = { controller, keys, done: Promise.resolve(undefined as unknown as Task) };
    this.active.set(id, active);
    active.done = this.drive(id, steps, mode, controller.signal).finally(() => {
      this.active.delete(id);
      this.unclaim(id, keys);
    });
    // Waiters see a failure; nobody waiting must not mean an unhandled rejection.
    active.done.catch(() => undefined);
  }

  private async drive(id: string, steps: Step<any>[], mode: TaskMode, signal: AbortSignal): Promise<Task> {
    let release: Release | null = null;
    try {
      release = await this.slots.acquire(signal);
      if (mode === 'rollback') await this.backward(id, steps, signal);
      else await this.forward(id, steps, mode, signal);
    } catch (err) {
      if (err instanceof CancelSignal || signal.aborted) {
        await this.finish(id, 'cancelled', reasonOf(signal, err)).catch(() => undefined);
      } else {
        // The journal itself failed (disk full, file removed): the task cannot go on safely.
        await this.finish(id, 'failed', `task stopped: ${describeError(err)}`).catch(() => undefined);
      }
    } finally {
      release?.();
    }
    return this.requireTask(id);
  }

  private async forward(id: string, steps: Step<any>[], mode: TaskMode, signal: AbortSignal): Promise<void> {
    await this.store.tasks.mutate(id, (t) => {
      t.state = 'running';
      this.pushLog(t, 'info', mode === 'resume' ? 'resumed' : 'started', undefined, false);
    });
    this.emit({ type: 'task-started', taskId: id, at: this.clock.now(), mode });
    for (let i = 0; i < steps.length; i++) {
      if (FINISHED_STEP.has(this.record(id, i).state)) continue;
      if (signal.aborted) throw new CancelSignal(reasonOf(signal));
      const outcome = await this.runStep(id, steps, i, signal);
      if (!outcome.ok) {
        if (outcome.cancelled) throw new CancelSignal(outcome.error);
        await this.finish(id, 'failed', `step ${i + 1} (${steps[i]!.title}) failed: ${outcome.error}`);
        return;
      }
    }
    await this.finish(id, 'done');
  }

  private async runStep(
    id: string,
    steps: Step<any>[],
    i: number,
    signal: AbortSignal,
  ): Promise<StepOutcome> {
    const step = steps[i]!;
    const title = redact(step.title);
    // The previous step's 'done' may still be in memory only (see below). Before anything that can
    // take long (a lock wait, a verify() talking to gear) it goes to disk on its own.
    if (step.verify || step.locks?.length) await this.store.flush();
    const releaseLocks = await this.stepLocks.acquireAll(step.locks ?? [], signal);
    try {
      const policy = retryPolicy(step.retry);
      for (let attempt = 1; ; attempt++) {
        // Asked before every attempt: a failed or timed-out attempt may still have had its effect.
        if (step.verify) {
          const verified = await this.tryVerify(id, steps, i, signal);
          if (verified) {
            await this.store.tasks.mutate(id, (t) => {
              const r = t.steps[i]!;
              r.state = 'done';
              r.endedAt = this.iso();
              r.note = 'already in place';
              delete r.error;
              if (verified.output !== undefined) r.output = verified.output;
              this.pushLog(t, 'info', `${title}: already in place; not run`, i);
            });
            this.emit({
              type: 'step-done',
              taskId: id,
              at: this.clock.now(),
              index: i,
              title,
              alreadyInPlace: true,
            });
            return { ok: true };
          }
        }
        await this.store.tasks.mutate(id, (t) => {
          const r = t.steps[i]!;
          r.state = 'running';
          r.startedAt = this.iso();
          r.attempts += 1;
          delete r.endedAt;
          delete r.error;
          delete r.note;
          // The journal's log tells the whole story; subscribers get the typed event instead.
          this.pushLog(
            t,
            'info',
            `${stepLabel(i, steps)} ${title}: started${attempt > 1 ? ` (attempt ${attempt})` : ''}`,
            i,
            false,
          );
        });
        this.emit({ type: 'step-started', taskId: id, at: this.clock.now(), index: i, title, attempt });
        try {
          const out = await this.call(id, steps, i, attempt, signal, (ctx) => step.run(ctx));
          const output = toJson(out, step.title);
          // Not awaited: the next journal write (the next step's 'running', or the task's end) is
          // durable and carries this too, so 'done' + output are on disk before the next step runs
          // at the cost of one fdatasync per step instead of two.
          void this.store.tasks
            .mutate(
              id,
              (t) => {
                const r = t.steps[i]!;
                r.state = 'done';
                r.endedAt = this.iso();
                if (output === undefined) delete r.output;
                else r.output = output;
                this.pushLog(t, 'info', `${stepLabel(i, steps)} ${title}: done`, i, false);
              },
              { durable: false },
            )
            .catch(() => undefined);
          this.emit({
            type: 'step-done',
            taskId: id,
            at: this.clock.now(),
            index: i,
            title,
            alreadyInPlace: false,
          });
          return { ok: true };
        } catch (err) {
          if (err instanceof SkipSignal) {
            const reason = redact(err.reason);
            await this.store.tasks.mutate(id, (t) => {
              const r = t.steps[i]!;
              r.state = 'skipped';
              r.endedAt = this.iso();
              r.note = reason;
              this.pushLog(t, 'info', `${title}: skipped: ${reason}`, i);
            });
            this.emit({ type: 'step-skipped', taskId: id, at: this.clock.now(), index: i, title, reason });
            return { ok: true };
          }
          const cancelled = signal.aborted;
          const error = cancelled ? reasonOf(signal) : describeError(err);
          const retry =
            !cancelled &&
            attempt < policy.attempts &&
            (policy.retryIf ? safeRetryIf(policy.retryIf, err) : true);
          const delay = retry ? backoff(policy, attempt) : undefined;
          await this.store.tasks.mutate(id, (t) => {
            const r = t.steps[i]!;
            r.state = 'failed';
            r.endedAt = this.iso();
            r.error = error;
            this.pushLog(
              t,
              retry ? 'warn' : 'error',
              `${title}: attempt ${attempt} failed: ${error}${retry ? `; retrying in ${delay} ms` : ''}`,
              i,
            );
          });
          this.emit({
            type: 'step-failed',
            taskId: id,
            at: this.clock.now(),
            index: i,
            title,
            error,
            attempt,
            ...(delay === undefined ? {} : { retryInMs: delay }),
          });
          if (!retry) return { ok: false, error, cancelled };
          try {
            await this.clock.sleep(delay!, signal);
          } catch {
            return { ok: false, error: reasonOf(signal), cancelled: true };
          }
        }
      }
    } finally {
      releaseLocks();
    }
  }

  /** verify() errors are not fatal: the step just runs. */
  private async tryVerify(
    id: string,
    steps: Step<any>[],
    i: number,
    signal: AbortSignal,
  ): Promise<{ output?: JsonValue } | null> {
    const step = steps[i]!;
    try {
      const v = await this.call(id, steps, i, 1, signal, (ctx) => step.verify!(ctx));
      if (v === true) return {};
      if (typeof v === 'object' && v !== null && 'output' in v)
        return { output: toJson(v.output, step.title) };
      return null;
    } catch (err) {
      if (signal.aborted) throw new CancelSignal(reasonOf(signal));
      this.log(
        id,
        'warn',
        `${redact(step.title)}: could not check whether already in place (${describeError(err)}); running it`,
        i,
      );
      return null;
    }
  }

  private async backward(id: string, steps: Step<any>[], signal: AbortSignal): Promise<void> {
    await this.store.tasks.mutate(id, (t) => {
      t.state = 'rolling-back';
      this.pushLog(t, 'info', 'rollback started', undefined, false);
    });
    this.emit({ type: 'task-started', taskId: id, at: this.clock.now(), mode: 'rollback' });
    for (let i = steps.length - 1; i >= 0; i--) {
      const rec = this.record(id, i);
      if (!UNDOABLE_STEP.has(rec.state)) continue;
      const step = steps[i]!;
      const title = redact(step.title);
      if (!step.undo) {
        this.log(id, 'info', `${title}: has no undo; left as it is`, i);
        continue;
      }
      if (signal.aborted) throw new CancelSignal(reasonOf(signal));
      const outcome = await this.undoStep(id, steps, i, signal);
      if (!outcome.ok) {
        if (outcome.cancelled) throw new CancelSignal(outcome.error);
        await this.finish(
          id,
          'rollback-failed',
          `undo of step ${i + 1} (${step.title}) failed: ${outcome.error}`,
        );
        return;
      }
    }
    await this.finish(id, 'rolled-back');
  }

  private async undoStep(
    id: string,
    steps: Step<any>[],
    i: number,
    signal: AbortSignal,
  ): Promise<StepOutcome> {
    const step = steps[i]!;
    const title = redact(step.title);
    const policy = retryPolicy(step.retry);
    const releaseLocks = await this.stepLocks.acquireAll(step.locks ?? [], signal);
    try {
      for (let attempt = 1; ; attempt++) {
        await this.store.tasks.mutate(id, (t) => {
          t.steps[i]!.undoStartedAt = this.iso();
          this.pushLog(t, 'info', `${stepLabel(i, steps)} ${title}: undo started`, i, false);
        });
        this.emit({ type: 'step-undo-started', taskId: id, at: this.clock.now(), index: i, title, attempt });
        try {
          await this.call(id, steps, i, attempt, signal, (ctx) => step.undo!(ctx));
          await this.store.tasks.mutate(id, (t) => {
            const r = t.steps[i]!;
            r.state = 'undone';
            r.endedAt = this.iso();
            delete r.error;
            this.pushLog(t, 'info', `${stepLabel(i, steps)} ${title}: undone`, i, false);
          });
          this.emit({ type: 'step-undone', taskId: id, at: this.clock.now(), index: i, title });
          return { ok: true };
        } catch (err) {
          const cancelled = signal.aborted;
          const error = cancelled ? reasonOf(signal) : describeError(err);
          const retry =
            !cancelled &&
            attempt < policy.attempts &&
            (policy.retryIf ? safeRetryIf(policy.retryIf, err) : true);
          const delay = retry ? backoff(policy, attempt) : undefined;
          this.log(
            id,
            retry ? 'warn' : 'error',
            `${title}: undo attempt ${attempt} failed: ${error}${retry ? `; retrying in ${delay} ms` : ''}`,
            i,
          );
          if (retry) {
            try {
              await this.clock.sleep(delay!, signal);
              continue;
            } catch {
              return { ok: false, error: reasonOf(signal), cancelled: true };
            }
          }
          if (!cancelled) {
            await this.store.tasks.mutate(id, (t) => {
              const r = t.steps[i]!;
              r.state = 'undo-failed';
              r.endedAt = this.iso();
              r.error = error;
            });
            this.emit({ type: 'step-undo-failed', taskId: id, at: this.clock.now(), index: i, title, error });
          }
          return { ok: false, error, cancelled };
        }
      }
    } finally {
      releaseLocks();
    }
  }

  /**
   * Calls a step function with its context, bounded by the step's timeout and the task's signal.
   * A function that ignores its aborted signal is given a grace period, then abandoned.
   */
  private async call<R>(
    id: string,
    steps: Step<any>[],
    i: number,
    attempt: number,
    taskSignal: AbortSignal,
    fn: (ctx: StepContext<any>) => Promise<R>,
  ): Promise<R> {
    const step = steps[i]!;
    const local = new AbortController();
    const onTaskAbort = () => local.abort(taskSignal.reason);
    if (taskSignal.aborted) throw new CancelSignal(reasonOf(taskSignal));
    taskSignal.addEventListener('abort', onTaskAbort, { once: true });
    const timeoutMs = step.timeoutMs ?? this.defaultTimeoutMs;
    const timer =
      timeoutMs === undefined
        ? null
        : setTimeout(() => local.abort(new StepTimeout(`timed out after ${formatMs(timeoutMs)}`)), timeoutMs);
    const aborted = new Promise<never>((_, reject) => {
      local.signal.addEventListener('abort', () => reject(local.signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    const work = Promise.resolve().then(() => fn(this.context(id, steps, i, attempt, local.signal)));
    try {
      return await Promise.race([work, aborted]);
    } catch (err) {
      if (local.signal.aborted && !(err instanceof SkipSignal)) {
        // Let the step notice the abort and release what it holds before the next one starts.
        const settled = await Promise.race([
          work.then(
            () => true,
            () => true,
          ),
          new Promise<false>((r) => setTimeout(() => r(false), this.abandonGraceMs).unref()),
        ]);
        if (!settled) {
          this.log(
            id,
            'warn',
            `${redact(step.title)}: did not stop within ${formatMs(this.abandonGraceMs)}; abandoned`,
            i,
          );
        }
        throw local.signal.reason;
      }
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      taskSignal.removeEventListener('abort', onTaskAbort);
    }
  }

  private context(
    id: string,
    steps: Step<any>[],
    i: number,
    attempt: number,
    signal: AbortSignal,
  ): StepContext<any> {
    const task = this.store.tasks.peek(id)!;
    const outputs: Record<string, JsonValue | undefined> = {};
    task.steps.forEach((r, n) => {
      if (r.output !== undefined && FINISHED_STEP.has(r.state)) outputs[steps[n]?.key ?? r.title] = r.output;
    });
    const title = redact(steps[i]!.title);
    return {
      taskId: id,
      target: task.target,
      // Copies: a step must not be able to change the journal behind the engine's back.
      params: structuredClone(task.params),
      signal,
      attempt,
      outputs: structuredClone(outputs),
      output: structuredClone(task.steps[i]!.output),
      log: (text, level = 'info') => this.log(id, level, String(text), i),
      progress: (fraction, text) => {
        const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
        this.emit({
          type: 'step-progress',
          taskId: id,
          at: this.clock.now(),
          index: i,
          title,
          fraction: f,
          ...(text === undefined ? {} : { text: redact(text) }),
        });
      },
      skip: (reason) => {
        throw new SkipSignal(reason);
      },
    };
  }

  private async finish(id: string, state: TaskState, error?: string): Promise<void> {
    const text = error === undefined ? undefined : redact(error);
    await this.store.tasks.mutate(id, (t) => {
      t.state = state;
      if (text === undefined) delete t.error;
      else t.error = text;
      this.pushLog(
        t,
        state === 'done' || state === 'rolled-back' ? 'info' : 'error',
        text ?? `task ${state}`,
      );
    });
    const base = { taskId: id, at: this.clock.now() };
    switch (state) {
      case 'done':
        return this.emit({ type: 'task-done', ...base });
      case 'failed':
        return this.emit({ type: 'task-failed', ...base, error: text ?? 'failed' });
      case 'cancelled':
        return this.emit({ type: 'task-cancelled', ...base, reason: text ?? 'cancelled' });
      case 'rolled-back':
        return this.emit({ type: 'task-rolled-back', ...base });
      case 'rollback-failed':
        return this.emit({ type: 'task-rollback-failed', ...base, error: text ?? 'rollback failed' });
      default:
        return;
    }
  }

  // ---------------------------------------------------------------- journal + events

  private log(id: string, level: LogLevel, text: string, index?: number): void {
    const clean = redact(text);
    // Log lines need no write-ahead; they ride on the next journal write.
    void this.store.tasks
      .mutate(id, (t) => this.pushLog(t, level, clean, index, false), { durable: false })
      .catch(() => undefined);
    this.emit({
      type: 'log',
      taskId: id,
      at: this.clock.now(),
      level,
      text: clean,
      ...(index === undefined ? {} : { index }),
    });
  }

  /** Appends inside a mutation; `announce` also sends it to subscribers. */
  private pushLog(t: Task, level: LogLevel, text: string, index?: number, announce = true): void {
    const clean = redact(text);
    t.log.push({ at: this.iso(), level, text: clean, ...(index === undefined ? {} : { step: index }) });
    if (t.log.length > TASK_LOG_LIMIT) t.log.splice(0, t.log.length - TASK_LOG_LIMIT);
    if (announce) {
      this.emit({
        type: 'log',
        taskId: t.id,
        at: this.clock.now(),
        level,
        text: clean,
        ...(index === undefined ? {} : { index }),
      });
    }
  }

  private emit(event: TaskEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A failing subscriber (a UI bug) must never stop a task half way.
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private record(id: string, i: number): Readonly<StepRecord> {
    return this.store.tasks.peek(id)!.steps[i]!;
  }

  private requireTask(id: string): Task {
    const t = this.store.tasks.get(id);
    if (!t)
      throw new OperatorError(`no task ${id}`, { target: id, hint: 'list tasks with `rackpilot tasks`' });
    return t;
  }

  private settledTask(id: string, allowed: ReadonlySet<TaskState>, verb: string): Task {
    if (this.active.has(id) || this.starting.has(id)) {
      throw new OperatorError(`task ${id} is still in progress`, {
        target: id,
        hint: 'wait for it, or cancel it first',
      });
    }
    const task = this.requireTask(id);
    if (!allowed.has(task.state)) {
      throw new OperatorError(`task ${id} is ${task.state} and cannot be ${verb}`, {
        target: id,
        hint: `only ${[...allowed].join(', ')} tasks can be ${verb}`,
      });
    }
    return task;
  }

  private rebuild(task: Task, given: Step<any>[] | undefined): Step<any>[] {
    const def = this.definitions.get(task.kind);
    if (!given && !def) {
      throw new OperatorError(`task ${task.id} is of kind ${task.kind}, which this rackpilot does not know`, {
        target: task.id,
        hint: 'run the rackpilot version that created it',
      });
    }
    const params = this.checkParams(task.kind, def, task.params);
    const steps = given ?? def!.factory(params, { taskId: task.id, target: task.target });
    checkSteps(task.kind, steps);
    const journal = task.steps.map((s) => s.title);
    const now = steps.map((s) => redact(s.title));
    if (journal.length !== now.length || journal.some((t, i) => t !== now[i] && t !== steps[i]!.title)) {
      throw new OperatorError(`task ${task.id}: its steps changed since it was journaled`, {
        target: task.id,
        hint: `journal: ${journal.join(' → ')}; now: ${now.join(' → ')}. Finish it with the version that created it`,
      });
    }
    return steps;
  }

  private checkParams(kind: string, def: Definition | undefined, params: unknown): any {
    if (def?.params) {
      const parsed = def.params.safeParse(params);
      if (!parsed.success) {
        throw new OperatorError(
          `invalid parameters for ${kind}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        );
      }
      params = parsed.data;
    }
    const json = toJson(params, `${kind} parameters`);
    return json === undefined ? null : json;
  }

  /** Keys naming what a task holds: the host by id and by name, and the instance. */
  private keysFor(target: TaskTarget): string[] {
    const keys = new Set<string>();
    const addHost = (hostId?: string, hostname?: string) => {
      const h =
        (hostId && this.store.hosts.find((x) => x.id === hostId)) ||
        (hostname && this.store.hosts.find((x) => x.hostname === hostname)) ||
        undefined;
      if (hostId ?? h?.id) keys.add(`host:${hostId ?? h!.id}`);
      if (hostname ?? h?.hostname) keys.add(`hostname:${hostname ?? h!.hostname}`);
      if (h) {
        keys.add(`host:${h.id}`);
        keys.add(`hostname:${h.hostname}`);
      }
    };
    addHost(target.hostId, target.hostname);
    if (target.instanceId) {
      keys.add(`instance:${target.instanceId}`);
      const inst = this.store.instances.find((x) => x.id === target.instanceId);
      if (inst) addHost(inst.hostId, undefined);
    }
    return [...keys];
  }

  private describeTarget(target: TaskTarget): string {
    return (
      target.hostname ?? target.hostId ?? (target.instanceId ? `instance ${target.instanceId}` : 'target')
    );
  }

  private interruptedOn(keys: string[], self: string | null): Readonly<Task> | undefined {
    if (keys.length === 0) return undefined;
    const want = new Set(keys);
    return this.store.tasks
      .peekAll()
      .find(
        (t) => t.state === 'interrupted' && t.id !== self && this.keysFor(t.target).some((k) => want.has(k)),
      );
  }

  /** Takes the task's host keys, or refuses naming the task that has the host. */
  private claim(id: string, target: TaskTarget, self: string | null): string[] {
    const keys = this.keysFor(target);
    for (const k of keys) {
      const holder = this.holders.get(k);
      if (holder !== undefined && holder !== id) {
        const other = this.store.tasks.peek(holder);
        throw new OperatorError(
          `${this.describeTarget(target)} is busy: task ${holder} (${other?.kind ?? '?'}) is ${other?.state ?? 'running'} on it`,
          { target: this.describeTarget(target), hint: `wait for task ${holder} to finish, or cancel it` },
        );
      }
    }
    const stuck = this.interruptedOn(keys, self);
    if (stuck) {
      throw new OperatorError(
        `${this.describeTarget(target)} has an interrupted task ${stuck.id} (${stuck.kind}); its state on the gear is unknown`,
        {
          target: this.describeTarget(target),
          hint: `resume or roll back task ${stuck.id} first (or cancel it to close it as is)`,
        },
      );
    }
    for (const k of keys) this.holders.set(k, id);
    return keys;
  }

  private unclaim(id: string, keys: string[]): void {
    for (const k of keys) if (this.holders.get(k) === id) this.holders.delete(k);
  }

  private newId(): string {
    for (;;) {
      const id = `t-${randomBytes(4).toString('hex')}`;
      if (!this.store.tasks.peek(id)) return id;
    }
  }

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }
}

function checkSteps(kind: string, steps: Step<any>[]): void {
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

function stepLabel(i: number, steps: readonly unknown[]): string {
  return `step ${i + 1}/${steps.length}`;
}

function retryPolicy(r: RetryPolicy | undefined): RetryPolicy {
  return r ?? { attempts: 1, backoffMs: 0 };
}

export function backoff(policy: RetryPolicy, attempt: number): number {
  const raw = policy.backoffMs * (policy.factor ?? 2) ** (attempt - 1);
  return Math.round(Math.min(raw, policy.maxBackoffMs ?? Number.POSITIVE_INFINITY));
}

function safeRetryIf(fn: (err: unknown) => boolean, err: unknown): boolean {
  try {
    return fn(err);
  } catch {
    return false;
  }
}

function reasonOf(signal: AbortSignal, fallback?: unknown): string {
  const r = signal.aborted ? signal.reason : fallback;
  if (r instanceof Error) return redact(r.message);
  return r === undefined ? 'cancelled' : redact(String(r));
}

function toJson(value: unknown, what: string): JsonValue | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as JsonValue;
  } catch (err) {
    throw new Error(`${what}: returned a value that cannot be journaled as JSON (${(err as Error).message})`);
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
