/**
 * The README's dashboard captures, taken from a real 120x36 terminal with the test harness:
 *
 *   node --import tsx test/e2e-tty/readme-captures.ts
 *
 * prints each capture (the deploy form with its plan, the dashboard with a task running, the tasks
 * view, the full task pane, the command log) as a text block, on the built-in lab in a throw-away
 * HOME. Not a test: the same moves are checked by deploy-destroy.test.ts.
 */
import { rmSync } from 'node:fs';
import { stopRunnersUnder } from '../runner/helpers.ts';
import {
  confirmDeploy,
  fillDeployForm,
  labEnv,
  newHome,
  openDashboard,
  rowOf,
  rowStatus,
  selectReadyHost,
  STEP_MS,
} from './dashboard.ts';
import { closeAllTerminals } from './terminal.ts';

const home = newHome('captures');
const captures: [string, string][] = [];
const keep = (title: string, screen: string) => captures.push([title, screen.replace(/\n+$/, '')]);

try {
  const t = await openDashboard(home, { env: labEnv(home, { RACKPILOT_TIME_SCALE: '0.05' }) });
  const host = await selectReadyHost(t);
  keep('the deploy form with its plan', await fillDeployForm(t, host));
  const id = await confirmDeploy(t, host);

  const atWait = (s: string) =>
    /deploy 7\/13/.test(rowOf(s, host)) && rowStatus(host, 'Deploying').test(rowOf(s, host));
  await t.waitFor(atWait, 60_000, `${host}'s deploy at its MaaS wait`);
  // Preferably once the BMC sweep has seen the host powered on too (no `off≠on` in POWER).
  keep(
    'the dashboard with a task running',
    await t
      .waitFor((s) => atWait(s) && !rowOf(s, host).includes('≠'), 8_000, 'the BMC sweep')
      .catch(() => t.screen()),
  );

  await t.keys('t');
  keep(
    'the tasks view',
    await t.waitForScreen(
      new RegExp(`${id}[^\\n]*running[\\s\\S]*MaaS:`),
      STEP_MS,
      'the tasks view with MaaS events',
    ),
  );

  // The full pane once the switch and the BMC have had their turn (power off, VLANs, boot, on).
  await t.keys('Enter');
  keep(
    'the full task pane',
    await t.waitFor(
      (s) =>
        /<task t-[\s\S]*done ·[^\n]*MaaS Deployed/.test(s) && /^\S+ ipmi /m.test(s) && /^\S+ sw /m.test(s),
      120_000,
      'the task done, MaaS Deployed, IPMI and switch lines in the live log',
    ),
  );

  await t.keys('Escape', 'Escape', '@');
  keep('the command log', await t.waitForScreen(/<command log>[\s\S]*ipmi/, STEP_MS, 'the command log'));

  await t.keys('q');
  await t.waitForExit();
} finally {
  await closeAllTerminals();
  await stopRunnersUnder(home);
  rmSync(home, { recursive: true, force: true });
}

for (const [title, screen] of captures) {
  console.log(`=== ${title}\n\`\`\`\n${screen}\n\`\`\`\n`);
}
