import type { JsonValue, LogLevel, LogSource, MaasProgress, TaskTarget } from '../../protocol/records.ts';

export type { JsonValue, LogLevel, LogSource, TaskTarget };

/** What a long step can say of itself besides its fraction. */
export interface StepProgressFacts {
  /** MaaS's status, status message and latest event while the step waits on it. */
  maas?: MaasProgress;
  /**
   * How long this stage typically takes at this site (from its history of stage durations), when
   * known; the fraction then follows elapsed time against it. Optional: without a history there is
   * no estimate, and the step shows its elapsed time and MaaS's progress only.
   */
  estimateMs?: number;
}

/** What a step sees while it runs, verifies or undoes. */
export interface StepContext<P = JsonValue> {
  readonly taskId: string;
  readonly target: Readonly<TaskTarget>;
  readonly params: P;
  /** Aborts on cancel and on the step's timeout; pass it to every I/O call. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt of this run/undo, 2 for the first retry, … */
  readonly attempt: number;
  /** Outputs of this task's finished steps, by step key or title (journaled: they survive a restart). */
  readonly outputs: Readonly<Record<string, JsonValue | undefined>>;
  /** This step's own output, when it has one (in undo, and in verify after a restart). */
  readonly output: JsonValue | undefined;
  /**
   * A line in the task's log (redacted). `source` says which gear it is about: 'maas' for a MaaS
   * call or event, 'switch' for switch CLI lines sent or read, 'ipmi' for an IPMI command; the
   * dashboard's command log lists exactly those.
   */
  log(text: string, level?: LogLevel, source?: LogSource): void;
  /** fraction in [0, 1]; shown live, not journaled. `facts`: MaaS's own progress, an estimate. */
  progress(fraction: number, text?: string, facts?: StepProgressFacts): void;
  /** Ends run() at once; the step is journaled 'skipped' with the reason. */
  skip(reason: string): never;
}

/** verify() may hand back the output run() would have produced, for later steps that need it. */
export type VerifyResult = boolean | { output: JsonValue };

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  attempts: number;
  /** Wait before the first retry; doubles each time (capped by maxBackoffMs). */
  backoffMs: number;
  factor?: number;
  maxBackoffMs?: number;
  /** Errors that are not worth retrying (bad credentials, invalid input) return false. */
  retryIf?: (err: unknown) => boolean;
}

export interface Step<P = JsonValue> {
  /** Shown to the operator and journaled; unique within the task. */
  title: string;
  /** Name under which later steps find this step's output in ctx.outputs (default: the title). */
  key?: string;
  run(ctx: StepContext<P>): Promise<JsonValue | void>;
  /**
   * Whether the step's effect is already in place. Asked before every attempt (fresh, retried or
   * resumed): true marks the step done without running it, which is what makes resume after a crash
   * and retry after a lost reply safe. Return { output } when later steps or undo need run()'s output.
   * A verify() that throws is logged and the step runs.
   */
  verify?(ctx: StepContext<P>): Promise<VerifyResult>;
  undo?(ctx: StepContext<P>): Promise<void>;
  timeoutMs?: number;
  retry?: RetryPolicy;
  /** Named resources held only while this step runs (e.g. 'switch:tor-r01'). */
  locks?: string[];
}

/** Builds a task's steps from its params; must be pure so a resumed task gets the same list. */
export type StepFactory<P = JsonValue> = (
  params: P,
  info: { taskId: string; target: TaskTarget },
) => Step<P>[];
