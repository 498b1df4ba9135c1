import { describe, expect, it, afterEach } from 'vitest';
import { render, cleanup } from 'ink-testing-library';
import { Dashboard } from '../../components/Dashboard.tsx';
import { Inventory } from '../../bench/support/polled-inventory.ts';
import { fakeSite } from '../../bench/support/fake-inventory.ts';

const tick = (ms = 0) => new Promise((r) => setImmediate(() => setTimeout(r, ms)));

async function renderAt(columns: number, rows: number, hostCount = 40) {
  const { source, layout } = fakeSite(hostCount);
  const inventory = new Inventory(source, layout, () => 1_000_000);
  await inventory.refresh();
  const ui = render(
    <Dashboard inventory={inventory} label="lab" now={1_000_000 + 125_000} size={{ columns, rows }} />,
  );
  Object.defineProperty(ui.stdout, 'columns', { value: columns, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: rows, configurable: true });
  ui.stdout.emit('resize');
  await tick();
  return { ui, inventory, source };
}

afterEach(() => cleanup());

describe('dashboard', () => {
  it('fits 80x24 and shows header, rack tabs, hosts and footer', async () => {
    const { ui } = await renderAt(80, 24);
    const frame = ui.lastFrame()!;
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(frame).toContain('MaaS http://127.0.0.1:5240/MAAS');
    expect(frame).toContain('40 hosts');
    expect(frame).toMatch(/Ready 7/);
    expect(frame).toContain('r01-n001');
    expect(frame).toContain('q quit');
  });

  it('fits 200x50 with the rack pane and status messages', async () => {
    const { ui } = await renderAt(200, 50);
    const frame = ui.lastFrame()!;
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(frame).toContain('all racks');
    expect(frame).toContain('timed out after 30 minutes');
  });

  it('draws at once, saying it is loading, and the rows when they arrive', async () => {
    const { source, layout } = fakeSite(40);
    const inventory = new Inventory(source, layout, () => 1_000_000);
    const ui = render(<Dashboard inventory={inventory} now={1_000_000} size={{ columns: 80, rows: 24 }} />);
    await tick();
    expect(ui.lastFrame()).toContain('loading…');
    expect(ui.lastFrame()).toContain('loading hosts…');
    expect(ui.lastFrame()).not.toContain('no hosts match');
    await inventory.refresh();
    await tick(20);
    expect(ui.lastFrame()).toContain('r01-n001');
    expect(ui.lastFrame()).not.toContain('loading');
  });
});
