import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { pidAlive } from '../../src/util/pid.ts';

/** The pid in a runner's lock file, if that process is alive. */
export function runnerPid(storePath: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(runnerPaths(storePath).pidFile, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** SIGKILLs the runner of a store and waits until it is gone (its tasks are then interrupted). */
export async function killRunnerAndWait(storePath: string): Promise<number | null> {
  const pid = killRunner(storePath);
  const deadline = Date.now() + 10_000;
  while (pid !== null && pidAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return pid;
}

export function killRunner(storePath: string): number | null {
  const pid = runnerPid(storePath);
  if (pid !== null) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pid;
}

/** Every runner lock file under `dir` (a few levels deep): the runners a test started there. */
export function runnerLocksUnder(dir: string, depth = 6): string[] {
  const found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (e.endsWith('.runner.lock')) found.push(p);
    else if (depth > 0) {
      try {
        if (statSync(p).isDirectory()) found.push(...runnerLocksUnder(p, depth - 1));
      } catch {
        // vanished
      }
    }
  }
  return found;
}

/** Whether a pid is a `rackpilot runner serve` process (not, say, a test worker hosting one). */
export function isRunnerProcess(pid: number): boolean {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('runner') && argv.includes('serve');
  } catch {
    return false;
  }
}

/** Kills every runner process whose lock file lies under `dir`; returns their pids. */
export async function stopRunnersUnder(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const lock of runnerLocksUnder(dir)) {
    const store = lock.replace(/\.runner\.lock$/, '');
    const owner = runnerPid(store);
    if (owner === null || !isRunnerProcess(owner)) continue;
    const pid = await killRunnerAndWait(store);
    if (pid !== null) pids.push(pid);
  }
  return pids;
}

/** NODE_OPTIONS that make a child write a diagnostic report into `dir` on SIGUSR2. */
export function reportOnSignal(dir: string): string {
  return `--report-on-signal --report-signal=SIGUSR2 --report-directory=${dir}`;
}

/** What keeps a stuck process alive: the libuv handles and JS stacks of the reports in `dir`. */
function reportSummary(dir: string): string {
  const parts: string[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        header?: { commandLine?: string[] };
        javascriptStack?: { stack?: string[] };
        libuv?: { type: string; is_active?: boolean; is_referenced?: boolean; [k: string]: unknown }[];
      };
      const handles = (r.libuv ?? [])
        .filter((h) => h.is_active && h.is_referenced)
        .map((h) => JSON.stringify(h));
      parts.push(
        `${(r.header?.commandLine ?? []).slice(-6).join(' ')}\n  stack: ${(r.javascriptStack?.stack ?? []).slice(0, 8).join(' | ')}\n  active handles:\n    ${handles.join('\n    ')}`,
      );
    } catch (err) {
      parts.push(`${f}: ${(err as Error).message}`);
    }
  }
  return parts.join('\n') || '(no report written)';
}

/**
 * Waits (bounded) for a CLI child a kill test started to end after its runner was killed; one that
 * does not is asked for a diagnostic report (when started with reportOnSignal), then killed with
 * its process group and reported with its output, so no test leaves it running.
 */
export async function awaitChildExit(
  child: { pid?: number | undefined; exitCode: number | null; signalCode: string | null },
  exited: Promise<void>,
  what: string,
  opts: { ms?: number; output?: () => string; reportDir?: string } = {},
): Promise<void> {
  const ms = opts.ms ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  const how = await Promise.race([exited.then(() => 'exited' as const), late]);
  clearTimeout(timer);
  if (how === 'exited') return;
  let report = '';
  if (opts.reportDir) {
    try {
      process.kill(-child.pid!, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 1500));
      report = `\ndiagnostic report:\n${reportSummary(opts.reportDir)}`;
    } catch {
      // gone meanwhile
    }
  }
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
  const out = opts.output?.().split('\n').slice(-15).join('\n') ?? '';
  throw new Error(
    `${what} did not end within ${ms / 1000} s after its runner was killed; it printed:\n${out}${report}`,
  );
}

/** A runner in this process serving `env`'s site, and a test client of it (read-write). */
export async function runnerWithClient(
  env: Record<string, string>,
  log: (line: string) => void = () => undefined,
): Promise<{ runner: RunningRunner; client: RunnerClient }> {
  const runner = await startRunner({ env, log, idleMs: 0 });
  const client = await connectRunner({
    storePath: runner.paths.store,
    site: siteIdentity(loadConfig({ env, envFile: false })),
    client: { kind: 'test', readOnly: false },
    env,
    start: false,
  });
  return { runner, client };
}
