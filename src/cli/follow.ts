import type { TaskEvent } from '../runner/tasks/index.ts';
import { isSettled } from '../runner/tasks/events.ts';
import { FINAL_EVENTS } from '../protocol/events.ts';
import type { RunnerClient } from '../client/runner-client.ts';
import type { StepRecord, Task } from '../protocol/records.ts';
import type { StepProgress } from '../../state/runner-task-feed.ts';
import { runningStep, runningStepLine } from '../../components/step-progress.ts';
import { OperatorError } from '../util/errors.ts';
import { eprintln, printJson, type CommandIo } from './io.ts';

/** Human progress of one task on stderr: step starts, log lines, results. */
export function describeEvent(e: TaskEvent): string | null {
  switch (e.type) {
    case 'step-started':
      return `[${e.index + 1}] ${e.title}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'step-failed':
      return `    failed: ${e.error}${e.retryInMs !== undefined ? ` — retrying in ${Math.round(e.retryInMs / 100) / 10} s` : ''}`;
    case 'step-skipped':
      return `    skipped: ${e.reason}`;
    case 'step-undo-started':
      return `[undo ${e.index + 1}] ${e.title}`;
    case 'step-undo-failed':
      return `    undo failed: ${e.error}`;
    case 'log':
      return e.level === 'debug' ? null : `    ${e.text}`;
    case 'task-failed':
      return `FAILED: ${e.error}`;
    case 'task-cancelled':
      return `cancelled: ${e.reason}`;
    case 'task-interrupted':
      return 'interrupted';
    case 'task-rolled-back':
      return 'rolled back';
    case 'task-rollback-failed':
      return `ROLLBACK FAILED: ${e.error}`;
    default:
      return null;
  }
}

const MARK: Record<string, string> = {
  done: '✓',
  skipped: '–',
  failed: '✗',
  running: '▶',
  undone: '↶',
  'undo-failed': '✗',
};

/**
 * The steps a task got through before this client looked: reattaching with `task follow`, or a
 * task so quick (a power command on a near BMC) that it finished before its command followed it.
 */
function describeProgress(t: Task): string[] {
  return t.steps
    .map((s, i) => (s.state === 'pending' ? null : `[${i + 1}] ${s.title} ${MARK[s.state] ?? s.state}`))
    .filter((l): l is string => l !== null);
}

/**
 * The followed task's steps as the events move them, and the running step's live progress: what
 * the wait line shows, rendered as the dashboard's task pane renders it.
 */
class FollowedSteps {
  private steps: Pick<StepRecord, 'title' | 'state' | 'startedAt'>[] = [];
  private progress: StepProgress | undefined;
  /** The step whose lines were headed last. */
  private headed: number | undefined;

  constructor(private readonly id: string) {}

  start(t: Task): void {
    // Events that came before the task was read already moved these steps: keep what they say.
    if (this.steps.length === 0) this.steps = t.steps.map((s) => ({ ...s }));
    // The record's lines end with the last step under way: its log lines need no heading again.
    const last = t.steps.findLastIndex((s) => s.state !== 'pending');
    if (last >= 0 && this.headed === undefined) this.headed = last;
  }

  apply(e: TaskEvent): void {
    if (e.type === 'task-created') {
      this.steps = e.steps.map((title) => ({ title, state: 'pending' }));
      return;
    }
    if (!('index' in e) || e.type === 'log') return;
    const step = this.steps[e.index];
    if (!step) return;
    if (e.type === 'step-progress') {
      this.progress = {
        index: e.index,
        fraction: e.fraction,
        ...(e.maas && { maas: e.maas }),
        ...(e.estimateMs !== undefined && { estimateMs: e.estimateMs }),
      };
      return;
    }
    const state = STEP_STATE_AFTER[e.type];
    if (!state) return;
    step.state = state;
    if (state === 'running') step.startedAt = new Date(e.at).toISOString();
    if (this.progress?.index === e.index && state !== 'running') this.progress = undefined;
  }

  /**
   * The line a step's log needs above it when it comes before the step starts: a step with a
   * verify() is checked first (is it already in place?), and those reads are logged under its
   * index, so they are headed by the step they belong to, not left under the one before. Indented,
   * it is not a step's `[N]` heading: that one still means the step began (or the record says so).
   */
  checkHeading(e: TaskEvent): string | null {
    if (e.type === 'step-started' || e.type === 'step-undo-started') this.headed = e.index;
    if (e.type !== 'log' || e.index === undefined || e.index === this.headed) return null;
    const title = this.steps[e.index]?.title;
    if (title === undefined) return null;
    this.headed = e.index;
    return `  [${e.index + 1}] ${title}: checked before it runs`;
  }

  /** The running step's line, or nothing between steps (the wait line then shows its own). */
  line(now: number): string {
    const r = runningStep({ steps: this.steps }, this.progress, now);
    return r ? runningStepLine(r) : `task ${this.id}: between steps`;
  }
}

const STEP_STATE_AFTER: Partial<Record<TaskEvent['type'], StepRecord['state']>> = {
  'step-started': 'running',
  'step-done': 'done',
  'step-failed': 'failed',
  'step-skipped': 'skipped',
  'step-undo-started': 'running',
  'step-undone': 'undone',
  'step-undo-failed': 'undo-failed',
};

export type FollowOutcome = { task: Task; detached: false } | { task: null; detached: true };

/**
 * A task this command started. `events` is there when the runner subscribed this client as the task
 * was created (the request said `follow`): every event since `task-created`, so there is no record
 * to read; without it (a resumed task, `--detach`) the follow reads the record first.
 */
export interface StartedTask {
  id: string;
  events?: TaskEvent[];
}

/**
 * Sends a request that starts a task, asking to follow it from its creation unless the command
 * detaches, and keeps the events that come before the answer (they can: the runner sends them as
 * the task is created).
 */
export async function startTask<R extends { taskId?: string | undefined; followed?: true | undefined }>(
  client: RunnerClient,
  detach: boolean | undefined,
  send: (follow: { follow?: true }) => Promise<R>,
): Promise<{ answer: R; task: StartedTask }> {
  const early: TaskEvent[] = [];
  const off = detach ? () => undefined : client.onEvent((e) => early.push(e));
  try {
    const answer = await send(detach ? {} : { follow: true });
    const id = answer.taskId;
    if (!id) throw new OperatorError('the runner answered without the task it started');
    return { answer, task: answer.followed ? { id, events: early.filter((e) => e.taskId === id) } : { id } };
  } finally {
    // Later events go to the follow's own listener, added before the next I/O turn.
    off();
  }
}

/**
 * Follows a task the runner runs, printing its progress until it settles. Ctrl-C detaches: the
 * task goes on in the runner, and the operator is told how to follow it again. If the runner
 * itself goes away, the task is left interrupted (the next runner says so), and this says how
 * to pick it up.
 */
export async function followTask(
  client: RunnerClient,
  started: StartedTask,
  io: CommandIo,
): Promise<FollowOutcome> {
  const { id } = started;
  let settle!: (o: FollowOutcome | Error) => void;
  const outcome = new Promise<FollowOutcome | Error>((r) => (settle = r));
  const live = new FollowedSteps(id);
  // On a terminal, the running step stays in view below the log: its time, MaaS's word, the bar.
  const endLine = client.showWait?.(() => live.line(Date.now())) ?? (() => undefined);
  const onEvent = (e: TaskEvent) => {
    if (e.taskId !== id) return;
    live.apply(e);
    const heading = live.checkHeading(e);
    if (heading !== null) eprintln(io, heading);
    const line = describeEvent(e);
    if (line !== null) eprintln(io, line);
    if (FINAL_EVENTS.has(e.type)) {
      client.call('tasks.get', { id }).then((task) => settle({ task, detached: false }), settle);
    }
  };
  const offEvent = client.onEvent(onEvent);
  const offClose = client.onClose((reason) =>
    settle(
      new OperatorError(`lost task ${id}: ${reason}`, {
        hint: `\`rackpilot task show ${id}\` starts a runner again; an interrupted task is resumed with \`rackpilot task resume ${id}\``,
      }),
    ),
  );
  const onSigint = () => {
    eprintln(io, '');
    eprintln(io, `detached: task ${id} goes on in the runner.`);
    eprintln(io, `  follow it again: rackpilot task follow ${id}    stop it: rackpilot task cancel ${id}`);
    settle({ task: null, detached: true });
  };
  process.once('SIGINT', onSigint);
  try {
    if (started.events) {
      // Followed from its creation: the whole story is in the events.
      for (const e of started.events) onEvent(e);
    } else {
      const now = await client.call('tasks.follow', { id });
      live.start(now);
      for (const line of describeProgress(now)) eprintln(io, line);
      if (isSettled(now.state)) settle({ task: now, detached: false });
    }
    const result = await outcome;
    if (result instanceof Error) throw result;
    return result;
  } finally {
    endLine();
    process.off('SIGINT', onSigint);
    offEvent();
    offClose();
  }
}

