import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runnerLocksUnder, runnerPid, isRunnerProcess, killRunnerAndWait } from './runner/helpers.ts';

/** The prefixes of the temporary directories tests make (mkdtemp): only their runners are ours. */
const TEST_DIRS = /^(rp|rackpilot)-/;

function startedByThisRun(pid: number, run: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`RACKPILOT_TEST_RUN=${run}`);
  } catch {
    return false;
  }
}

/**
 * Whatever a test file did or failed to do, no runner started by the suite outlives it. Each run
 * marks its processes (RACKPILOT_TEST_RUN, inherited by the workers and passed to every command a
 * test runs), so that only this run's runners are killed, never another run's on the same machine.
 */
export default function setup(): () => Promise<void> {
  const run = randomUUID();
  process.env['RACKPILOT_TEST_RUN'] = run;
  return async () => {
    const pids: number[] = [];
    for (const d of readdirSync(tmpdir()).filter((n) => TEST_DIRS.test(n))) {
      for (const lock of runnerLocksUnder(join(tmpdir(), d))) {
        const store = lock.replace(/\.runner\.lock$/, '');
        const pid = runnerPid(store);
        if (pid === null || !isRunnerProcess(pid) || !startedByThisRun(pid, run)) continue;
        await killRunnerAndWait(store);
        pids.push(pid);
      }
    }
    if (pids.length) console.log(`stopped ${pids.length} runner(s) left by tests: ${pids.join(', ')}`);
  };
}
