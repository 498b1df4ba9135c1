import { describe, expect, it, afterEach } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { Dashboard } from '../../components/Dashboard.tsx';
import { render as inkRender } from 'ink';
import type { RackLayout } from '../../src/protocol/inventory.ts';
import type { InventorySource } from '../../src/runner/inventory/merge.ts';
import { Inventory } from '../../bench/support/polled-inventory.ts';
import { FakeStdin, FakeTty } from '../../bench/support/fake-tty.ts';
import { registerSecret, clearSecretsForTest } from '../../src/util/redact.ts';
import { fakeSite } from '../../bench/support/fake-inventory.ts';

const tick = (ms = 0) => new Promise((r) => setImmediate(() => setTimeout(r, ms)));
const ESC_WAIT = 40; // Ink holds a lone Escape ~20 ms to tell it from an escape sequence.

async function mount(source: InventorySource, layout: RackLayout) {
  const inventory = new Inventory(source, layout, () => 1_000_000);
  await inventory.refresh();
  const ui = render(
    <Dashboard inventory={inventory} now={1_000_000 + 5_000} size={{ columns: 80, rows: 24 }} />,
  );
  Object.defineProperty(ui.stdout, 'columns', { value: 80, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: 24, configurable: true });
  ui.stdout.emit('resize');
  await tick();
  return { ui, inventory };
}

async function press(ui: ReturnType<typeof render>, keys: string, wait = 0) {
  ui.stdin.write(keys);
  await tick(wait);
}

/** The host name on the highlighted row: ink-testing-library strips colour, so find it by the cursor. */
function selectedHost(inventory: Inventory, frame: string, index: number): string {
  const rows = inventory.getSnapshot().rows;
  expect(frame).toContain(rows[index]!.hostname);
  return rows[index]!.hostname;
}

/** The host table's rows: the lines under its header, above the footer. */
function tableLines(frame: string): string[] {
  const lines = frame.split('\n');
  const head = lines.findIndex((l) => /^\s*HOST\s/.test(l));
  return lines.slice(head + 1, -1).filter((l) => l.trim());
}

afterEach(() => {
  cleanup();
  clearSecretsForTest();
});

describe('dashboard keys', () => {
  it('moves with j/k and arrows, opens and closes details', async () => {
    const { source, layout } = fakeSite(40);
    const { ui, inventory } = await mount(source, layout);
    await press(ui, 'j');
    await press(ui, 'j');
    await press(ui, '\u001B[A'); // up arrow
    await press(ui, '\r');
    const detail = ui.lastFrame()!;
    const host = selectedHost(inventory, detail, 1);
    expect(detail).toContain(`${host} (esc back)`);
    expect(detail).toContain('bondable      yes (2 ToR NICs, active-backup)');
    expect(detail).toContain('Failed deployment');
    await press(ui, '\u001B', ESC_WAIT);
    expect(ui.lastFrame()).toContain('HOST');
  });

  it('handles a burst of keys in one read (tmux, paste, fast typing) key by key', async () => {
    const { source, layout } = fakeSite(40);
    const { ui, inventory } = await mount(source, layout);
    await press(ui, 'jjj\r');
    const host = inventory.getSnapshot().rows[3]!.hostname;
    expect(ui.lastFrame()).toContain(`${host} (esc back)`);
    await press(ui, '\u001B', ESC_WAIT);
    await press(ui, '/deploying\r');
    const table = tableLines(ui.lastFrame()!);
    expect(table.length).toBeGreaterThan(0);
    for (const line of table) expect(line).toContain('Deploying');
  });

  it('scrolls the window to keep the cursor visible (G jumps to the last host)', async () => {
    const { source, layout } = fakeSite(40);
    const { ui, inventory } = await mount(source, layout);
    expect(ui.lastFrame()).not.toContain('r03-n013');
    await press(ui, 'G');
    const last = inventory.getSnapshot().rows.at(-1)!.hostname;
    expect(ui.lastFrame()).toContain(last);
    expect(ui.lastFrame()).not.toContain('r01-n001 ');
    await press(ui, 'g');
    expect(ui.lastFrame()).toContain('r01-n001');
  });

  it('switches racks with the arrow keys', async () => {
    const { source, layout } = fakeSite(40);
    const { ui } = await mount(source, layout);
    await press(ui, '\u001B[C'); // right: rack r01
    await press(ui, '\u001B[C'); // r02
    const frame = ui.lastFrame()!;
    const table = tableLines(frame).join('\n');
    expect(table).toContain('r02-n001');
    expect(table).not.toMatch(/r01-n0\d\d/);
    expect(table).not.toMatch(/r03-n0\d\d/);
  });

  it('filters by text and by inverted text, esc clears', async () => {
    const { source, layout } = fakeSite(40);
    const { ui } = await mount(source, layout);
    await press(ui, '/');
    for (const ch of 'failed') await press(ui, ch);
    expect(ui.lastFrame()).toContain('/failed');
    await press(ui, '\r');
    let table = tableLines(ui.lastFrame()!);
    expect(table.length).toBeGreaterThan(0);
    for (const line of table) expect(line).toContain('Failed deployment');
    await press(ui, '/');
    await press(ui, '\u007F'.repeat(6));
    for (const ch of '!ready') await press(ui, ch);
    await press(ui, '\r');
    table = tableLines(ui.lastFrame()!);
    for (const line of table) expect(line).not.toMatch(/\bReady\b/);
    await press(ui, '\u001B', ESC_WAIT);
    expect(ui.lastFrame()).toMatch(/\bReady\b/);
  });

  it('shows the help generated from the key registry', async () => {
    const { source, layout } = fakeSite(4);
    const { ui } = await mount(source, layout);
    await press(ui, '?');
    expect(ui.lastFrame()).toContain('filter by name, MAC, port, status, rack or system id');
    await press(ui, '\u001B[6~'); // PgDn scrolls the help
    expect(ui.lastFrame()).toContain('refresh from MaaS now');
  });

  it('q exits the app', async () => {
    const { source, layout } = fakeSite(4);
    const inventory = new Inventory(source, layout);
    await inventory.refresh();
    const stdin = new FakeStdin();
    const app = inkRender(<Dashboard inventory={inventory} />, {
      stdout: new FakeTty(80, 24) as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
      patchConsole: false,
    });
    let exited = false;
    const done = app.waitUntilExit().then(() => (exited = true));
    await tick();
    stdin.press('x');
    await tick();
    expect(exited).toBe(false);
    stdin.press('q');
    await done;
    expect(exited).toBe(true);
  });

  it('keeps the last rows and says why when MaaS stops answering, without leaking the key', async () => {
    const { source, layout } = fakeSite(6);
    const secret = 'CUaKSPXngRtRGRACtLLQKCYLqrQxPgTC';
    registerSecret(secret);
    const { ui, inventory } = await mount(source, layout);
    source.listMachines = async () => {
      throw new Error(`401 Unauthorized for token secret ${secret}`);
    };
    await inventory.refresh();
    await tick();
    const frame = ui.lastFrame()!;
    expect(frame).toMatch(/MaaS unreachable since \d\d:\d\d:\d\d: 401 Unauthorized/);
    expect(tableLines(frame)[0]).toMatch(/^ ~r01-n001/);
    expect(frame).toContain('r01-n001');
    expect(frame).not.toContain(secret);
    expect(frame).toContain('***');
  });
});