export function taskSummary(t: Task | Omit<Task, 'log'>): Record<string, unknown> {
  return {
    id: t.id,
    kind: t.kind,
    state: t.state,
    target: t.target,
    error: t.error,
    steps: t.steps.map((s) => ({
      title: s.title,
      state: s.state,
      attempts: s.attempts,
      error: s.error,
      note: s.note,
      // The lines the operator confirmed: at the start (or a resume), and for a rollback.
      ...(s.plan && { plan: s.plan }),
      ...(s.undoPlan && { undoPlan: s.undoPlan }),
    })),
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

export function afterTaskHint(t: Pick<Task, 'id' | 'state'>, io: CommandIo): void {
  if (t.state === 'failed' || t.state === 'cancelled' || t.state === 'interrupted') {
    eprintln(
      io,
      `task ${t.id} ${t.state}: \`rackpilot task resume ${t.id}\` to retry from the failed step, or \`rackpilot task rollback ${t.id}\` to undo`,
    );
  }
}

export function exitCodeFor(t: Pick<Task, 'state'>): number {
  return t.state === 'done' || t.state === 'rolled-back' ? 0 : 1;
}

/** Exit code of a command whose operator detached with Ctrl-C (the task goes on). */
export const DETACHED_EXIT = 130;

/**
 * What every task-launching command does once the runner has the task: return at once with
 * `--detach`, or follow it to the end, then print its summary (`--json`) and the way forward.
 */
export async function followOrDetach(
  client: RunnerClient,
  task: string | StartedTask,
  io: CommandIo,
  opts: { detach?: boolean | undefined; json?: boolean | undefined },
): Promise<number> {
  const started = typeof task === 'string' ? { id: task } : task;
  const id = started.id;
  if (opts.detach) {
    if (opts.json) printJson(io, { taskId: id, detached: true });
    else io.stdout.write(`${id}\n`);
    eprintln(io, `task ${id} runs in the runner: \`rackpilot task follow ${id}\` to watch it`);
    return 0;
  }
  const outcome = await followTask(client, started, io);
  if (outcome.detached) return DETACHED_EXIT;
  if (opts.json) printJson(io, taskSummary(outcome.task));
  afterTaskHint(outcome.task, io);
  return exitCodeFor(outcome.task);
}
