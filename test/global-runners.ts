import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopRunnersUnder } from './runner/helpers.ts';

/** The prefixes of the temporary directories tests make (mkdtemp): only their runners are ours. */
const TEST_DIRS = /^(rp|rackpilot)-/;

/**
 * Whatever a test file did or failed to do, no runner started by the suite outlives it: every
 * runner lock under the tests' temporary directories is killed at the end of the run.
 */
export default function setup(): () => Promise<void> {
  return async () => {
    const pids: number[] = [];
    for (const d of readdirSync(tmpdir()).filter((n) => TEST_DIRS.test(n)))
      pids.push(...(await stopRunnersUnder(join(tmpdir(), d))));
    if (pids.length) console.log(`stopped ${pids.length} runner(s) left by tests: ${pids.join(', ')}`);
  };
}
