import { createInterface } from 'node:readline/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { OperatorError, describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';

/** Where a command writes: results to stdout, progress and errors to stderr. */
export interface CommandIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /**
   * Set when what the runner answers is its last known state, not the site's (etcd has no quorum
   * or cannot be reached): JSON output carries it as `stale`.
   */
  stale?: StaleMark;
  /** Asks the operator one question (a plan's confirmation); absent when no terminal can answer. */
  ask?: Ask | undefined;
}

/** One question at the terminal; null when it could not be asked (stdin closed). */
export type Ask = (question: string) => Promise<string | null>;

/** The terminal's question, when stdin and stderr are a terminal (never in a pipe or a script). */
export function terminalAsk(): Ask | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } catch {
      return null;
    } finally {
      rl.close();
    }
  };
}

/** Why and since when a read is the last known state. */
export interface StaleMark {
  since: string | null;
  reason: string;
}

export const processIo: CommandIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  get ask() {
    return terminalAsk();
  },
};

export function println(io: CommandIo, text = ''): void {
  io.stdout.write(redact(text) + '\n');
}

export function eprintln(io: CommandIo, text = ''): void {
  io.stderr.write(redact(text) + '\n');
}

export function printJson(io: CommandIo, value: unknown): void {
  io.stdout.write(redact(JSON.stringify(markStale(value, io.stale), null, 2)) + '\n');
}

/**
 * A stale answer says so in its JSON: an object gains `stale`; a list becomes
 * `{"stale": …, "items": [ … ]}`, so that a script reading the last known state as the site's fails
 * loudly instead of acting on it.
 */
export function markStale(value: unknown, stale: StaleMark | undefined): unknown {
  if (!stale) return value;
  if (Array.isArray(value)) return { stale, items: value };
  if (value !== null && typeof value === 'object') return { ...value, stale };
  return value;
}

export class UsageError extends OperatorError {}

/**
 * Parses argv with node:util, then validates the values with zod: every CLI boundary gets the
 * same treatment as config and API payloads, and the error names the flag.
 */
export function parseCommandArgs<S extends z.ZodType>(
  argv: readonly string[],
  options: NonNullable<ParseArgsConfig['options']>,
  schema: S,
  usage: string,
): { values: z.output<S>; positionals: string[] } {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new UsageError(describeError(err).replace(/^TypeError \[[A-Z_]+\]: /, ''), {
      hint: `usage: ${usage}`,
    });
  }
  const result = schema.safeParse(parsed.values);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const flag = issue.path.length ? `--${String(issue.path[0])}` : 'arguments';
    throw new UsageError(`${flag}: ${issue.message}`, { hint: `usage: ${usage}` });
  }
  return { values: result.data, positionals: parsed.positionals };
}

/** Integer flags arrive as strings; this keeps the zod schemas short. */
export const intFlag = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);
