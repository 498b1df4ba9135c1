import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import type { ConsoleListener, ConsoleSource, ConsoleState } from '../../state/runner-console.ts';
import { consolePaneLayout } from '../../components/console-pane.ts';
import { fakeActions, fakeCatalog, mount } from './harness.tsx';

afterEach(() => cleanup());

/** A console source that prints one line per host watched, and records who watches what. */
function fakeConsoles() {
  const watching = new Map<string, ConsoleListener>();
  const source: ConsoleSource = {
    watch(host, listener) {
      watching.set(host, listener);
      const state: ConsoleState = { host, state: 'open', keyboard: 'none', viewers: 1 };
      setImmediate(() => {
        listener.state(state);
        listener.data(Buffer.from(`Ubuntu 22.04.4 LTS ${host} ttyS0\r\n\r\n${host} login: `));
      });
      return () => watching.delete(host);
    },
    keyboard: async (host) => ({ host, state: 'open', keyboard: 'you', viewers: 1 }),
    input: async () => undefined,
  };
  return { source, watching };
}

describe("the console in the task pane's place (V)", () => {
  it('at 80x24: under the host table (which keeps its rows), following the selected host, V again gives the tasks back', async () => {
    const consoles = fakeConsoles();
    const h = await mount({
      actions: fakeActions().actions,
      catalog: fakeCatalog(),
      console: consoles.source,
    });
    await h.press('V');
    await h.until('console r01-n001 · open · 1 watching · v to type');
    await h.until('r01-n001 login:');
    const lines = h.frame().split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    const head = lines.findIndex((l) => l.startsWith('console r01-n001'));
    // The table's header and its 8 rows stand above the console.
    expect(lines.slice(0, head).filter((l) => /^\s+r\d\d-n\d\d\d /.test(l)).length).toBe(8);
    expect([...consoles.watching.keys()]).toEqual(['r01-n001']);

    await h.press('j');
    await h.until('console r01-n002');
    expect([...consoles.watching.keys()]).toEqual(['r01-n002']);

    await h.press('V');
    await h.until(/^(?![\s\S]*console r01-n002)/);
    expect(consoles.watching.size).toBe(0);
  });

  it('a console another jump host holds: its relayed lines, read-only, naming that jump host', async () => {
    const source: ConsoleSource = {
      watch(host, listener) {
        setImmediate(() => {
          listener.state({
            host,
            state: 'elsewhere',
            heldBy: 'jump host jh-2 (runner jh-2/pid-42-a1b2c3, since 2026-12-06T16:05:04.587Z)',
            error: 'held by jump host jh-2 (runner jh-2/pid-42-a1b2c3, since 2026-12-06T16:05:04.587Z)',
            keyboard: 'none',
            viewers: 1,
          });
          listener.data(Buffer.from('Boot failed: not a bootable disk\r\n\r\nNo bootable device.\r\n'));
        });
        return () => undefined;
      },
      keyboard: async () => {
        throw new Error('not reached');
      },
      input: async () => undefined,
    };
    const h = await mount({ actions: fakeActions().actions, catalog: fakeCatalog(), console: source });
    await h.press('V');
    await h.until('console r01-n001 · relayed from jump host jh-2 · read-only (type there)');
    await h.until('No bootable device.');
  });

  it('goes beside the table on wide terminals, and nowhere when the table has no room to spare', () => {
    expect(consolePaneLayout({ columns: 160, width: 130, bodyHeight: 30 })).toMatchObject({
      placement: 'beside',
      width: 65,
    });
    expect(consolePaneLayout({ columns: 80, width: 80, bodyHeight: 20 })).toMatchObject({
      placement: 'under',
      height: 11,
    });
    expect(consolePaneLayout({ columns: 80, width: 80, bodyHeight: 12 }).placement).toBe('none');
  });
});
