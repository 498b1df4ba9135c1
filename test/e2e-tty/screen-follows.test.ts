import { rmSync } from 'node:fs';
import { afterAll, afterEach, expect, it } from 'vitest';
import { runnerLocksUnder, runnerPid, stopRunnersUnder } from '../runner/helpers.ts';
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
} from './dashboard.ts';
import { inetSockets } from './sockets.ts';
import { closeAllTerminals, type Terminal } from './terminal.ts';

/**
 * The screen follows the gear, in a real 120x36 terminal on the lab: the details view reads the
 * BMC again after a power change (through the runner: the dashboard process holds no TCP or UDP
 * socket), a running task's elapsed time ticks every second, and a rollback shows as a rollback in
 * the row, the task pane and the task list.
 */
const home = newHome('follows');

afterEach(async () => {
  await closeAllTerminals();
});

afterAll(async () => {
  await closeAllTerminals();
  await stopRunnersUnder(home);
  rmSync(home, { recursive: true, force: true });
});

/**
 * Answers the confirmation an action asks for, whichever it is: `y` to a y/N question, the host
 * name to a typed one. Some actions start at once and ask nothing: then the task's id shows.
 */
async function confirm(t: Terminal, host: string, before: string): Promise<void> {
  // A task id the footer showed before the key (the last action's) is not this action's answer.
  const seen = new Set(before.match(/→ task t-\w+/g) ?? []);
  const s = await t.waitFor(
    (screen) =>
      /y\/N|Type \S+ to confirm/.test(screen) ||
      (screen.match(/→ task t-\w+/g) ?? []).some((id) => !seen.has(id)),
    STEP_MS,
    'a confirmation or the task',
  );
  if (/Type \S+ to confirm/.test(s)) {
    await t.type(host);
    await t.keys('Enter');
  } else if (/y\/N/.test(s)) await t.keys('y');
}

/** The running task's elapsed time on its pane line (card or one-line), in seconds, or null. */
function elapsedOf(screen: string, host: string): number | null {
  const line = screen.split('\n').find((l) => l.includes('▶') && l.includes(host) && /[█░]/.test(l));
  const m = line?.match(/[█░]+\s+(?:(\d+)h)?(?:(\d+)m)?(\d+)s\b/);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3]) : null;
}

it('the details view after a power off, timers that tick, a rollback shown as a rollback', async () => {
  // Lab time at a tenth: a deploy lasts long enough to watch its clock, and a full erase keeps the
  // rollback's release on screen long enough to be read.
  const t = await openDashboard(home, {
    env: labEnv(home, { RACKPILOT_ERASE_MODE: 'full', RACKPILOT_TIME_SCALE: '0.1' }),
  });
  const host = await selectReadyHost(t);

  // ---- details: read through the runner, read again when the power changes
  await t.keys('Enter');
  await t.waitForScreen(/live from the gear read \d\d:\d\d:\d\d[\s\S]*BMC\s+power off/, STEP_MS, 'BMC off');
  let before = await t.screen();
  await t.keys('o');
  await confirm(t, host, before);
  await t.waitForScreen(/BMC\s+power on/, TASK_MS, 'the details reading power on after o');
  before = await t.screen();
  await t.keys('O');
  await confirm(t, host, before);
  const off = await t.waitForScreen(/BMC\s+power off/, TASK_MS, 'the details reading power off after O');
  expect(off).toContain(`${host} (esc back)`);
  // The dashboard process (and anything it runs in its session) holds no connection to gear.
  expect(inetSockets(await t.pid())).toEqual([]);
  // The check can see one: the runner, which does talk to MaaS and the BMCs, holds some.
  const runner = runnerLocksUnder(home)
    .map((l) => runnerPid(l.replace(/\.runner\.lock$/, '')))
    .find((p) => p !== null);
  expect(runner).toBeDefined();
  expect(inetSockets(runner!).length).toBeGreaterThan(0);
  await t.keys('Escape');
  await t.waitForScreen(/HOST\s+.*STATUS/, STEP_MS, 'the host table');

  // ---- timers: the deploy's elapsed time counts every second
  await fillDeployForm(t, host);
  await confirmDeploy(t, host);
  const seen: number[] = [];
  await t.waitFor(
    (s) => {
      const e = elapsedOf(s, host);
      if (e !== null && e !== seen.at(-1)) seen.push(e);
      return seen.length >= 5;
    },
    STEP_MS,
    `five successive elapsed times of the deploy on ${host} (seen ${seen.join(', ')})`,
  );
  for (let i = 1; i < seen.length; i++) {
    // One second at a time (two when a capture came late on a loaded machine), never a stall of 15.
    expect(seen[i]! - seen[i - 1]!).toBeGreaterThanOrEqual(1);
    expect(seen[i]! - seen[i - 1]!).toBeLessThanOrEqual(2);
  }

  // ---- a rollback: cancel the deploy, roll it back; it shows as a rollback everywhere
  await t.keys('t');
  await t.waitForScreen(/TASK\s+KIND\s+TARGET\s+STATE/, STEP_MS, 'the tasks view');
  before = await t.screen();
  await t.keys('x');
  await confirm(t, host, before);
  await t.waitForScreen(
    new RegExp(`instance\\.create\\s+${host}\\s+cancelled`),
    TASK_MS,
    'the deploy cancelled',
  );
  before = await t.screen();
  await t.keys('u');
  await confirm(t, host, before);
  const list = await t.waitForScreen(
    new RegExp(
      `instance\\.create\\s+${host}\\s+rolling-back\\s+rollback \\d+/\\d+ (undoing \\d+ |rolling back)`,
    ),
    TASK_MS,
    'the task list showing the rollback',
  );
  expect(list).not.toMatch(/rolling-back\s+\d+\/13 Wait for MaaS/);
  await t.keys('Escape');
  const hosts = await t.waitFor(
    (s) => /rollback \d+\/\d+/.test(rowOf(s, host)) && /↶ .*rollback/.test(s),
    STEP_MS,
    `${host}'s row and the task pane showing the rollback`,
  );
  expect(rowOf(hosts, host)).not.toMatch(/deploy \d+\/13/);
}, 420_000);
