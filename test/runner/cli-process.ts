import { expect } from 'vitest';
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

/** Runs a command that must succeed; its output otherwise explains why in the failure. */
export async function cliOk(
  args: string[],
  env: Record<string, string>,
  run: (args: string[]) => Promise<{ code: number | null; out: string; err: string }> = (a) => cli(a, env),
) {
  const r = await run(args);
  expect(r.code, `rackpilot ${args.join(' ')}:\n${r.err}\n${r.out}`).toBe(0);
  return r;
}

export interface TaskJson {
  state: string;
  error?: string | null;
  steps: { title: string; state: string }[];
  log: { text: string; level: string }[];
}

/** `rackpilot task show ID --json`, parsed. */
export async function taskShow(id: string, env: Record<string, string>): Promise<TaskJson> {
  return JSON.parse((await cliOk(['task', 'show', id, '--json'], env)).out) as TaskJson;
}

/** `--cores N --mhz N --memory MB` for a lab host's shape (offering add, host add). */
export function shapeFlags(h: { cpuCount: number; cpuMhz: number; memoryMb: number }): string[] {
  return ['--cores', `${h.cpuCount}`, '--mhz', `${h.cpuMhz}`, '--memory', `${h.memoryMb}`];
}
