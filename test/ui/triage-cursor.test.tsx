import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import chalk from 'chalk';
import stringWidth from 'string-width';
import { stripVTControlCharacters as stripAnsi } from 'node:util';
import { followRow } from '../../components/use-navigation.ts';
import { fakeActions, KEYS, mount, NOW, tick } from './harness.tsx';
import { triageOf, triageRow } from './trouble-fixtures.ts';

const level = chalk.level;
afterEach(() => {
  chalk.level = level;
  cleanup();
});

const SLOW = { keyWait: 40 };
const BIG = { columns: 120, rows: 50 };
const PGUP = '\u001B[5~';
const HOST = /r0\d-n0\d\d/;

/** The host on the inverse (highlighted) line: the cursor is drawn in inverse, so colour must be on. */
function highlighted(frame: string): string | undefined {
  const lines = frame.split('\n').filter((l) => l.includes('\u001B[7m'));
  expect(lines.length).toBeLessThanOrEqual(1);
  return lines[0] ? stripAnsi(lines[0]).match(HOST)?.[0] : undefined;
}

/** The triage's rows on screen, in order, by host. */
function shownHosts(frame: string): string[] {
  return stripAnsi(frame)
    .split('\n')
    .map((l) => l.match(new RegExp(`^${HOST.source}`))?.[0])
    .filter((h): h is string => h !== undefined);
}

/** A triage that answers `rows` as they are at each read. */
function mutableTriage(first: string[]) {
  let hosts = first;
  const fake = fakeActions({
    triage: () =>
      triageOf(
        hosts.map((h) => triageRow(h, 'Failed deployment', 1, null)),
        NOW,
      ),
  });
  const reads = () => fake.calls.filter((c) => c.method === 'triage').length;
  return { fake, reads, set: (next: string[]) => (hosts = next) };
}

async function openTriage(h: Awaited<ReturnType<typeof mount>>, count: number) {
  await h.press('T');
  await h.until(`${count} of 40 machines in a transitional or failed state`);
}

