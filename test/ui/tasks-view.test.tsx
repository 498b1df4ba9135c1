import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Dashboard } from '../../components/Dashboard.tsx';
import { Inventory } from '../../bench/support/polled-inventory.ts';
import { openStore, readStore } from '../../src/runner/store/store.ts';
import { orderTasks } from '../../src/protocol/task-states.ts';
import { TaskEngine } from '../../src/runner/tasks/index.ts';
import { fakeSite } from '../../bench/support/fake-inventory.ts';

const tick = (ms = 0) => new Promise((r) => setImmediate(() => setTimeout(r, ms)));

/** A journal written by a real engine in a store file, as a CLI in another terminal leaves it. */
async function journalWithTasks(): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'rackpilot-feed-')), 'store.json');
  const store = await openStore(path);
  const engine = new TaskEngine({ store });
  const ok = await engine.start(
    'instance.create',
    { hostname: 'r01-n001' },
    {},
    {
      steps: [
        {
          title: 'ToR ports to the PXE VLAN',
          run: async (ctx) => ctx.log('switch tor-r01: 1/1/1 back to PXE VLAN'),
        },
        { title: 'Deploy the template image', run: async () => undefined },
      ],
    },
  );
  await engine.wait(ok);
  const bad = await engine.start(
    'instance.destroy',
    { hostname: 'r02-n003' },
    {},
    {
      steps: [
        { title: 'Power off', run: async () => undefined },
        {
          title: 'ToR ports back to the PXE VLAN',
          run: async () => {
            throw new Error(
              'switch tor-r02 (127.0.0.1:2222) port 1/1/4: % Error: Invalid input at "^" marker.',
            );
          },
        },
        { title: 'Boot from PXE', run: async () => undefined },
      ],
    },
  );
  await engine.wait(bad);
  await store.close();
  return path;
}

afterEach(() => cleanup());

describe('tasks view', () => {
  it('shows the journal: failed task first, its steps, the switch error and the way out', async () => {
    const data = await readStore(await journalWithTasks());
    const snapshot = { tasks: orderTasks(data.tasks), refreshedAt: Date.now(), error: null };
    const feed = { subscribe: () => () => undefined, getSnapshot: () => snapshot };
    const { source, layout } = fakeSite(6);
    const inventory = new Inventory(source, layout);
    await inventory.refresh();
    const ui = render(<Dashboard inventory={inventory} taskFeed={feed} size={{ columns: 100, rows: 24 }} />);
    await tick();
    ui.stdin.write('t');
    await tick();
    const frame = ui.lastFrame()!;
    const lines = frame.split('\n');
    const destroyRow = lines.findIndex((l) => l.includes('instance.destroy'));
    const createRow = lines.findIndex((l) => l.includes('instance.create'));
    expect(destroyRow).toBeGreaterThan(0);
    expect(createRow).toBeGreaterThan(destroyRow); // failed before done
    expect(lines[destroyRow]).toContain('failed');
    expect(lines[destroyRow]).toContain('2/3 ToR ports back to the PXE VLAN');
    expect(frame).toContain('✓  1 Power off');
    expect(frame).toContain('✗  2 ToR ports back to the PXE VLAN');
    expect(frame).toContain('·  3 Boot from PXE');
    expect(frame).toContain('% Error: Invalid input');
    expect(frame).toMatch(/rackpilot task resume\|rollback t-/);
    ui.stdin.write('j');
    await tick();
    expect(ui.lastFrame()).toContain('switch tor-r01: 1/1/1 back to PXE VLAN');
    ui.stdin.write('t');
    await tick();
    expect(ui.lastFrame()).toContain('HOST');
  });

  it('explains why a lab inside the dashboard has no tasks', async () => {
    const { source, layout } = fakeSite(3);
    const inventory = new Inventory(source, layout);
    await inventory.refresh();
    const ui = render(<Dashboard inventory={inventory} size={{ columns: 80, rows: 24 }} />);
    await tick();
    ui.stdin.write('t');
    await tick();
    expect(ui.lastFrame()).toContain('rackpilot lab --env-out');
  });
});
