import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import type { Key } from 'ink';
import {
  actionFor,
  ALL_VIEWS,
  KEY_ACTIONS,
  keyName,
  type ActionId,
  type KeyHandlers,
  type TaskActionId,
  type View,
} from '../../components/keys.ts';
import { keyTableMarkdown } from '../../components/key-text.ts';
import { commandTable, completeCommand } from '../../components/command-bar.ts';
import { fakeActions, fakeCatalog, fakeTask, KEYS, mount, staticFeed, tick } from './harness.tsx';

afterEach(() => cleanup());

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** Every printable key, every ctrl letter and the special keys, as a terminal sends them. */
const SEQUENCES: { seq: string; name: string }[] = [
  ...Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i)).map((c) => ({
    seq: c,
    name: c === ' ' ? 'space' : c,
  })),
  // Not ctrl-c (quits), ctrl-h/i/j/m: terminals send those as backspace, tab, newline and enter.
  ...'abdefgklnopqrstuvwxyz'.split('').map((c) => ({
    seq: String.fromCharCode(c.charCodeAt(0) - 96),
    name: `ctrl-${c}`,
  })),
  { seq: KEYS.up, name: 'up' },
  { seq: KEYS.down, name: 'down' },
  { seq: KEYS.left, name: 'left' },
  { seq: KEYS.right, name: 'right' },
  { seq: '\u001B[5~', name: 'pgup' },
  { seq: KEYS.pgdn, name: 'pgdn' },
  { seq: '\u001B[H', name: 'home' },
  { seq: '\u001B[F', name: 'end' },
  { seq: KEYS.tab, name: 'tab' },
  { seq: '\u001B[Z', name: 'shift-tab' },
  { seq: KEYS.enter, name: 'enter' },
  { seq: KEYS.backspace, name: 'backspace' },
  { seq: '\u001B[3~', name: 'delete' },
  { seq: KEYS.esc, name: 'esc' },
];

const FIXTURE = () => {
  const fake = fakeActions({ hold: true });
  return {
    fake,
    props: {
      actions: fake.actions,
      catalog: fakeCatalog(),
      taskFeed: staticFeed([fakeTask({ id: 't-run' }), fakeTask({ id: 't-old', state: 'failed' })]),
    },
  };
};

/** Reaches a view from a fresh dashboard. */
const REACH: Partial<Record<View, string[]>> = {
  hosts: [],
  detail: [KEYS.enter],
  tasks: ['t'],
  racks: [':', ...'racks', KEYS.enter],
  help: ['?'],
  pane: ['W'],
  task: ['t', KEYS.enter],
  commandlog: ['@'],
  doctor: ['D'],
  inspect: ['I'],
  cabling: [':', ...'racks', KEYS.enter, 'C'],
  triage: ['T'],
};

describe('the key registry', () => {
  it('names every key as the registry spells it', () => {
    expect(keyName('j', NO_KEY)).toBe('j');
    expect(keyName('G', { ...NO_KEY, shift: true })).toBe('G');
    expect(keyName(' ', NO_KEY)).toBe('space');
    expect(keyName('d', { ...NO_KEY, ctrl: true })).toBe('ctrl-d');
    expect(keyName('', { ...NO_KEY, tab: true, shift: true })).toBe('shift-tab');
    expect(keyName('', { ...NO_KEY, return: true })).toBe('enter');
  });

  it('has no key bound twice in one view, and every action has a key', () => {
    for (const view of ALL_VIEWS) {
      const seen = new Map<string, string>();
      for (const a of KEY_ACTIONS.filter((e) => e.views.includes(view))) {
        expect(a.keys.length).toBeGreaterThan(0);
        for (const k of a.keys) {
          expect(seen.get(k), `${k} in ${view}: ${seen.get(k)} and ${a.id}`).toBeUndefined();
          seen.set(k, a.id);
        }
      }
    }
  });

  it('every key that does something in a view is declared for that view', async () => {
    for (const [view, path] of Object.entries(REACH) as [View, string[]][]) {
      // A fresh dashboard for each key that changed something; the same one while keys do nothing.
      let h: Awaited<ReturnType<typeof mount>> | null = null;
      let fake: ReturnType<typeof fakeActions> | null = null;
      const acted: string[] = [];
      for (const { seq, name } of SEQUENCES) {
        if (seq === 'q') continue; // quits: covered by the q test
        if (!h) {
          const fixture = FIXTURE();
          fake = fixture.fake;
          h = await mount(fixture.props);
          for (const k of path) await h.press(k);
        }
        const before = h.frame();
        // Opening the doctor or an inspection reads through the actions: only calls a key makes count.
        const calls = fake!.calls.length;
        await h.press(seq);
        if (h.frame() !== before || fake!.calls.length > calls) {
          acted.push(name);
          expect(
            actionFor(name, view, false),
            `key ${name} acts in the ${view} view but is not in the registry`,
          ).toBeDefined();
          h.ui.unmount();
          cleanup();
          h = null;
        }
      }
      h?.ui.unmount();
      // The probe is not vacuous: the view's own keys were seen acting.
      if (view === 'hosts')
        expect(acted).toEqual(expect.arrayContaining(['j', 'd', 'enter', '/', ':', 'O', 'ctrl-d']));
      if (view === 'tasks') expect(acted).toEqual(expect.arrayContaining(['u', 'x', 'esc']));
      if (view === 'doctor') expect(acted).toEqual(expect.arrayContaining(['1', 'r', 'esc']));
      if (view === 'inspect') expect(acted).toEqual(expect.arrayContaining(['R', 'r', 'esc']));
    }
  }, 300_000);

  // The checks that matter here are the typecheck's: each @ts-expect-error fails `npm run
  // typecheck` the day the handler tables stop refusing a missing or an unknown handler.
  it('ties each entry to exactly one handler, by type', () => {
    const none = () => undefined;
    // @ts-expect-error a section's table without the handler of one of its entries
    const missing: KeyHandlers<TaskActionId> = { resume: none, rollback: none };
    // @ts-expect-error a handler for no entry of the section
    const unknown: KeyHandlers<TaskActionId> = { resume: none, rollback: none, cancel: none, retry: none };
    // @ts-expect-error an id the registry does not have
    const stray: ActionId = 'retry';
    void [missing, unknown, stray];
    // One entry per id: a table keyed by id cannot hold two handlers for one.
    const ids: ActionId[] = KEY_ACTIONS.map((a) => a.id);
    expect(new Set(ids).size).toBe(KEY_ACTIONS.length);
  });

  it("the README's key table is the one generated from the registry", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const start = readme.indexOf('## Dashboard keys');
    expect(start, 'README has a "## Dashboard keys" section').toBeGreaterThanOrEqual(0);
    const section = readme.slice(start);
    const table = section.slice(section.indexOf('| key |'));
    const end = table.search(/\n(?!\|)/);
    expect(table.slice(0, end + 1)).toBe(keyTableMarkdown());
  });
});

