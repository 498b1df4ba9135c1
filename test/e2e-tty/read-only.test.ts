import { rmSync } from 'node:fs';
import { afterAll, afterEach, expect, it } from 'vitest';
import { KEY_ACTIONS } from '../../components/keys.ts';
import { cli } from '../runner/cli-process.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { labEnv, newHome, openDashboard, STEP_MS, waitForChange } from './dashboard.ts';
import { closeAllTerminals, type Terminal } from './terminal.ts';

/**
 * A read-only client in a real terminal (`--read-only` or RACKPILOT_READ_ONLY=1): no key, footer
 * hint, help line or command starts a change, and the runner refuses the CLI's changes itself.
 * Checked against the key registry: every dangerous action must be absent, every other present.
 */
const home = newHome('ro');
const dangerous = KEY_ACTIONS.filter((a) => a.dangerous);
const safe = KEY_ACTIONS.filter((a) => !a.dangerous);
/** Enough of a label to find its help line (labels may be cut at the terminal's edge). */
const labelStart = (label: string) => label.slice(0, 24);

afterEach(async () => {
  await closeAllTerminals();
});

afterAll(async () => {
  await closeAllTerminals();
  await stopRunnersUnder(home);
  rmSync(home, { recursive: true, force: true });
});

function footer(screen: string): string {
  return screen.split('\n').at(-1) ?? '';
}

function expectNoDangerousHint(screen: string, where: string) {
  for (const a of dangerous) {
    if (a.footer) expect(footer(screen), `${where}: footer hint of ${a.id}`).not.toContain(a.footer);
  }
}

/** The whole help, page by page (ctrl-f) until a page adds nothing, as one text. */
async function helpText(t: Terminal): Promise<string> {
  await t.keys('?');
  let page = await t.waitForScreen(/Keys \(esc closes/, STEP_MS, 'the help');
  const pages = [page];
  for (let n = 0; n < 10; n++) {
    await t.keys('C-f');
    const before = page;
    page = await t.waitFor((s) => s !== before, 1_500, 'the next help page').catch(() => before);
    if (page === before) break;
    pages.push(page);
  }
  await t.keys('Escape');
  return pages.join('\n');
}

async function checkReadOnlyDashboard(t: Terminal, how: string) {
  const hosts = await t.screen();
  expect(hosts.split('\n')[0], 'the header says so').toMatch(/\[read-only\]/);
  expectNoDangerousHint(hosts, `${how}, hosts`);
  expect(footer(hosts)).toContain('? help');

  // `d` does nothing: the next key (`?`) opens the help, no deploy form ever shows.
  await t.keys('d');
  await new Promise((r) => setTimeout(r, 500));
  const help = await helpText(t);
  expect(help).not.toMatch(/Deploy on/);
  for (const a of safe) expect(help, `${how}: help line of ${a.id}`).toContain(labelStart(a.label));
  for (const a of dangerous) {
    expect(help, `${how}: help line of ${a.id}`).not.toContain(labelStart(a.label));
    if (a.command) expect(help, `${how}: command :${a.command}`).not.toContain(`(:${a.command})`);
  }
  await t.waitForScreen(/HOST\s+.*STATUS/, STEP_MS, 'the hosts again');

  // ctrl-d asks nothing.
  await t.keys('C-d');
  await new Promise((r) => setTimeout(r, 500));
  expect(await t.screen()).not.toMatch(/Type \S+ to confirm/);

  // The command bar has no :deploy either.
  const before = await t.screen();
  await t.keys(':');
  await waitForChange(t, before, 'the command bar');
  await t.type('deploy');
  await t.keys('Enter');
  await new Promise((r) => setTimeout(r, 800));
  expect(await t.screen()).not.toMatch(/Deploy on/);
  await t.keys('Escape');

  // The tasks view offers no resume, rollback or cancel.
  await t.keys('t');
  const tasks = await t.waitForScreen(/<tasks>/, STEP_MS, 'the tasks view');
  expectNoDangerousHint(tasks, `${how}, tasks`);

  await t.keys('q');
  await t.waitForExit();
}

it('rackpilot --read-only: no dangerous key, hint, help line or command', async () => {
  const t = await openDashboard(home, { args: ['--read-only'] });
  await checkReadOnlyDashboard(t, '--read-only');
}, 180_000);

it('RACKPILOT_READ_ONLY=1: the same', async () => {
  const t = await openDashboard(home, { env: labEnv(home, { RACKPILOT_READ_ONLY: '1' }) });
  await checkReadOnlyDashboard(t, 'RACKPILOT_READ_ONLY=1');
}, 180_000);

it('the runner refuses a read-only CLI deploy, and no task is started', async () => {
  const deploy = [
    'deploy',
    'ro-vm',
    '--offering',
    '64c-256g',
    '--template',
    'jammy',
    '--network',
    'tenant-a',
    '--yes',
  ];
  const flag = await cli(['--read-only', ...deploy], labEnv(home));
  expect(flag.code, flag.err).toBe(1);
  expect(flag.err).toMatch(/instance\.create is refused: this client is read-only/);
  const envVar = await cli(deploy, labEnv(home, { RACKPILOT_READ_ONLY: '1' }));
  expect(envVar.code, envVar.err).toBe(1);
  expect(envVar.err).toMatch(/instance\.create is refused: this client is read-only/);
  const tasks = await cli(['tasks', '--all', '--json'], labEnv(home));
  expect(tasks.code, tasks.err).toBe(0);
  expect(JSON.parse(tasks.out)).toEqual([]);
}, 120_000);