describe('the triage row cursor', () => {
  it('j/k and ↑↓ move a highlighted row; enter and D open its doctor; esc comes back to it', async () => {
    chalk.level = 1;
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, BIG, SLOW);
    await openTriage(h, 3);
    expect(highlighted(h.frame())).toBe('r01-n004');
    // Enter is said on the view's own last line, not in the footer (full at 80 columns).
    const lines = stripAnsi(h.frame()).split('\n');
    expect(lines.filter((l) => l.includes('⏎')).map((l) => l.trimEnd())).toEqual([
      "⏎ or D: the highlighted host's doctor · esc back",
    ]);
    expect(lines.at(-1)).toMatch(/↑↓\/jk move/);
    await h.press('j');
    expect(highlighted(h.frame())).toBe('r02-n007');
    await h.press(KEYS.down);
    expect(highlighted(h.frame())).toBe('r03-n002');
    await h.press('j'); // the last row: it stays
    expect(highlighted(h.frame())).toBe('r03-n002');
    await h.press('k');
    expect(highlighted(h.frame())).toBe('r02-n007');

    await h.press(KEYS.enter);
    await h.until('doctor r02-n007');
    expect(fake.calls.at(-1)).toEqual({ method: 'doctor', args: ['r02-n007'] });
    expect(stripAnsi(h.frame())).toContain('<hosts> <triage> <doctor>');
    await h.press(KEYS.esc);
    await h.until('3 of 40 machines');
    expect(highlighted(h.frame())).toBe('r02-n007');
    // Back on the triage, it reads again (the list as it is now), the cursor where it was.
    expect(fake.calls.filter((c) => c.method === 'triage').length).toBe(2);

    await h.press(KEYS.up);
    await h.press('D');
    await h.until('doctor r01-n004');
    expect(fake.calls.at(-1)).toEqual({ method: 'doctor', args: ['r01-n004'] });
    await h.press(KEYS.esc);
    await h.until('3 of 40 machines');
    expect(highlighted(h.frame())).toBe('r01-n004');

    // :doctor from the triage acts as D does there: on the highlighted host, esc back to the triage.
    await h.press('j');
    await h.press(':');
    await h.type('doctor');
    await h.press(KEYS.enter);
    await h.until('doctor r02-n007');
    expect(fake.calls.at(-1)).toEqual({ method: 'doctor', args: ['r02-n007'] });
    await h.press(KEYS.esc);
    await h.until('3 of 40 machines');
    expect(highlighted(h.frame())).toBe('r02-n007');
    // Twice esc: the host list, as before.
    await h.press(KEYS.esc);
    await h.until(/HOST\s+PORTS/);
  });

  it('read again and reordered, the cursor stays on its host; a host gone leaves it at its place, clamped', async () => {
    chalk.level = 1;
    const t = mutableTriage(['r01-n001', 'r01-n002', 'r01-n003', 'r01-n004']);
    const h = await mount({ actions: t.fake.actions }, BIG, SLOW);
    await openTriage(h, 4);
    await h.press('j');
    await h.press('j');
    expect(highlighted(h.frame())).toBe('r01-n003');

    const reread = async (next: string[]) => {
      t.set(next);
      const before = t.reads();
      await h.press('r');
      await h.until(`${next.length} of 40 machines`);
      for (let i = 0; i < 100 && shownHosts(h.frame()).join() !== next.join(); i++) await tick(10);
      expect(t.reads()).toBe(before + 1);
      expect(shownHosts(h.frame())).toEqual(next);
    };
    // Reordered: the same host, now first.
    await reread(['r01-n003', 'r01-n004', 'r01-n001', 'r01-n002']);
    expect(highlighted(h.frame())).toBe('r01-n003');
    await h.press(KEYS.enter);
    await h.until('doctor r01-n003');
    expect(t.fake.calls.at(-1)).toEqual({ method: 'doctor', args: ['r01-n003'] });
    await h.press(KEYS.esc);
    await h.until('4 of 40 machines');

    // Gone: the row now at its place; from then on the cursor follows that one.
    await h.press('j');
    expect(highlighted(h.frame())).toBe('r01-n004');
    await reread(['r01-n003', 'r01-n001', 'r01-n002']);
    expect(highlighted(h.frame())).toBe('r01-n001');
    await reread(['r01-n001', 'r01-n002', 'r01-n004']);
    expect(highlighted(h.frame())).toBe('r01-n001');
    // Gone from the last place of a shorter list: the new last row.
    await h.press('G');
    expect(highlighted(h.frame())).toBe('r01-n004');
    await reread(['r01-n001', 'r01-n002']);
    expect(highlighted(h.frame())).toBe('r01-n002');
    await h.press('D');
    await h.until('doctor r01-n002');
    expect(t.fake.calls.at(-1)).toEqual({ method: 'doctor', args: ['r01-n002'] });
  });

  it("an action typed in the doctor opened from the triage acts on the doctor's host, not the host list's", async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, BIG, SLOW);
    await openTriage(h, 3);
    await h.press('j');
    await h.press(KEYS.enter);
    await h.until('doctor r02-n007');
    await h.press(':');
    await h.type('power-on');
    await h.press(KEYS.enter);
    await h.until('Go ahead?');
    expect(h.frame()).toContain('power on r02-n007');
    expect(fake.calls.at(-1)).toEqual({
      method: 'planAction',
      args: [{ action: 'power', host: 'r02-n007', op: 'on' }],
    });
  });

  it('nothing in trouble: enter and D say so and read nothing', async () => {
    const t = mutableTriage([]);
    const h = await mount({ actions: t.fake.actions }, BIG, SLOW);
    await openTriage(h, 0);
    expect(h.frame()).toContain('nothing in trouble');
    await h.press(KEYS.enter);
    await h.until('no host in the triage');
    await h.press('D');
    expect(t.fake.calls.map((c) => c.method)).toEqual(['triage']);
  });

  for (const size of [
    { columns: 80, rows: 24 },
    { columns: 120, rows: 36 },
  ])
    it(`a list longer than the screen scrolls with the cursor at ${size.columns}x${size.rows}`, async () => {
      chalk.level = 1;
      const hosts = Array.from({ length: 33 }, (_, i) => `r01-n0${10 + i}`);
      const t = mutableTriage(hosts);
      const h = await mount({ actions: t.fake.actions }, size, SLOW);
      await openTriage(h, 33);
      const fits = () => {
        const lines = h.frame().split('\n');
        expect(lines.length).toBeLessThanOrEqual(size.rows);
        for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(size.columns);
      };
      fits();
      const first = shownHosts(h.frame());
      const room = first.length;
      expect(room).toBeGreaterThan(3);
      expect(room).toBeLessThan(33);
      expect(first).toEqual(hosts.slice(0, room));
      expect(stripAnsi(h.frame())).toContain(`hosts 1–${room} of 33 · ⏎ or D: the highlighted host's doctor`);
      expect(highlighted(h.frame())).toBe(hosts[0]);

      // The cursor past the window's foot: the window follows it by one row.
      for (let i = 0; i < room; i++) await h.press('j');
      expect(highlighted(h.frame())).toBe(hosts[room]);
      expect(shownHosts(h.frame())).toEqual(hosts.slice(1, room + 1));
      fits();
      await h.press(KEYS.enter);
      await h.until(`doctor ${hosts[room]}`);
      await h.press(KEYS.esc);
      await h.until('33 of 40 machines');
      expect(highlighted(h.frame())).toBe(hosts[room]);
      expect(shownHosts(h.frame())).toEqual(hosts.slice(1, room + 1));

      // End, a page up (one window of rows), Home.
      await h.press('G');
      expect(highlighted(h.frame())).toBe(hosts[32]);
      expect(shownHosts(h.frame())).toEqual(hosts.slice(33 - room));
      expect(stripAnsi(h.frame())).toContain(`hosts ${34 - room}–33 of 33`);
      fits();
      await h.press(PGUP);
      expect(highlighted(h.frame())).toBe(hosts[32 - room]);
      expect(shownHosts(h.frame())).toContain(hosts[32 - room]);
      await h.press(KEYS.pgdn);
      expect(highlighted(h.frame())).toBe(hosts[32]);
      await h.press('g');
      expect(highlighted(h.frame())).toBe(hosts[0]);
      expect(shownHosts(h.frame())).toEqual(hosts.slice(0, room));
    });
});

describe('followRow', () => {
  it('finds the row by key, else keeps the place within the rows', () => {
    expect(followRow(['a', 'b', 'c'], 'c', 0)).toBe(2);
    expect(followRow(['a', 'b', 'c'], 'x', 1)).toBe(1);
    expect(followRow(['a', 'b'], 'x', 5)).toBe(1);
    expect(followRow(['a', 'b'], undefined, 1)).toBe(1);
    expect(followRow([], 'a', 3)).toBe(0);
  });
});