describe('read-only mode', () => {
  const dangerous = KEY_ACTIONS.filter((a) => a.dangerous);

  it('has dangerous actions to hide', () => {
    expect(dangerous.map((a) => a.id)).toEqual(
      expect.arrayContaining(['deploy', 'destroy', 'powerOff', 'resume', 'rollback', 'cancel']),
    );
  });

  it('every dangerous key does nothing, and no dangerous label is in help, footer or command bar', async () => {
    for (const a of dangerous) {
      for (const view of a.views) {
        const path = REACH[view];
        if (!path) continue;
        for (const key of a.keys) {
          const seq = SEQUENCES.find((s) => s.name === key)!.seq;
          const { fake, props } = FIXTURE();
          const h = await mount({ ...props, readOnly: true });
          for (const k of path) await h.press(k);
          const before = h.frame();
          const reads = fake.calls.length;
          await h.press(seq);
          expect(h.frame(), `${key} (${a.id}) in ${view}`).toBe(before);
          expect(fake.calls.slice(reads)).toEqual([]);
          h.ui.unmount();
          cleanup();
        }
      }
    }
    const { props } = FIXTURE();
    const h = await mount({ ...props, readOnly: true }, { columns: 160, rows: 80 });
    await h.press('?');
    const help = h.frame();
    expect(help).toContain('read-only');
    for (const a of dangerous) expect(help).not.toContain(a.label);
    for (const a of KEY_ACTIONS.filter((e) => !e.dangerous)) expect(help).toContain(a.label);
    await h.press(KEYS.esc);
    for (const view of ['hosts', 'tasks'] as const) {
      if (view === 'tasks') await h.press('t');
      const footer = h.frame().split('\n').at(-1)!;
      for (const a of dangerous) if (a.footer) expect(footer).not.toContain(a.footer);
    }
    const commands = [...commandTable(true).keys()];
    // The doctor's numbered fixes have no command: a key per fix of the reading on screen.
    for (const a of dangerous.filter((d) => d.command)) {
      expect(commands).not.toContain(a.command);
      expect(completeCommand(a.command!.slice(0, 2), true).candidates).not.toContain(a.command);
    }
  }, 60_000);

  it('a command read-only hides is named as hidden, not as unknown', async () => {
    const { props } = FIXTURE();
    const h = await mount({ ...props, readOnly: true }, { columns: 160, rows: 40 });
    for (const word of ['destroy', 'power-on']) {
      await h.press(':');
      await h.type(word);
      await h.press(KEYS.enter);
      expect(h.frame()).toContain(`:${word} is hidden in read-only mode`);
    }
    await h.press(':');
    await h.type('powr-on');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain(':powr-on: no such command');
  });

  it('the same keys do act when not read-only', async () => {
    const { props } = FIXTURE();
    const h = await mount(props);
    await h.press('O');
    await h.until('Type r01-n001 to confirm');
    expect(h.frame()).toContain('power off r01-n001');
    await tick();
  });
});
