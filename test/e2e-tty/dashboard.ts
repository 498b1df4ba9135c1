import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import stringWidth from 'string-width';
import { afterAll, afterEach } from 'vitest';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { closeAllTerminals, rackpilot, startTerminal, type Size, type Terminal } from './terminal.ts';

/**
 * The operator's moves on the real dashboard, shared by the terminal tests: each waits for what the
 * screen shows before the next key, as a person would, and fails with the screen it last saw.
 */

/** Generous but bounded: the machine has 2 cores and CI may be loaded. */
export const FIRST_SCREEN_MS = 90_000;
export const STEP_MS = 20_000;
export const TASK_MS = 150_000;

/** A fresh operator account: HOME (and with it the store, the runner and the lab) in a temp dir. */
export function newHome(label: string): string {
  return mkdtempSync(join(tmpdir(), `rp-tty-${label}-`));
}

/**
 * The operator account of a test file: its terminals close after each test; after the file, its
 * runners stop and the HOME goes, whatever happened.
 */
export function testHome(label: string): string {
  const home = newHome(label);
  afterEach(async () => {
    await closeAllTerminals();
  });
  afterAll(async () => {
    await closeAllTerminals();
    await stopRunnersUnder(home);
    rmSync(home, { recursive: true, force: true });
  });
  return home;
}

/** The env of a dashboard on the built-in lab: fast lab time, a quick erase on release. */
export function labEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: home,
    RACKPILOT_TIME_SCALE: '0.02',
    // A full erase is two hours of lab time (2.4 min at this scale); quick is one minute.
    RACKPILOT_ERASE_MODE: 'quick',
    ...extra,
  };
}

/** Starts `rackpilot [args]` in a terminal and waits for the host table. */
export async function openDashboard(
  home: string,
  opts: { args?: string[]; env?: Record<string, string>; size?: Size } = {},
): Promise<Terminal> {
  const t = await startTerminal({
    cmd: rackpilot(...(opts.args ?? [])),
    env: opts.env ?? labEnv(home),
    size: opts.size ?? { cols: 120, rows: 36 },
  });
  await waitForTable(t);
  return t;
}

export async function waitForTable(t: Terminal): Promise<string> {
  return t.waitForScreen(/HOST\s+.*STATUS[\s\S]*r01-n001[\s\S]*q quit/, FIRST_SCREEN_MS, 'the host table');
}

const HOST_RE = /\b(r\d\d-n\d{3})\b/;

/** The host rows on the screen, in order: [hostname, the whole line]. */
export function hostRows(screen: string): [string, string][] {
  const rows: [string, string][] = [];
  for (const line of screen.split('\n')) {
    const m = line.match(HOST_RE);
    if (m) rows.push([m[1]!, line]);
  }
  return rows;
}

/** A host row in a given MaaS status: HOST, ports, (MAC,) then the status. */
export function rowStatus(host: string, status: string): RegExp {
  return new RegExp(`${host}\\s+\\S+\\s+(?:\\S+\\s+)?${status}(?:\\s|$)`, 'm');
}

/** The line of the screen that is `host`'s row (or ''). */
export function rowOf(screen: string, host: string): string {
  return hostRows(screen).find(([h]) => h === host)?.[1] ?? '';
}

/** The selected host: its row is drawn in inverse video (SGR 7), which plain text cannot show. */
export function selectedHost(styled: string): string | null {
  for (const line of styled.split('\n')) {
    const m = line.match(/\u001b\[(?:\d+;)*7m[^\u001b]*?\b(r\d\d-n\d{3})\b/);
    if (m) return m[1]!;
  }
  return null;
}

/**
 * Moves the selection with `j` to the first Ready host below the first row (so the move is really
 * made with keys) and returns its name. Each `j` waits until the dashboard has drawn the selection
 * on the next row: a key sent before that frame would act on the host selected before (see the
 * report on key bursts), as a person who looks before pressing never does.
 */
export async function selectReadyHost(t: Terminal): Promise<string> {
  const screen = await t.screen();
  const rows = hostRows(screen);
  const i = rows.findIndex(([h, line], i) => i >= 1 && rowStatus(h, 'Ready').test(line));
  if (i < 0) throw new Error(`no Ready host on the screen:\n${screen}`);
  for (let n = 1; n <= i; n++) {
    await t.keys('j');
    const want = rows[n]![0];
    const deadline = Date.now() + STEP_MS;
    while (selectedHost(await t.styledScreen()) !== want) {
      if (Date.now() > deadline) {
        throw new Error(`the selection did not reach ${want}; the screen:\n${await t.screen()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return rows[i]![0];
}

/** Waits for the screen to change from `before` (a key took effect). */
export async function waitForChange(t: Terminal, before: string, what: string): Promise<string> {
  return t.waitFor((s) => s !== before, STEP_MS, what);
}

/**
 * The deploy form from the keyboard, on the selected host: `d`, the first offering, the first
 * template, the first network (space, enter), the proposed name, no user data. Returns the screen
 * with the plan, before confirming.
 */
export async function fillDeployForm(t: Terminal, host: string): Promise<string> {
  await t.keys('d');
  await t.waitForScreen(
    new RegExp(`Deploy on ${host}[\\s\\S]*offering[\\s│]*\\n[\\s\\S]*❯`),
    STEP_MS,
    `the deploy form on ${host}, offering list`,
  );
  await t.keys('Enter');
  await t.waitForScreen(/template[\s│]*\n[\s\S]*❯ \S+\s+ubuntu\//, STEP_MS, 'the template list');
  await t.keys('Enter');
  const networks = await t.waitForScreen(/space picks[\s\S]*❯ \S+\s+VLAN/, STEP_MS, 'the network list');
  await t.keys('Space');
  await waitForChange(t, networks, 'the first network picked');
  await t.keys('Enter');
  await t.waitForScreen(new RegExp(`instance name: ${host}-vm`), STEP_MS, 'the proposed instance name');
  await t.keys('Enter');
  await t.waitForScreen(/user-data file/, STEP_MS, 'the user-data prompt');
  await t.keys('Enter');
  return t.waitForScreen(/plan: \d+ steps[\s\S]*Deploy\? y\/N/, STEP_MS, 'the plan and its confirmation');
}

/** Confirms the plan and returns the task id the footer reports. */
export async function confirmDeploy(t: Terminal, host: string): Promise<string> {
  await t.keys('y');
  const s = await t.waitForScreen(
    new RegExp(`${host}-vm: ${host} → task (t-[0-9a-f]+)`),
    STEP_MS,
    'the deploy task id in the footer',
  );
  return s.match(/→ task (t-[0-9a-f]+)/)![1]!;
}

/** A task's line in the tasks view (`t`): id, kind, host, state. */
export function taskLine(id: string, host: string, state: string): RegExp {
  return new RegExp(`${id}\\s+\\S+\\s+${host}\\s+${state}\\b`);
}

/** Lines wider than `cols` cells (string-width), with their width. */
export function overlong(screen: string, cols: number): string[] {
  return screen
    .split('\n')
    .filter((l) => stringWidth(l) > cols)
    .map((l) => `${stringWidth(l)}: ${l}`);
}
