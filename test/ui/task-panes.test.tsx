import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import stringWidth from 'string-width';
import type { TaskSource } from '../../components/Dashboard.tsx';
import type { LiveTaskSnapshot } from '../../state/runner-task-feed.ts';
import type { LogLine, Task } from '../../src/protocol/records.ts';
import { fakeTask, KEYS, mount, NOW } from './harness.tsx';

afterEach(() => cleanup());

const line = (sec: number, text: string, source?: LogLine['source'], level: LogLine['level'] = 'info') =>
  ({
    at: `2026-01-01T00:${String(Math.floor(sec / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}.000Z`,
    level,
    text,
    ...(source && { source }),
  }) satisfies LogLine;

/** A task source the test publishes to, as the runner feed does on each event. */
function liveFeed(tasks: readonly Task[]) {
  let snap: LiveTaskSnapshot = { tasks, refreshedAt: NOW, error: null };
  const listeners = new Set<() => void>();
  const source: TaskSource = {
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getSnapshot: () => snap,
  };
  return {
    source,
    publish(next: Partial<LiveTaskSnapshot>) {
      snap = { ...snap, ...next };
      for (const l of listeners) l();
    },
  };
}

const deploy = fakeTask({
  id: 't-deploy',
  target: { hostname: 'r01-n002' },
  createdAt: '2026-01-01T00:00:00.000Z',
  log: [
    line(1, 'step 1/13 Check constraints: started', 'engine'),
    line(2, 'allocating r01-n002 (abc)', 'maas'),
    line(3, 'switch tor-r01: 1/1/3 back to PXE VLAN', 'switch'),
    line(4, 'MaaS: Deploying - curtin started', 'maas'),
  ],
});
const power = fakeTask({
  id: 't-power',
  kind: 'host.power',
  target: { hostname: 'r02-n001' },
  createdAt: '2026-01-01T00:00:10.000Z',
  steps: [{ title: 'Power on', state: 'running', attempts: 1 }],
  log: [line(5, 'IPMI 10.0.1.1:623: Chassis Control 0x01 power up', 'ipmi')],
});
const destroy = fakeTask({
  id: 't-destroy',
  kind: 'instance.destroy',
  target: { hostname: 'r03-n001' },
  createdAt: '2026-01-01T00:00:20.000Z',
  steps: [
    { title: 'Power off', state: 'done', attempts: 1 },
    { title: 'ToR ports back to the PXE VLAN', state: 'running', attempts: 1 },
    { title: 'Release', state: 'pending', attempts: 0 },
  ],
  log: [line(6, 'switch tor-r03: 1/1/1 back to PXE VLAN', 'switch'), line(7, 'a note of the workflow')],
});
const THREE = [deploy, power, destroy];

/** Host rows: the lines under the table's header, above the task pane. */
function hostRows(frame: string): string[] {
  const lines = frame.split('\n');
  const head = lines.findIndex((l) => /^\s*HOST\s/.test(l));
  const pane = lines.findIndex((l) => l.includes('── tasks:'));
  return lines.slice(head + 1, pane < 0 ? undefined : pane).filter((l) => /^[ *][ ~]r0/.test(l));
}

function fits(frame: string, size: { columns: number; rows: number }) {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(size.rows);
  for (const l of lines) expect(stringWidth(l)).toBeLessThanOrEqual(size.columns);
}

