import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import chalk from 'chalk';
import stringWidth from 'string-width';
import { fit } from '../../components/format.ts';
import { noColorFromEnv } from '../../components/theme.tsx';
import { clockTime } from '../../components/format.ts';
import { fakeCatalog, fakeTask, mount, NOW, staticFeed, tableLines } from './harness.tsx';

const level = chalk.level;
afterEach(() => {
  chalk.level = level;
  cleanup();
});

const COLOUR = /\u001B\[(3[0-7]|9[0-7]|38;)/; // a foreground colour escape

describe('terminal manners', () => {
  it('at 80x24 columns drop by priority to make room for the task and the instance', async () => {
    const h = await mount({ catalog: fakeCatalog(), taskFeed: staticFeed([fakeTask({ id: 't-run' })]) });
    const frame = h.frame();
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(80);
    const head = lines.find((l) => /^\s*HOST\s/.test(l))!;
    expect(head).toMatch(/HOST\s+STATUS\s+FOR\s+POWER\s+TASK\s+INSTANCE/);
    expect(head).not.toContain('MAC');
    expect(tableLines(frame).find((l) => l.includes('r01-n002'))).toContain('deploy 7/13');
  });

  it('at 80x24 with nothing running it shows ports and MACs', async () => {
    const h = await mount();
    expect(h.frame()).toMatch(/HOST\s+PORTS\s+MAC\s+STATUS\s+FOR\s+POWER/);
  });

  it('a wide terminal uses the room: rack pane, every column, the status message', async () => {
    const h = await mount(
      { catalog: fakeCatalog(), taskFeed: staticFeed([fakeTask({ id: 't-run' })]) },
      { columns: 200, rows: 50 },
    );
    // The task pane takes its share of the width beside the table; hidden (w), every column fits.
    expect(h.frame()).toMatch(/── tasks: 1 running/);
    await h.press('w');
    const frame = h.frame();
    expect(frame).not.toMatch(/── tasks: 1 running/);
    for (const l of frame.split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(200);
    expect(frame).toContain('all racks');
    expect(frame).toMatch(/HOST\s+PORTS\s+MAC\s+STATUS\s+FOR\s+POWER\s+TASK\s+INSTANCE\s+VLANS\s+MESSAGE/);
    expect(frame).toMatch(/vm-web\s+200,201/);
    expect(frame).toContain("Node operation 'Deploying' timed out");
  });

  it('NO_COLOR: no colour escape anywhere, while emphasis stays', async () => {
    chalk.level = 1;
    const coloured = await mount({ noColor: false });
    expect(coloured.frame()).toMatch(COLOUR);
    coloured.ui.unmount();
    cleanup();
    const plain = await mount({ noColor: true });
    expect(plain.frame()).not.toMatch(COLOUR);
    expect(plain.frame()).toContain('\u001B[1m'); // bold header
    await plain.press('?');
    expect(plain.frame()).not.toMatch(COLOUR);
    expect(noColorFromEnv({ NO_COLOR: '1' })).toBe(true);
    expect(noColorFromEnv({ NO_COLOR: '' })).toBe(false);
    expect(noColorFromEnv({})).toBe(false);
  });

  it('a dead peer is named in the header with since when, and the rows are marked stale', async () => {
    const h = await mount({
      peers: [{ name: 'runner', error: 'connect ECONNREFUSED /run/rackpilot.sock', since: NOW - 60_000 }],
    });
    h.source.listMachines = async () => {
      throw new Error('connect ETIMEDOUT 172.31.0.75:5240');
    };
    await h.inventory.refresh();
    await h.press('j');
    const frame = h.frame();
    expect(frame).toContain(`MaaS unreachable since ${clockTime(NOW)}: connect ETIMEDOUT`);
    expect(frame).toContain(`runner unreachable since ${clockTime(NOW - 60_000)}: connect ECONNREFUSED`);
    for (const row of tableLines(frame)) expect(row[1]).toBe('~');
  });

  it('pads and cuts by terminal cells, not code units', () => {
    expect(stringWidth(fit('ノード障害', 6))).toBe(6);
    expect(fit('ノード障害', 6)).toBe('ノー… ');
    expect(stringWidth(fit('abc', 6))).toBe(6);
    expect(fit('abcdefgh', 6)).toBe('abcde…');
  });

  it('says read-only in the header', async () => {
    const h = await mount({ readOnly: true });
    expect(h.frame()).toContain('[read-only]');
  });
});

describe('the status message at 120 columns and more', () => {
  for (const columns of [120, 140, 160]) {
    it(`${columns} columns, a running task on a host (its pane beside the table from 140): MESSAGE stays`, async () => {
      const h = await mount(
        { catalog: fakeCatalog(), taskFeed: staticFeed([fakeTask({ id: 't-run' })]) },
        { columns, rows: 36 },
      );
      const frame = h.frame();
      for (const l of frame.split('\n')) expect(stringWidth(l)).toBeLessThanOrEqual(columns);
      expect(frame).toMatch(/HOST\s.*TASK\s.*MESSAGE/);
      // The row of the host the task holds shows its task and, cut if need be, MaaS's message.
      const row = frame.split('\n').find((l) => /r01-n002 .*deploy 7\/13/.test(l));
      expect(row, frame).toBeDefined();
      expect(row).toMatch(/deploy 7\/13\s+Node operat/);
    });
  }
});
