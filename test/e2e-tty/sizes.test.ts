import { rmSync } from 'node:fs';
import { afterAll, afterEach, expect, it } from 'vitest';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { hostRows, newHome, openDashboard, overlong, STEP_MS } from './dashboard.ts';
import type { Terminal } from './terminal.ts';
import { closeAllTerminals } from './terminal.ts';

/**
 * Terminal manners in a real terminal: at 80x24 the whole dashboard fits (header, table, footer,
 * no line wider than the terminal); a 200-column terminal gets more columns; resizing follows.
 */
const home = newHome('sizes');

afterEach(async () => {
  await closeAllTerminals();
});

afterAll(async () => {
  await closeAllTerminals();
  await stopRunnersUnder(home);
  rmSync(home, { recursive: true, force: true });
});

/** The table's column titles, from HOST on (the rack pane's titles come before it). */
function columns(screen: string): string[] {
  const header = screen.split('\n').find((l) => /\bHOST\b.*\bSTATUS\b/.test(l)) ?? '';
  return header.slice(header.indexOf('HOST')).trim().split(/\s+/);
}

function expectFits(screen: string, cols: number, rows: number) {
  const lines = screen.split('\n');
  expect(overlong(screen, cols), screen).toEqual([]);
  expect(lines.length, screen).toBeLessThanOrEqual(rows);
  expect(lines[0], 'the header').toMatch(/^rackpilot MaaS http:\/\/127\.0\.0\.1:\d+\/MAAS \[lab\]/);
  expect(lines[1], 'the status counts').toMatch(/^40 hosts · Ready \d+/);
  expect(columns(screen), 'the table header').toEqual(expect.arrayContaining(['HOST', 'STATUS', 'POWER']));
  expect(hostRows(screen).length, 'host rows').toBeGreaterThanOrEqual(rows - 10);
  expect(lines.at(-1), 'the footer, on the last line').toMatch(/↑↓\/jk move.*\? help\s+q quit$/);
}

async function sized(t: Terminal, cols: number, rows: number, what: string): Promise<string> {
  // The last row is the footer once Ink has redrawn for the new size.
  return t.waitFor(
    (s) => s.split('\n').length === rows && /q quit$/.test(s) && overlong(s, cols).length === 0,
    STEP_MS,
    what,
  );
}

it('fits 80x24, uses a 200-column terminal, and follows a resize', async () => {
  const t = await openDashboard(home, { size: { cols: 80, rows: 24 } });
  const narrow = await sized(t, 80, 24, 'the dashboard at 80x24');
  expectFits(narrow, 80, 24);

  await t.resize({ cols: 200, rows: 50 });
  const wide = await t.waitFor(
    (s) => columns(s).length > columns(narrow).length && /q quit$/.test(s),
    STEP_MS,
    'more columns at 200x50',
  );
  expectFits(await sized(t, 200, 50, 'the dashboard at 200x50'), 200, 50);
  expect(columns(wide)).toEqual(expect.arrayContaining(columns(narrow)));
  // The rack pane beside the table.
  expect(wide).toMatch(/^RACK\s+SWITCH\s+HOSTS\s+HOST/m);

  await t.resize({ cols: 80, rows: 24 });
  const back = await t.waitFor(
    (s) => columns(s).length === columns(narrow).length,
    STEP_MS,
    'the narrow columns again',
  );
  expectFits(await sized(t, 80, 24, 'the dashboard at 80x24 again'), 80, 24);
  expect(columns(back)).toEqual(columns(narrow));

  await t.keys('q');
  await t.waitForExit();
}, 180_000);

it('starts at 200 columns with more columns than at 80', async () => {
  const t = await openDashboard(home, { size: { cols: 200, rows: 40 } });
  const wide = await sized(t, 200, 40, 'the dashboard at 200x40');
  expectFits(wide, 200, 40);
  expect(columns(wide).length).toBeGreaterThan(6);
  await t.keys('q');
  await t.waitForExit();
}, 120_000);
