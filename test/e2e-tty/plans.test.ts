import { expect, it } from 'vitest';
import {
  confirmDeploy,
  fillDeployForm,
  hostRows,
  testHome,
  openDashboard,
  rowOf,
  selectReadyHost,
  selectedHost,
  STEP_MS,
  TASK_MS,
  taskLine,
} from './dashboard.ts';
import type { Terminal } from './terminal.ts';

/**
 * Plans are contracts, as an operator meets them in a real 120x36 terminal on the built-in lab:
 * a bulk action lists every marked host with the state read just now and its exact lines before
 * anything starts; a rollback shows its undo plan, what it erases, and wants the host name typed.
 */
const home = testHome('plans');

/** Marks the selected host (space marks it and moves down) and waits for the count. */
async function mark(t: Terminal, count: number): Promise<void> {
  await t.keys('Space');
  await t.waitForScreen(new RegExp(`${count} marked`), STEP_MS, `${count} hosts marked`);
}

it('a bulk power on lists every marked host, its state and its IPMI lines, and starts only on y', async () => {
  const t = await openDashboard(home);
  const rows = hostRows(await t.screen()).map(([h]) => h);
  const [first, second] = [rows[0]!, rows[1]!];
  expect(selectedHost(await t.styledScreen())).toBe(first);
  await mark(t, 1);
  await mark(t, 2);

  await t.keys('o');
  const dialog = await t.waitForScreen(
    new RegExp(`power on 2 hosts: ${first}, ${second}[\\s\\S]*Go ahead\\? y/N`),
    STEP_MS,
    'the plan of the bulk power on',
  );
  expect(dialog).toContain(`targets (2): ${first}, ${second}`);
  for (const host of [first, second]) {
    expect(dialog).toContain(`── ${host}`);
    expect(dialog).toMatch(new RegExp(`now: ${host} is \\S+ in MaaS`));
    expect(dialog).toMatch(new RegExp(`now: ${host} is (on|off) \\(BMC\\)`));
  }
  expect(dialog.match(/IPMI \S+: Chassis Control 0x01 power up/g)).toHaveLength(2);
  // Nothing started while the plan is on screen: no row holds a task.
  expect(dialog).not.toMatch(/power on…/);

  await t.keys('y');
  await t.waitForScreen(
    new RegExp(`power on: ${first} → task t-[0-9a-f]+ · ${second} → task t-[0-9a-f]+`),
    STEP_MS,
    'both power-on tasks accepted',
  );
  await t.keys('q');
  await t.waitForExit();
}, 240_000);

it('a rollback of a cancelled deploy shows its undo plan and the erase, and wants the host name typed', async () => {
  const t = await openDashboard(home);
  const host = await selectReadyHost(t);
  await fillDeployForm(t, host);
  const id = await confirmDeploy(t, host);
  // Past MaaS's deploy: a rollback then releases the host, with the erase.
  await t.waitFor((s) => /deploy 7\/13/.test(rowOf(s, host)), TASK_MS, `${host} waiting for Deployed`);

  await t.keys('t');
  await t.waitForScreen(taskLine(id, host, 'running'), STEP_MS, `task ${id} running in the tasks view`);
  // A running task is not offered a rollback.
  expect((await t.screen()).split('\n').at(-1)).not.toContain('u rollback');
  await t.keys('x');
  const cancel = await t.waitForScreen(
    /Cancel task t-[0-9a-f]+[\s\S]*Go ahead\? y\/N/,
    STEP_MS,
    'the cancel dialog',
  );
  expect(cancel).toMatch(/step 7 \(Wait for MaaS to report Deployed\) is stopped now/);
  await t.keys('y');
  await t.waitForScreen(taskLine(id, host, 'cancelled'), TASK_MS, `task ${id} cancelled`);

  await t.keys('u');
  const plan = await t.waitForScreen(
    new RegExp(`Roll back task ${id}[\\s\\S]*Type ${host} to confirm`),
    STEP_MS,
    'the rollback plan',
  );
  expect(plan).toContain(`now: task ${id} (instance.create of ${host}) is cancelled`);
  // What it erases comes first, before the steps.
  expect(plan).toContain(`destroys: the disks of ${host}: quick erase`);
  await t.keys('PageDown', 'PageDown', 'PageDown');
  const end = await t.waitForScreen(/undo 1 Check constraints/, STEP_MS, 'the end of the plan');
  expect(end).toMatch(/undo 6 Deploy the template image/);
  expect(end).toMatch(/MaaS POST machines\/\S+\/\?op=release erase=true quick_erase=true/);

  // A wrong name and its Enter in one write, as a busy screen or an SSH client reads them: the
  // Enter is still a key, not a character of the name.
  await t.type(`${host.slice(0, -1)}\r`);
  await t.waitForScreen(
    new RegExp(`"${host.slice(0, -1)}" is not ${host}: nothing done`),
    STEP_MS,
    'a wrong name refused',
  );
  await t.type(host.slice(-1));
  await t.keys('Enter');
  await t.waitForScreen(new RegExp(`rollback: ${id} → task ${id}`), STEP_MS, 'the rollback accepted');
  await t.waitForScreen(taskLine(id, host, 'rolled-back'), TASK_MS, `task ${id} rolled back`);
  await t.keys('q');
  await t.waitForExit();
}, 360_000);
