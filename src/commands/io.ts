import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import { OperatorError, describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';

/** Where a command writes: results to stdout, progress and errors to stderr. */
export interface CommandIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export const processIo: CommandIo = { stdout: process.stdout, stderr: process.stderr };

export function println(io: CommandIo, text = ''): void {
  io.stdout.write(redact(text) + '\n');
}

export function eprintln(io: CommandIo, text = ''): void {
  io.stderr.write(redact(text) + '\n');
}

export function printJson(io: CommandIo, value: unknown): void {
  io.stdout.write(redact(JSON.stringify(value, null, 2)) + '\n');
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
