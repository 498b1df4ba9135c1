import { freshId } from '../../util/fresh-id.ts';
import type { z } from 'zod';
import type { JsonValue, LogLevel, LogLine, Task, TaskState, TaskTarget } from '../../protocol/records.ts';
import type { Store } from '../store/store.ts';
import { OperatorError, describeError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import type { RunEnv } from './call.ts';
import { realClock, type Clock } from './clock.ts';
import type { Claim, Coordinator, Holder } from './coordination.ts';
import type { TaskListener, TaskMode } from './events.ts';
import { runForward } from './forward.ts';
import {
  CancelSignal,
  FINISHED_STEP,
  RESUMABLE,
  ROLLBACKABLE,
  checkSteps,
  reasonOf,
  toJson,
} from './internal.ts';
import { TaskJournal } from './journal.ts';
import { LocalCoordinator } from './local-coordinator.ts';
import { Semaphore, type Release } from './locks.ts';
import { markInterrupted, pruneFinished } from './recovery.ts';
import { runBackward } from './rollback.ts';
import type { Step, StepFactory } from './types.ts';

export { backoff } from './internal.ts';

/**
 * The task engine: runs a task's steps in order, writing the journal before and after each step
 * (write-ahead), so a killed process leaves an exact record that `recover`, `resume` and
 * `rollback` act on. Claims on hosts, step locks and the journal all go through one Coordinator.
 *
 * This file is the public face (start, resume, rollback, cancel, wait, recover, holderOf); the
 * work is in forward.ts (running steps), rollback.ts (undoing them), call.ts (one step call with
 * its timeout, abort and settling), recovery.ts (start-up), journal.ts (journal writes + events).
 */
export interface TaskEngineOptions {
  /** The site's store; the engine coordinates through a LocalCoordinator on it unless given one. */
  store?: Store;
  /** Claims, step locks and the journal (required when no store is given). */
  coordinator?: Coordinator;
  /** Tasks running at once (queued tasks hold their host but wait for a slot). */
  concurrency?: number;
  /** Backoff waits go through it; step timeouts always use real time. */
  clock?: Clock;
  /** Timeout for steps that set none; undefined = no timeout. */
  defaultTimeoutMs?: number;
  /**
   * After a step's call was aborted (timeout, cancel), how long it may take to stop before a
   * warning is logged. The engine waits for it either way: nothing touches that gear meanwhile.
   */
  settleWarnMs?: number;
  /** @deprecated the old name of settleWarnMs (steps are no longer abandoned). */
  abandonGraceMs?: number;
  /**
   * Finished tasks (done, rolled back, cancelled) kept in the store; recover() drops older ones.
   * Failed and interrupted tasks are never dropped: they await the operator.
   */
  keepFinished?: number;
}

export interface StartOptions<P> {
  /** Runs this step list instead of the kind's factory (resume then needs the kind or the steps again). */
  steps?: Step<P>[];
  /**
   * Take the host even when another task holds it (running, queued or interrupted). That task is
   * not stopped; both tasks' journals say who took the host from whom, and why.
   */
  force?: { reason: string };
  /**
   * The plan the operator confirmed, step by step (from the same step list): journaled with each
   * step record. Refused when its steps are not this task's steps.
   */
  plan?: readonly { step: string; actions: readonly string[] }[];
  /**
   * Called with the task's id once it is journaled, before its first event: a client that asked to
   * follow the task it starts is subscribed there, so its stream begins at `task-created`.
   */
  onCreated?: (id: string) => void;
}

/** A resume's or rollback's confirmed plan: the exact lines of each step it covers (by index). */
export type StepPlans = readonly { index: number; actions: readonly string[] }[];

/** What a resume or rollback takes: the steps again, and the plan the operator confirmed. */
export interface ReopenOptions {
  steps?: Step<any>[];
  /** Journaled with the step records (`plan` for a resume, `undoPlan` for a rollback). */
  plan?: StepPlans;
}

interface Definition {
  factory: StepFactory<any>;
  params?: z.ZodType;
}

interface Active {
  controller: AbortController;
  /** Settles once no code in this process works on the task; its record is read only by who waits. */
  done: Promise<void>;
}

export class TaskEngine {
  /** Set when the engine was built on a store. */
  readonly store: Store | undefined;
  readonly coordinator: Coordinator;
  private readonly clock: Clock;
  private readonly journal: TaskJournal;
  private readonly env: RunEnv;
  private readonly keepFinished: number;
  private readonly slots: Semaphore;
  private readonly definitions = new Map<string, Definition>();
  private readonly active = new Map<string, Active>();
  /** Tasks between a resume/rollback request and their launch (a claim and a journal write). */
  private readonly starting = new Set<string>();

  constructor(opts: TaskEngineOptions) {
    if (!opts.coordinator && !opts.store) throw new Error('TaskEngine needs a store or a coordinator');
    this.store = opts.store;
    this.coordinator = opts.coordinator ?? new LocalCoordinator(opts.store!);
    this.clock = opts.clock ?? realClock;
    this.journal = new TaskJournal(this.coordinator, this.clock);
    this.env = {
      journal: this.journal,
      defaultTimeoutMs: opts.defaultTimeoutMs,
      settleWarnMs: opts.settleWarnMs ?? opts.abandonGraceMs ?? 5_000,
    };
    this.keepFinished = opts.keepFinished ?? 1_000;
    this.slots = new Semaphore(opts.concurrency ?? 8);
  }

  /** Registers a kind of task. `params` (zod) is checked at start and again at resume. */
  define<P>(kind: string, factory: StepFactory<P>, opts: { params?: z.ZodType<P> } = {}): void {
    this.definitions.set(kind, { factory, ...(opts.params ? { params: opts.params } : {}) });
  }

  subscribe(listener: TaskListener): () => void {
    this.journal.listeners.add(listener);
    return () => this.journal.listeners.delete(listener);
  }

  /** Counts for a status line. */
  load(): { running: number; queued: number } {
    return { running: this.slots.running, queued: this.slots.waiting };
  }

  /** The task's live record, copying nothing (its log included): read-only by contract. */
  peek(id: string): Readonly<Task> | undefined {
    return this.coordinator.task(id);
  }

  /** A copy of the task's record. */
  get(id: string): Task | undefined {
    const t = this.coordinator.task(id);
    return t === undefined ? undefined : (structuredClone(t) as Task);
  }

  /**
   * Creates the task (journaled 'pending' before this resolves), takes its host, and runs it in the
   * background. `opts.steps` runs a step list directly; a task started that way can only be resumed
   * or rolled back after a restart if its kind is also defined (or the same steps are passed again).
   * Refused (OperatorError naming the task) while another task holds the host, unless `opts.force`.
   */
  async start<P>(kind: string, target: TaskTarget, params: P, opts: StartOptions<P> = {}): Promise<string> {
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
    if (opts.plan) checkPlan(kind, steps, opts.plan);
    const { claim, displaced } = await this.claim(id, kind, target, opts.force);
    const what = describeTarget(target);
    const now = this.journal.iso();
    const forced: LogLine[] = opts.force
      ? forcedLines(what, opts.force.reason, displaced).map((l) => ({
          at: now,
          ...l,
          source: 'engine' as const,
        }))
      : [];
    try {
      await this.coordinator.insertTask({
        id,
        kind,
        target: { ...target },
        params: checked as JsonValue,
        state: 'pending',
        steps: steps.map((s, i) => ({
          title: redact(s.title),
          state: 'pending',
          attempts: 0,
          ...(opts.plan && { plan: opts.plan[i]!.actions.map(redact) }),
        })),
        log: forced,
        createdAt: now,
        updatedAt: now,
      });
    } catch (err) {
      await this.coordinator.release(claim);
      throw err;
    }
    opts.onCreated?.(id);
    const at = this.clock.now();
    const titles = steps.map((s) => redact(s.title));
    this.journal.emit({ type: 'task-created', taskId: id, at, kind, target: { ...target }, steps: titles });
    for (const l of forced)
      this.journal.emit({ type: 'log', taskId: id, at, level: l.level, text: l.text, source: 'engine' });
    for (const h of displaced) {
      const why = redact(opts.force!.reason);
      const text = `task ${id} (${kind}) took ${what} from this task with a forced start (${why})`;
      this.journal.log(h.taskId, 'warn', text, undefined, 'engine');
    }
    this.launch(id, steps, claim, 'run');
    return id;
  }

  /** Re-runs a task from its first unfinished step (steps whose verify() says done are not re-run). */
  async resume(id: string, opts: ReopenOptions = {}): Promise<void> {
    const ending = this.ending(id, RESUMABLE);
    if (ending) await ending;
    const task = this.settledTask(id, RESUMABLE, 'resumed');
    const steps = this.rebuild(task, opts.steps);
    checkStepPlans(task, opts.plan);
    const first = task.steps.findIndex((s) => !FINISHED_STEP.has(s.state));
    const from = `from step ${first + 1}: ${task.steps[first]?.title ?? 'none left'}`;
    const claim = await this.reopen(task, `resume requested (${from})`, opts.plan && ['plan', opts.plan]);
    this.launch(id, steps, claim, 'resume');
  }

  /** Runs undo() of the steps whose effect may be in place, last first. */
  async rollback(id: string, opts: ReopenOptions = {}): Promise<void> {
    const ending = this.ending(id, ROLLBACKABLE);
    if (ending) await ending;
    const task = this.settledTask(id, ROLLBACKABLE, 'rolled back');
    const steps = this.rebuild(task, opts.steps);
    checkStepPlans(task, opts.plan);
    const claim = await this.reopen(task, 'rollback requested', opts.plan && ['undoPlan', opts.plan]);
    this.launch(id, steps, claim, 'rollback');
  }

  /**
   * Cancels a queued or running task (the running step's signal aborts) and resolves once it has
   * stopped: its running call has settled and its host is free. An interrupted task is closed as
   * cancelled, which frees its host.
   */
  async cancel(id: string, reason = 'cancelled by operator'): Promise<Task> {
    const active = this.active.get(id);
    if (active) {
      active.controller.abort(new CancelSignal(reason));
      await active.done;
      return this.journal.requireTask(id);
    }
    const task = this.journal.requireTask(id);
    if (task.state !== 'interrupted' || this.starting.has(id)) {
      throw new OperatorError(`task ${id} is ${task.state}; there is nothing to cancel`, { target: id });
    }
    await this.coordinator.mutateTask(id, (t) => {
      t.state = 'cancelled';
      t.error = redact(reason);
      this.journal.pushLog(
        t,
        'warn',
        `closed without resume or rollback: ${reason}`,
        undefined,
        true,
        'engine',
      );
    });
    this.journal.emit({ type: 'task-cancelled', taskId: id, at: this.clock.now(), reason: redact(reason) });
    return this.journal.requireTask(id);
  }

  /** Resolves with the task record once no code in this process is working on it. */
  async wait(id: string): Promise<Task> {
    await this.active.get(id)?.done;
    return this.journal.requireTask(id);
  }

  /**
   * Start-up: tasks the journal shows as pending, running or rolling back were cut off by the process
   * ending. They become 'interrupted', their step records untouched, awaiting resume or rollback.
   */
  async recover(): Promise<string[]> {
    const busy = (id: string) => this.active.has(id);
    const ids = await markInterrupted(this.journal, busy);
    await pruneFinished(this.journal, this.keepFinished, busy);
    return ids;
  }

  /** Which task holds this target, if any (running, queued, or interrupted awaiting a decision). */
  holderOf(target: TaskTarget): string | undefined {
    return this.holder(target)?.taskId;
  }

  /** The task holding a target (its kind, state and runner), for refusals that name it. */
  holder(target: TaskTarget): Holder | undefined {
    return this.coordinator.holderOf(this.coordinator.keysFor(target));
  }

  /** A line in a task's log, sent to everyone following it (e.g. that it waits for etcd). */
  note(taskId: string, level: LogLevel, text: string): void {
    this.journal.log(taskId, level, text, undefined, 'engine');
  }

  // ---------------------------------------------------------------- running

  private launch(id: string, steps: Step<any>[], claim: Claim, mode: TaskMode): void {
    const controller = new AbortController();
    const onLost = () =>
      controller.abort(new CancelSignal(`lost the claim on its host: ${reasonOf(claim.lost)}`));
    if (claim.lost.aborted) onLost();
    else claim.lost.addEventListener('abort', onLost, { once: true });
    const active: Active = { controller, done: Promise.resolve() };
    this.active.set(id, active);
    active.done = this.drive(id, steps, mode, controller.signal).finally(async () => {
      claim.lost.removeEventListener('abort', onLost);
      this.active.delete(id);
      // Only now: every call of the task has settled (see call.ts), so nothing touches the host.
      await this.coordinator.release(claim).catch(() => undefined);
    });
    // Waiters see a failure; nobody waiting must not mean an unhandled rejection.
    active.done.catch(() => undefined);
  }

  private async drive(id: string, steps: Step<any>[], mode: TaskMode, signal: AbortSignal): Promise<void> {
    let release: Release | null = null;
    try {
      release = await this.slots.acquire(signal);
      if (mode === 'rollback') await runBackward(this.env, id, steps, signal);
      else await runForward(this.env, id, steps, mode, signal);
    } catch (err) {
      const j = this.journal;
      if (err instanceof CancelSignal || signal.aborted) {
        await j.finish(id, 'cancelled', reasonOf(signal, err)).catch(() => undefined);
      } else {
        // The journal itself failed (disk full, file removed): the task cannot go on safely.
        await j.finish(id, 'failed', `task stopped: ${describeError(err)}`).catch(() => undefined);
      }
    } finally {
      release?.();
    }
  }

  // ---------------------------------------------------------------- claims

  /** Takes the task's host keys, or refuses naming the task that has the host. */
  private async claim(
    id: string,
    kind: string,
    target: TaskTarget,
    force: { reason: string } | undefined,
  ): Promise<{ claim: Claim; displaced: Holder[] }> {
    const keys = this.coordinator.keysFor(target);
    const r = await this.coordinator.claim({ taskId: id, kind, keys, force: force !== undefined });
    if (r.ok) return r;
    const what = describeTarget(target);
    const h = r.holder;
    if (h.owner === null) {
      throw new OperatorError(
        `${what} has an interrupted task ${h.taskId} (${h.kind}); its state on the gear is unknown`,
        {
          target: what,
          hint: `resume or roll back task ${h.taskId} first (or cancel it to close it as is)`,
        },
      );
    }
    throw new OperatorError(`${what} is busy: task ${h.taskId} (${h.kind}) is ${h.state} on it`, {
      target: what,
      hint: `wait for task ${h.taskId} to finish, or cancel it`,
    });
  }

  /**
   * Claims a settled task's host again and journals it as pending (resume, rollback), with the plan
   * the operator confirmed on the steps it covers.
   */
  private async reopen(task: Task, note: string, plan?: ['plan' | 'undoPlan', StepPlans]): Promise<Claim> {
    const id = task.id;
    this.starting.add(id);
    try {
      const { claim } = await this.claim(id, task.kind, task.target, undefined);
      try {
        await this.coordinator.mutateTask(id, (t) => {
          t.state = 'pending';
          delete t.error;
          if (plan) journalPlan(t, ...plan);
          const confirmed = plan ? ' as confirmed: its plan is journaled with the steps' : '';
          this.journal.pushLog(t, 'info', `${note}${confirmed}`, undefined, true, 'engine');
        });
      } catch (err) {
        await this.coordinator.release(claim);
        throw err;
      }
      return claim;
    } finally {
      this.starting.delete(id);
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * A task journaled as ended that is still letting go of its host: a request made right after the
   * end waits for that (awaited only then, so two requests at once still meet `starting`).
   */
  private ending(id: string, allowed: ReadonlySet<TaskState>): Promise<unknown> | undefined {
    const active = this.active.get(id);
    const t = this.coordinator.task(id);
    return active && t && allowed.has(t.state) ? active.done.catch(() => undefined) : undefined;
  }

  private settledTask(id: string, allowed: ReadonlySet<TaskState>, verb: string): Task {
    if (this.active.has(id) || this.starting.has(id)) {
      throw new OperatorError(`task ${id} is still in progress`, {
        target: id,
        hint: 'wait for it, or cancel it first',
      });
    }
    const task = this.journal.requireTask(id);
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

  private newId(): string {
    return freshId('t', (id) => this.coordinator.task(id) !== undefined);
  }
}

/** A confirmed plan belongs to this step list: the same steps, in the same order. */
function checkPlan(kind: string, steps: Step<any>[], plan: NonNullable<StartOptions<unknown>['plan']>): void {
  const titles = steps.map((s) => s.title);
  if (plan.length !== titles.length || plan.some((p, i) => p.step !== titles[i])) {
    throw new OperatorError(`${kind}: the confirmed plan's steps are not this task's steps`, {
      hint: `plan: ${plan.map((p) => p.step).join(' → ')}; task: ${titles.join(' → ')}. Ask for a fresh plan`,
    });
  }
}

/** A confirmed plan naming a step the task lacks is not this task's plan. */
function checkStepPlans(t: Task, plan: StepPlans | undefined): void {
  for (const { index } of plan ?? []) {
    if (!t.steps[index])
      throw new OperatorError(
        `task ${t.id} has no step ${index + 1}: the confirmed plan is not this task's`,
        {
          target: t.id,
          hint: 'ask for a fresh plan',
        },
      );
  }
}

/** The confirmed lines on each step they cover. */
function journalPlan(t: Task, field: 'plan' | 'undoPlan', plan: StepPlans): void {
  for (const { index, actions } of plan) {
    const step = t.steps[index];
    if (step) step[field] = actions.map(redact);
  }
}

function describeTarget(target: TaskTarget): string {
  return target.hostname ?? target.hostId ?? (target.instanceId ? `instance ${target.instanceId}` : 'target');
}

/** The journal lines of a forced start: who held the target, and that it was taken anyway. */
function forcedLines(
  what: string,
  reason: string,
  displaced: Holder[],
): { level: 'warn' | 'info'; text: string }[] {
  const why = redact(reason);
  if (displaced.length === 0) return [{ level: 'info', text: `forced start (${why}); ${what} was free` }];
  return displaced.map((h) => ({
    level: 'warn',
    text:
      `forced start (${why}): took ${what} while task ${h.taskId} (${h.kind}) held it ` +
      `(${h.owner === null ? 'interrupted, its state on the gear unknown' : h.state})`,
  }));
}