describe('task panes', () => {
  it('80x24: several tasks under the table, which keeps 8 rows; = cycles the size, w hides and shows', async () => {
    const size = { columns: 80, rows: 24 };
    const h = await mount({ taskFeed: liveFeed(THREE).source }, size);
    let frame = h.frame();
    fits(frame, size);
    expect(frame).toContain('── tasks: 3 running · 0 recent');
    for (const host of ['r01-n002', 'r02-n001', 'r03-n001'])
      expect(frame.split('── tasks:')[1]).toContain(host);
    expect(hostRows(frame).length).toBeGreaterThanOrEqual(8);
    // Small: one line per task, with its step, a bar and the latest line tagged by source.
    expect(frame).toMatch(/▶ deploy 7\/13 r01-n002\s+[█░]+ /);
    expect(frame).toContain('maas MaaS: Deploying');

    const sizes = [frame];
    for (let i = 0; i < 3; i++) {
      await h.press('=');
      frame = h.frame();
      fits(frame, size);
      expect(hostRows(frame).length).toBeGreaterThanOrEqual(8);
      sizes.push(frame);
    }
    expect(sizes[3]).toBe(sizes[0]); // three sizes, then round again
    expect(new Set(sizes).size).toBeGreaterThan(1);

    const rowsWith = hostRows(h.frame()).length;
    await h.press('w');
    expect(h.frame()).not.toContain('── tasks:');
    expect(hostRows(h.frame()).length).toBeGreaterThan(rowsWith);
    await h.press('w');
    expect(h.frame()).toContain('── tasks: 3 running');
  });

  it('160x40: the pane goes beside the table, each task a card: steps, progress, MaaS status, latest line', async () => {
    const size = { columns: 160, rows: 40 };
    const progress = new Map([['t-deploy', { index: 6, fraction: 0.5, text: 'curtin 50%' }]]);
    const feed = liveFeed(THREE);
    feed.publish({ progress });
    const h = await mount({ taskFeed: feed.source }, size);
    const frame = h.frame();
    fits(frame, size);
    const lines = frame.split('\n');
    const title = lines.find((l) => l.includes('── tasks: 3 running'))!;
    expect(title).toMatch(/HOST|r0\d-n\d{3}/); // beside: host rows and the pane share lines
    expect(frame).toMatch(/▶ instance\.create r01-n002 7\/13\s+[█░]+\s+\S+/);
    expect(frame).toContain('✓✓✓✓✓✓▶······ step 7 (curtin 50%)');
    expect(frame).toMatch(/MaaS Failed deployment · maas MaaS: Deploy/);
    expect(frame).toContain('✓▶· ToR ports back to the PXE VLAN');
    expect(frame).toMatch(/MaaS Deploying · a note of the workflow/);
    const width = (f: string) =>
      f
        .split('\n')
        .find((l) => l.includes('── tasks:'))!
        .split('── tasks:')[1]!.length;
    const before = width(frame);
    await h.press('=');
    fits(h.frame(), size);
    expect(width(h.frame())).toBeGreaterThan(before);
  });

  it('W picks a task in the pane, enter opens its full pane, which follows the log as the feed publishes', async () => {
    const size = { columns: 100, rows: 30 };
    const feed = liveFeed(THREE);
    const h = await mount({ taskFeed: feed.source }, size);
    await h.press('W');
    expect(h.frame()).toContain('<task pane>');
    await h.press('j');
    await h.press(KEYS.enter);
    let frame = h.frame();
    expect(frame).toContain('<task t-power>');
    expect(frame).toContain('host.power r02-n001 t-power running');
    expect(frame).toMatch(/ipmi\s+IPMI 10\.0\.1\.1:623: Chassis Control 0x01 power up/);
    expect(frame).toContain('following');

    // New lines arrive: the newest is at the bottom, the oldest scroll away.
    const many = Array.from({ length: 40 }, (_, i) => line(10 + i, `MaaS: event ${i}`, 'maas'));
    feed.publish({ tasks: [deploy, { ...power, log: [...power.log, ...many] }, destroy] });
    await h.until('MaaS: event 39');
    frame = h.frame();
    fits(frame, size);
    const logLines = frame.split('\n').filter((l) => l.includes('MaaS: event'));
    expect(logLines.at(-1)).toContain('MaaS: event 39');
    expect(frame).not.toContain('MaaS: event 0 ');

    // Scrolled back it stays put while lines arrive; G follows again.
    await h.press('k');
    await h.press('k');
    expect(h.frame()).not.toContain('MaaS: event 39');
    expect(h.frame()).toContain('G follows');
    feed.publish({
      tasks: [
        deploy,
        { ...power, log: [...power.log, ...many, line(59, 'MaaS: event 40', 'maas')] },
        destroy,
      ],
    });
    await h.press('k');
    expect(h.frame()).not.toContain('MaaS: event 40');
    await h.press('G');
    await h.until('MaaS: event 40');
    expect(h.frame()).toContain('following');

    await h.press(KEYS.esc);
    expect(h.frame()).toContain('<task pane>');
    await h.press(KEYS.esc);
    expect(h.frame()).not.toContain('<task pane>');
  });

  it('enter on a task in the tasks view opens the same full pane, its steps listed', async () => {
    const h = await mount({ taskFeed: liveFeed(THREE).source }, { columns: 100, rows: 40 });
    await h.press('t');
    await h.press(KEYS.enter);
    const frame = h.frame();
    expect(frame).toMatch(/<task t-/);
    expect(frame).toContain('✓  1 step 1');
    expect(frame).toContain('▶  7 step 7');
    expect(frame).toMatch(/sw\s+switch tor-r01: 1\/1\/3 back to PXE VLAN/);
    expect(frame).toMatch(/eng\s+step 1\/13 Check constraints: started/);
    await h.press(KEYS.esc);
    expect(h.frame()).toContain('<tasks>');
  });
});

