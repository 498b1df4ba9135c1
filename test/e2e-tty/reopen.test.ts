import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { runnerPid, stopRunnersUnder } from '../runner/helpers.ts';
import {
  confirmDeploy,
  fillDeployForm,
  labEnv,
  newHome,
  openDashboard,
  rowOf,
  selectReadyHost,
  STEP_MS,
  TASK_MS,
  taskLine,
} from './dashboard.ts';
import { closeAllTerminals } from './terminal.ts';

/**
 * A deploy outlives the terminal that asked for it: the operator confirms a deploy, quits the
 * dashboard mid-deploy, opens a new one in the same account and finds the task still running in
 * the tasks view, then done — the site's runner ran it all along.
 */
const home = newHome('reopen');
// Slower lab time than the other tests: MaaS's install takes ~35 s, so the deploy is still running
// after the dashboard restarts, even on a loaded machine.
const env = labEnv(home, { RACKPILOT_TIME_SCALE: '0.08' });
const store = join(home, '.local/state/rackpilot/lab/store.json');

afterEach(async () => {
  await closeAllTerminals();
});

afterAll(async () => {
  await closeAllTerminals();
  await stopRunnersUnder(home);
  rmSync(home, { recursive: true, force: true });
});

it('a deploy keeps running when the dashboard is closed, and the next dashboard follows it', async () => {
  const first = await openDashboard(home, { env });
  const runner = runnerPid(store);
  expect(runner, `the lab runner's lock under ${store}`).not.toBeNull();
  const host = await selectReadyHost(first);
  await fillDeployForm(first, host);
  const id = await confirmDeploy(first, host);
  const running = await first.waitFor(
    (s) => /deploy \d+\/\d+/.test(rowOf(s, host)),
    STEP_MS,
    `${host}'s row showing its deploy task`,
  );
  const step = Number(rowOf(running, host).match(/deploy (\d+)\/(\d+)/)![1]);
  expect(step, 'closed before the deploy ends').toBeLessThan(13);

  await first.keys('q');
  await first.waitForExit();
  await first.close();
  expect(runnerPid(store), 'the same runner, still serving').toBe(runner);

  const second = await openDashboard(home, { env });
  await second.keys('t');
  await second.waitForScreen(taskLine(id, host, 'running'), STEP_MS, `task ${id} still running`);
  await second.waitForScreen(taskLine(id, host, 'done'), TASK_MS, `task ${id} done`);
  const done = await second.screen();
  expect(done).toMatch(/✓\s+13 Record the instance as running/);
  expect(runnerPid(store)).toBe(runner);

  await second.keys('q');
  await second.waitForExit();
}, 300_000);
