import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { fakeCatalog, fakeTask, KEYS, mount, staticFeed, tableLines } from './harness.tsx';

afterEach(() => cleanup());

const names = (frame: string) => tableLines(frame).map((l) => l.slice(2).split(/\s+/)[0]!);

describe('navigation', () => {
  it('the command bar opens views, completes with tab and remembers history', async () => {
    const h = await mount({ catalog: fakeCatalog() });
    await h.press(':');
    await h.type('net');
    await h.press(KEYS.tab);
    expect(h.frame()).toContain(':networks');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('<hosts> <networks>');
    expect(h.frame()).toMatch(/tenant-a\s+200/);
    expect(h.frame()).toMatch(/storage\s+300\s+ceph/);

    // An ambiguous prefix completes as far as it can and lists the candidates.
    await h.press(':');
    await h.type('de');
    await h.press(KEYS.tab);
    const footer = h.frame().split('\n').at(-1)!;
    expect(footer).toContain(':de');
    expect(footer).toMatch(/deploy destroy detach/);
    await h.press(KEYS.esc);

    await h.press(':');
    await h.type('templates');
    await h.press(KEYS.enter);
    expect(h.frame()).toMatch(/jammy\s+ubuntu\/jammy/);
    // ↑ walks back through the history, newest first.
    await h.press(':');
    await h.press(KEYS.up);
    expect(h.frame().split('\n').at(-1)).toContain(':templates');
    await h.press(KEYS.up);
    expect(h.frame().split('\n').at(-1)).toContain(':networks');
    await h.press(KEYS.down);
    expect(h.frame().split('\n').at(-1)).toContain(':templates');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('<hosts> <templates>');

    await h.press(':');
    await h.type('nonsense');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain(':nonsense: no such command');
  });

  it('lists offerings and instances, and enter on an instance opens its host', async () => {
    const h = await mount({ catalog: fakeCatalog() }, { columns: 120, rows: 30 });
    await h.press(':');
    await h.type('offerings\r');
    expect(h.frame()).toMatch(/big\s+64\s+2100\s+256 GiB/);
    await h.press(':');
    await h.type('instances\r');
    expect(h.frame()).toMatch(/vm-web\s+r02-n001\s+running\s+big\s+jammy\s+tenant-a,tenant-b/);
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('r02-n001 (esc back)');
    expect(h.frame()).toContain('<hosts> <instances> <r02-n001>');
    await h.press(KEYS.esc);
    expect(h.frame()).toContain('<hosts> <instances>');
    await h.press(KEYS.esc);
    expect(h.frame()).toContain('<hosts>');
    expect(h.frame()).toContain('HOST');
  });

  it('the catalog views say where a catalog comes from when there is none', async () => {
    const h = await mount();
    await h.press(':');
    await h.type('networks\r');
    expect(h.frame()).toContain('no catalog: the site runner provides');
  });

  it("racks view: enter opens the rack's hosts", async () => {
    const h = await mount();
    await h.press(':');
    await h.type('racks\r');
    expect(h.frame()).toMatch(/r02\s+tor-r02\s+13/);
    await h.press('j');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('<hosts r02>');
    for (const n of names(h.frame())) expect(n).toMatch(/^r02-/);
  });

  it('events view lists the task log lines, newest first', async () => {
    const feed = staticFeed([fakeTask({ id: 't-1' })]);
    const h = await mount({ taskFeed: feed });
    await h.press(':');
    await h.type('events\r');
    expect(h.frame()).toMatch(/00:00:05\s+r01-n002\s+create\s+tor-r01: 1\/1\/3 switchport access vlan 10/);
  });

  it('filters by rack name, by status, and inverted', async () => {
    const h = await mount();
    await h.press('/');
    await h.type('r03');
    await h.press(KEYS.enter);
    expect(names(h.frame()).length).toBeGreaterThan(0);
    for (const n of names(h.frame())) expect(n).toMatch(/^r03-/);
    await h.press(KEYS.esc);
    await h.press('/');
    await h.type('not in maas');
    await h.press(KEYS.enter);
    expect(names(h.frame())).toEqual(['r01-n099']);
    await h.press('/');
    await h.press(KEYS.backspace.repeat(11));
    await h.type('!deploy');
    await h.press(KEYS.enter);
    for (const l of tableLines(h.frame())) expect(l).not.toMatch(/Deploy/);
    expect(h.frame()).toContain('/!deploy (esc clears)');
  });

  it('sorts by column with shift+letter, again reverses, and says so in the header', async () => {
    const h = await mount({}, { columns: 80, rows: 60 });
    await h.press('N');
    expect(h.frame()).toContain('sort name↑');
    const asc = names(h.frame());
    expect(asc).toEqual([...asc].sort());
    await h.press('N');
    expect(h.frame()).toContain('sort name↓');
    expect(names(h.frame())).toEqual([...asc].reverse());
    await h.press('S');
    expect(h.frame()).toContain('sort status↑');
    const statuses = tableLines(h.frame()).map(
      (l) => /(Ready|Failed deployment|Deployed|Deploying|Disk erasing|Allocated|Not in MaaS)/.exec(l)![1]!,
    );
    expect(statuses).toEqual([...statuses].sort());
    await h.press('P');
    expect(h.frame()).toContain('sort power↑');
  });

  it('the details view steps to the next and previous host without going back', async () => {
    const h = await mount();
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('r01-n001 (esc back)');
    expect(h.frame()).toContain('<hosts> <r01-n001>');
    await h.press(']');
    expect(h.frame()).toContain('r01-n002 (esc back)');
    await h.press('n');
    expect(h.frame()).toContain('r01-n003 (esc back)');
    await h.press('[');
    expect(h.frame()).toContain('r01-n002 (esc back)');
    await h.press(KEYS.esc);
    expect(h.frame()).toContain('HOST');
  });

  it('space marks rows and esc clears the marks', async () => {
    const h = await mount();
    await h.press(' ');
    await h.press(' ');
    expect(h.frame()).toContain('2 marked');
    const rows = tableLines(h.frame());
    expect(rows[0]).toMatch(/^\* r01-n001/);
    expect(rows[1]).toMatch(/^\* r01-n002/);
    expect(rows[2]).toMatch(/^ {2}r01-n003/);
    await h.press(KEYS.esc);
    expect(h.frame()).not.toContain('marked');
  });

  it('help scrolls and esc closes it', async () => {
    const h = await mount();
    await h.press('?');
    expect(h.frame()).toContain('Keys (esc closes');
    expect(h.frame()).toContain('<hosts> <help>');
    await h.press('G');
    expect(h.frame()).toContain('cancel the task: its running step is stopped at once');
    await h.press(KEYS.esc);
    expect(h.frame()).toContain('HOST');
  });
});