describe('@ command log', () => {
  it('every line sent to the gear, newest first, with time, host, task and source; / filters by host, ! inverts', async () => {
    const h = await mount({ taskFeed: liveFeed(THREE).source }, { columns: 100, rows: 24 });
    await h.press('@');
    let frame = h.frame();
    expect(frame).toContain('<command log>');
    const rows = frame.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(rows.map((l) => l.slice(0, 8))).toEqual([
      '00:00:06',
      '00:00:05',
      '00:00:04',
      '00:00:03',
      '00:00:02',
    ]);
    expect(rows[0]).toMatch(/^00:00:06 r03-n001\s+t-destroy\s+sw\s+switch tor-r03: 1\/1\/1 back to PXE VLAN/);
    expect(rows[1]).toMatch(/r02-n001\s+t-power\s+ipmi\s+IPMI 10\.0\.1\.1:623/);
    expect(rows[2]).toMatch(/r01-n002\s+t-deploy\s+maas\s+MaaS: Deploying/);
    // Not gear: the engine's lines and a workflow's own notes.
    expect(frame).not.toContain('Check constraints: started');
    expect(frame).not.toContain('a note of the workflow');

    await h.press('/');
    await h.type('r01');
    await h.press(KEYS.enter);
    frame = h.frame();
    const only = frame.split('\n').filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(only).toHaveLength(3);
    for (const l of only) expect(l).toContain('r01-n002');

    await h.press('/');
    await h.press(KEYS.backspace);
    await h.press(KEYS.backspace);
    await h.press(KEYS.backspace);
    await h.type('!r01');
    await h.press(KEYS.enter);
    const others = h
      .frame()
      .split('\n')
      .filter((l) => /^\d\d:\d\d:\d\d /.test(l));
    expect(others).toHaveLength(2);
    for (const l of others) expect(l).not.toContain('r01-n002');

    await h.press('/');
    for (let i = 0; i < 4; i++) await h.press(KEYS.backspace);
    await h.type('nohost');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('no line for hosts matching /nohost');
  });
});

describe('read-only', () => {
  it('keeps the panes, the full pane and the command log: they change nothing', async () => {
    const h = await mount({ taskFeed: liveFeed(THREE).source, readOnly: true }, { columns: 80, rows: 24 });
    expect(h.frame()).toContain('── tasks: 3 running');
    await h.press('=');
    await h.press('W');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('<task t-deploy>');
    expect(h.frame().split('\n').at(-1)).not.toMatch(/x cancel|c resume|u rollback/);
    await h.press('x'); // cancel is dangerous: nothing happens
    expect(h.frame()).not.toContain('Cancel task');
    await h.press('@');
    expect(h.frame()).toContain('<command log>');
    expect(h.frame()).toContain('t-destroy');
    await h.press(KEYS.esc);
    await h.press(KEYS.esc);
    await h.press(KEYS.esc);
    await h.press('w');
    expect(h.frame()).not.toContain('── tasks:');
  });
});

describe('a rollback shows as a rollback', () => {
  // A deploy that failed at step 7, rolled back: steps 7 and 6 undone, step 5 being undone.
  const rollingBack = fakeTask({
    id: 't-undo',
    target: { hostname: 'r01-n002' },
    state: 'rolling-back',
    createdAt: '2026-01-01T00:00:00.000Z',
    steps: Array.from({ length: 13 }, (_, i) => ({
      title: `step ${i + 1}`,
      state: i < 4 ? 'done' : i === 4 ? 'done' : i <= 6 ? 'undone' : 'pending',
      attempts: i <= 6 ? 1 : 0,
      ...(i >= 4 && i <= 6 && { undoStartedAt: '2026-01-01T00:00:30.000Z' }),
    })) as Task['steps'],
    log: [line(31, 'step 5/13 step 5: undo started', 'engine')],
  });

  it('in the row, the task pane and the task list: rollback N/M and the step being undone, never deploy 7/13', async () => {
    const h = await mount({ taskFeed: liveFeed([rollingBack]).source }, { columns: 200, rows: 40 });
    let frame = h.frame();
    const row = frame.split('\n').find((l) => /\br01-n002\b/.test(l) && !l.includes('instance.create'))!;
    expect(row).toContain('rollback 3/7');
    expect(frame).toMatch(/↶ instance\.create rollback r01-n002 3\/7\s+[█░]+/);
    expect(frame).toContain('✓✓✓✓✓↶↶······ undoing 5 step 5');
    expect(frame).not.toMatch(/deploy 7\/13|instance\.create r01-n002 7\/13|▶ instance\.create/);

    await h.press('t');
    frame = h.frame();
    expect(frame).toMatch(
      /t-undo\s+instance\.create\s+r01-n002\s+rolling-back\s+rollback 3\/7 undoing 5 step 5/,
    );
    expect(frame).toContain('↶  5 step 5 — undoing');
    await h.press(KEYS.enter);
    expect(h.frame()).toMatch(/rolling-back · rollback 3\/7 [█░]+ · /);
    expect(h.frame()).toContain('↶  5 step 5 — undoing');
    expect(h.frame()).toContain('↶  6 step 6\n');
  });
});
