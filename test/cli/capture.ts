import type { CommandIo } from '../../src/cli/io.ts';

/** A command's stdout and stderr, kept for a test to read. */
export function capture(): CommandIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    out: () => out,
    err: () => err,
  };
}
