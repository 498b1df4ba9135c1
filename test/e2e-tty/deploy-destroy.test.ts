import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { expect, it } from 'vitest';
import {
  confirmDeploy,
  fillDeployForm,
  testHome,
  openDashboard,
  rowOf,
  rowStatus,
  selectReadyHost,
  STEP_MS,
  TASK_MS,
  taskLine,
} from './dashboard.ts';

/**
 * `rackpilot` on the built-in lab in a real 120x36 terminal: an operator selects a Ready host,
 * deploys it from the keyboard through the form and its plan, watches the task to the end, then
 * destroys the instance (typing the host name) until the host is Ready and free again.
 */
const home = testHome('deploy');

/** The lab's secrets, from the env file its runner wrote: the MaaS token secret and every password. */
function labSecrets(dir: string): string[] {
  const env = parseEnv(readFileSync(join(dir, '.local/state/rackpilot/lab/lab.env'), 'utf8'));
  return Object.entries(env)
    .filter(([k]) => /PASS|API_KEY/.test(k))
    .map(([k, v]) => (k === 'MAAS_API_KEY' ? v!.split(':')[2]! : v!))
    .filter((v) => v.length >= 4);
}

it('deploys a Ready host from the keyboard, then destroys it the same way', async () => {
  const t = await openDashboard(home);
  const host = await selectReadyHost(t);

  const plan = await fillDeployForm(t, host);
  expect(plan).toMatch(new RegExp(`Deploy on ${host}`));
  expect(plan).toMatch(/offering\s+\S+/);
  expect(plan).toMatch(/template\s+\S+/);
  expect(plan).toMatch(/name\s+\S+-vm/);
  expect(plan).toMatch(/Wait for MaaS to report Deployed/);
  const id = await confirmDeploy(t, host);

  // The row says what runs on it: the task and its step while it runs (at 120 columns the task
  // outranks the instance for the room the ports leave), then the instance.
  await t.waitFor(
    (s) => /deploy \d+\/\d+/.test(rowOf(s, host)),
    STEP_MS,
    `${host}'s row showing its deploy task`,
  );
  await t.waitFor(
    (s) => rowOf(s, host).includes(`${host}-vm`),
    TASK_MS,
    `${host}'s row showing its instance`,
  );

  // The tasks view: steps advance, the log streams, the task ends done.
  await t.keys('t');
  await t.waitForScreen(/TASK\s+KIND\s+TARGET\s+STATE/, STEP_MS, 'the tasks view');
  await t.waitForScreen(taskLine(id, host, 'done'), TASK_MS, `task ${id} done`);
  const done = await t.screen();
  expect(done).toMatch(/✓\s+1 Check constraints/);
  expect(done).toMatch(/✓\s+13 Record the instance as running/);

  // The screens that show what went to the gear (the full task pane, the command log) show no
  // secret: the lab's MaaS token secret, switch and BMC passwords are in its env file only.
  const screens = [plan, done];
  await t.keys('Enter');
  await t.waitForScreen(/log/, STEP_MS, 'the full task pane');
  screens.push(await t.screen());
  await t.keys('Escape');
  await t.keys('@');
  await t.waitForScreen(/ipmi|maas|switch|sw/, STEP_MS, 'the command log');
  screens.push(await t.screen());
  await t.keys('Escape');
  const secrets = labSecrets(home);
  expect(secrets.length).toBeGreaterThan(3);
  for (const screen of screens) for (const secret of secrets) expect(screen).not.toContain(secret);

  await t.keys('Escape');
  await t.waitFor(
    (s) => rowStatus(host, 'Deployed').test(rowOf(s, host)) && rowOf(s, host).includes(`${host}-vm`),
    STEP_MS,
    `${host} Deployed with its instance`,
  );

  // Destroy: ctrl-d, the host name typed out, enter.
  await t.keys('C-d');
  const destroy = await t.waitForScreen(
    new RegExp(`destroy instance ${host}-vm on ${host}[\\s\\S]*Type ${host} to confirm`),
    STEP_MS,
    'the destroy plan and its confirmation',
  );
  expect(destroy).toContain(`destroys: the disks of ${host}: quick erase`);
  await t.keys('PageDown', 'PageDown');
  await t.waitForScreen(
    /MaaS POST machines\/\S+\/\?op=release erase=true quick_erase=true/,
    STEP_MS,
    'the release with its erase, further down the plan',
  );
  await t.type(host);
  await t.keys('Enter');
  await t.waitForScreen(new RegExp(`destroy: ${host} → task t-[0-9a-f]+`), STEP_MS, 'the destroy task id');
  await t.waitFor(
    (s) => {
      const row = rowOf(s, host);
      return rowStatus(host, 'Ready').test(row) && !row.includes(`${host}-vm`) && !/destroy/.test(row);
    },
    TASK_MS,
    `${host} Ready and free again`,
  );

  await t.keys('q');
  await t.waitForExit();
}, 360_000);
