/** Dashboard render cost at 10,000 hosts: first frame, cursor moves, a refresh that changes rows. */
import React from 'react';
import { render } from 'ink';
import { Dashboard } from '../components/Dashboard.tsx';
import { mergeInventory } from '../src/runner/inventory/merge.ts';
import { Inventory } from './support/polled-inventory.ts';
import { fakeSite } from './support/fake-inventory.ts';
import { FakeStdin, FakeTty } from './support/fake-tty.ts';

const settle = () => new Promise((r) => setImmediate(r));

export async function run(): Promise<void> {
  let warmed = false;
  // The first size warms the JIT and Ink's layout engine; its figures are not printed.
  for (const n of [1_000, 1_000, 10_000]) {
    const warmup = n === 1_000 && !warmed;
    warmed = true;
    const { source, layout } = fakeSite(n, 20);
    const t0 = performance.now();
    const machines = await source.listMachines();
    mergeInventory(machines, layout, new Map(), Date.now());
    const mergeMs = performance.now() - t0;

    const inventory = new Inventory(source, layout);
    await inventory.refresh();
    const stdout = new FakeTty();
    const stdin = new FakeStdin();
    const t1 = performance.now();
    const app = render(React.createElement(Dashboard, { inventory, label: 'bench' }), {
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    });
    await settle();
    const firstMs = performance.now() - t1;

    const moves = 200;
    const t2 = performance.now();
    for (let i = 0; i < moves; i++) {
      stdin.press('j');
      await settle();
    }
    const moveMs = (performance.now() - t2) / moves;

    const t3 = performance.now();
    await inventory.refresh();
    await settle();
    const refreshMs = performance.now() - t3;
    app.unmount();
    if (warmup) continue;
    console.log(
      `${String(n).padStart(6)} hosts: merge ${mergeMs.toFixed(1)} ms · first frame ${firstMs.toFixed(1)} ms · ` +
        `cursor move ${moveMs.toFixed(2)} ms/key · refresh+render ${refreshMs.toFixed(1)} ms`,
    );
  }
}
