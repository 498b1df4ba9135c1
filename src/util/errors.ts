import { redact } from './redact.ts';

/**
 * An error an operator reads: what happened, on which device, and what they can do about it.
 * The message is redacted at construction so no secret can leak through `String(err)`.
 */
export class OperatorError extends Error {
  readonly hint: string | undefined;
  readonly target: string | undefined;
  /**
   * The gear client's kind of failure (`timeout`, `auth`…), kept when the error crosses the
   * runner's socket: a command's `--json` reports it.
   */
  readonly failure: string | undefined;

  constructor(
    message: string,
    opts: { hint?: string; target?: string; cause?: unknown; failure?: string } = {},
  ) {
    super(redact(message), opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint === undefined ? undefined : redact(opts.hint);
    this.target = opts.target;
    this.failure = opts.failure;
  }

  /**
   * A wrong password or key: the gear refused who we are. No retry can fix it, so a task step
   * fails at once with this one error instead of trying again (gear clients' errors override it).
   */
  get authFailure(): boolean {
    return false;
  }

  /** One line for a status bar, two for a pane: message, then the hint. */
  describe(): string {
    return this.hint ? `${this.message}\n  → ${this.hint}` : this.message;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof OperatorError) return err.describe();
  if (err instanceof Error) return redact(err.message);
  return redact(String(err));
}

/** Whether an error is an authentication failure (see OperatorError.authFailure). */
export function isAuthFailure(err: unknown): boolean {
  return err instanceof OperatorError && err.authFailure;
}
