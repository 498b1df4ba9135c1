import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from '../e2e/helpers.ts';

/** The mark of this test run (see test/global-runners.ts), for every process a test starts. */
export function testRunMark(): Record<string, string> {
  const run = process.env['RACKPILOT_TEST_RUN'];
  return run ? { RACKPILOT_TEST_RUN: run } : {};
}

/** A `rackpilot` process as an operator starts it, with its output collected as it comes. */
export interface CliRun {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exit: Promise<number | null>;
  /** Resolves once stderr+stdout match `re` (rejects after `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

export function runCli(args: string[], env: Record<string, string>): CliRun {
  const child = spawn(process.execPath, [join(REPO, 'src/bin/rackpilot.js'), ...args], {
    cwd: REPO,
    env: { PATH: process.env['PATH'] ?? '', ...testRunMark(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of waiters) w();
  };
  child.stdout!.on('data', (d) => ((out += d), poke()));
  child.stderr!.on('data', (d) => ((err += d), poke()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => (poke(), resolve(code))));
  return {
    child,
    out: () => out,
    err: () => err,
    exit,
    waitFor: (re, ms = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = (err + '\n' + out).match(re);
          if (m) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`rackpilot ${args.join(' ')} exited before ${re}:\n${err}\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${re} from rackpilot ${args.join(' ')}:\n${err}\n${out}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

/** Runs a command to its end; returns code and output. */
export async function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  const r = runCli(args, env);
  const code = await r.exit;
  return { code, out: r.out(), err: r.err() };
}
