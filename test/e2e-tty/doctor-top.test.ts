import { rmSync } from 'node:fs';
import { afterAll, afterEach, expect, it } from 'vitest';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { labEnv, newHome, openDashboard, STEP_MS } from './dashboard.ts';
import { closeAllTerminals } from './terminal.ts';

/**
 * The doctor's view opens at its top for every host, in a real terminal at 80x24: scrolled down on
 * one host, back to the table, the next host's reading starts with its state and its cause line.
 */
const home = newHome('doctor-top');

afterEach(async () => {
  await closeAllTerminals();
});

afterAll(async () => {
  await closeAllTerminals();
  await stopRunnersUnder(home);
  rmSync(home, { recursive: true, force: true });
});

const top = /doctor (r\d\d-n\d{3})[^\n]*\n\s*state\s/;

it('opens at its top for every host, whatever the last one was scrolled to', async () => {
  const t = await openDashboard(home, { env: labEnv(home), size: { cols: 80, rows: 24 } });
  await t.keys('D');
  const first = await t.waitForScreen(
    /doctor r\d\d-n\d{3}[\s\S]*likely cause/,
    STEP_MS,
    "the first host's doctor",
  );
  expect(first).toMatch(top);
  const host1 = first.match(top)![1]!;
  // Scroll far down: the state line leaves the screen.
  await t.keys(...Array.from({ length: 15 }, () => 'j'));
  await t.waitFor(
    (s) => !/\n\s*state\s/.test(s) && /lines \d+–/.test(s),
    STEP_MS,
    'the doctor scrolled down',
  );
  await t.keys('Escape');
  await t.waitForScreen(/HOST\s+.*STATUS/, STEP_MS, 'the host table again');
  await t.keys('j');
  await t.keys('D');
  const second = await t.waitFor(
    (s) => {
      const m = s.match(/doctor (r\d\d-n\d{3})/);
      return m !== null && m[1] !== host1 && /likely cause/.test(s);
    },
    STEP_MS,
    "the next host's doctor, read",
  );
  expect(second, 'the next host opens at its top').toMatch(top);
  expect(second).toMatch(/lines 1–/);
  await t.keys('q');
}, 240_000);
