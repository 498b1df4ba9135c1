import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import {
  fakeActions,
  fakeCatalog,
  fakeTask,
  KEYS,
  mount,
  selectHost,
  staticFeed,
  tableLines,
  tick,
} from './harness.tsx';

afterEach(() => cleanup());

const SLOW = { keyWait: 40 };
/** A pick in an @inkjs/ui Select reaches its onChange from an effect; the next field listens a little later. */
const PICK = 200;
const footer = (frame: string) => frame.split('\n').slice(-2).join('\n');

describe('actions from the keyboard', () => {
  it('deploy: a plan taller than the screen shows every action, scrolled with j/k', async () => {
    const plan = Array.from({ length: 15 }, (_, i) => ({
      step: `Step ${i + 1}`,
      actions: [`action ${i + 1}a`, `action ${i + 1}b`],
    }));
    const fake = fakeActions({ plan });
    const h = await mount(
      { actions: fake.actions, catalog: fakeCatalog() },
      { columns: 100, rows: 30 },
      SLOW,
    );
    await h.press('d');
    for (const picked of [/offering\s+big/, /template\s+jammy/]) {
      await h.press(KEYS.enter);
      await h.until(picked);
      await tick(PICK);
    }
    await h.press(' ');
    await h.press(KEYS.enter);
    await h.until(/networks\s+tenant-a/);
    await tick(PICK);
    await h.press(KEYS.enter);
    await h.until('user-data file');
    await h.press(KEYS.enter);
    await h.until('plan: 15 steps, 30 actions');
    expect(h.frame()).toMatch(/lines 1–\d+ of 45, ↑↓ scroll/);
    expect(h.frame()).toContain('action 1a');
    expect(h.frame()).not.toContain('action 15b');
    for (let i = 0; i < 45; i++) await h.press('j');
    await h.until('action 15b');
    expect(h.frame()).not.toContain('action 1a');
    expect(fake.calls.map((c) => c.method)).toEqual(['plan']);
  });

  it('keys typed in one burst act on the host the cursor reached, not the one last drawn', async () => {
    const fake = fakeActions();
    const h = await mount(
      { actions: fake.actions, catalog: fakeCatalog() },
      { columns: 100, rows: 30 },
      SLOW,
    );
    // One read holding a move and an action, as a fast typist or a paste over SSH delivers them.
    await h.press('jjo');
    await tick();
    const power = fake.calls.find((c) => c.method === 'power');
    expect(power, 'power on was called').toBeDefined();
    expect((power!.args[0] as { hostname: string }).hostname).toBe('r01-n003');
  });

  it('deploy: form, then the plan, then y calls actions.deploy with what was picked', async () => {
    const fake = fakeActions();
    const h = await mount(
      { actions: fake.actions, catalog: fakeCatalog() },
      { columns: 100, rows: 30 },
      SLOW,
    );
    await h.press('d');
    expect(h.frame()).toContain('Deploy on r01-n001');
    // Only the offerings the host fits exactly (the planner's rule): r01-n001 is a 64-core host.
    expect(h.frame()).toMatch(/big\s+64 cores 2100 MHz 256 GiB/);
    expect(h.frame()).not.toMatch(/small\s+8 cores/);
    await h.press(KEYS.enter); // offering: big
    await h.until(/offering\s+big/);
    await tick(PICK);
    await h.press(KEYS.enter); // template: jammy
    await h.until(/template\s+jammy/);
    await tick(PICK);
    await h.press(KEYS.enter); // no network picked: refused
    await h.until('pick at least one network');
    await h.press(' '); // tenant-a
    await h.press(KEYS.down);
    await h.press(' '); // tenant-b
    await h.press(KEYS.enter);
    await h.until(/networks\s+tenant-a, tenant-b/);
    await tick(PICK);
    await h.type('vm1');
    await h.press(KEYS.enter);
    await h.until('user-data file');
    await h.type('curtin.yaml');
    await h.press(KEYS.enter);
    await h.until('plan: 3 steps');
    const plan = h.frame();
    expect(plan).toContain('plan: 3 steps, 4 actions');
    expect(plan).toContain('2 ToR ports to the PXE VLAN');
    expect(plan).toContain('switchport access vlan 10');
    expect(plan).toContain('ipmi r01-n001 chassis power on');
    expect(plan).toMatch(/user data\s+curtin\.yaml/);
    expect(fake.calls.map((c) => c.method)).toEqual(['plan']);
    await tick(PICK);
    await h.press('y');
    await tick();
    const req = {
      hostname: 'r01-n001',
      instanceName: 'vm1',
      offering: 'big',
      template: 'jammy',
      networks: ['tenant-a', 'tenant-b'],
      userDataPath: 'curtin.yaml',
    };
    expect(fake.calls).toEqual([
      { method: 'plan', args: [req] },
      { method: 'deploy', args: [req] },
    ]);
    expect(footer(h.frame())).toContain('deploy vm1: r01-n001 → task t-1');
    expect(h.frame()).toContain('HOST');
  });

  it('deploy: esc leaves the form and nothing is called', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions, catalog: fakeCatalog() }, undefined, SLOW);
    await h.press('d');
    await h.press(KEYS.enter);
    await h.press(KEYS.esc);
    expect(h.frame()).toContain('HOST');
    expect(fake.calls).toEqual([]);
  });

  it('marks: a bulk power on calls the action once per marked host', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, undefined, SLOW);
    await h.press(' ');
    await h.press('j');
    await h.press(' ');
    await h.press(' ');
    expect(h.frame()).toContain('3 marked');
    await h.press('o');
    await tick();
    expect(fake.calls.map((c) => [(c.args[0] as { hostname: string }).hostname, c.args[1]])).toEqual([
      ['r01-n001', 'on'],
      ['r01-n003', 'on'],
      ['r01-n004', 'on'],
    ]);
    expect(footer(h.frame())).toContain('power on: r01-n001 → task t-1 · r01-n003 → task t-2');
  });

  it('destroy: shows the instance and erase mode, and wants the host name typed exactly', async () => {
    const fake = fakeActions();
    const h = await mount(
      { actions: fake.actions, catalog: fakeCatalog(), eraseMode: 'secure' },
      undefined,
      SLOW,
    );
    await selectHost(h, 'r02-n001');
    await h.press(KEYS.ctrlD);
    expect(h.frame()).toContain('r02-n001: instance vm-web');
    expect(h.frame()).toContain('erase mode: secure');
    expect(h.frame()).toContain('Type r02-n001 to confirm');
    await h.type('r02-n00');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('"r02-n00" is not r02-n001: nothing done');
    expect(fake.calls).toEqual([]);
    await h.type('1');
    await h.press(KEYS.enter);
    await tick();
    expect(fake.calls).toEqual([
      {
        method: 'destroy',
        args: [{ hostname: 'r02-n001', systemId: 'sys0001', macs: expect.any(Array), instance: 'vm-web' }],
      },
    ]);
  });

  it('a host held by a task shows it in its row, greys the actions and refuses them', async () => {
    const fake = fakeActions();
    const h = await mount(
      {
        actions: fake.actions,
        catalog: fakeCatalog(),
        taskFeed: staticFeed([fakeTask({ id: 't-run' })]),
      },
      { columns: 100, rows: 30 },
      SLOW,
    );
    const row = tableLines(h.frame()).find((l) => l.includes('r01-n002'))!;
    expect(row).toContain('deploy 7/13');
    expect(tableLines(h.frame()).find((l) => l.includes('r02-n001'))).toContain('vm-web');
    await selectHost(h, 'r01-n002');
    expect(footer(h.frame())).toContain('r01-n002 is held by task t-run (deploy 7/13): actions greyed');
    for (const key of ['o', 'd', KEYS.ctrlD, 'O']) {
      await h.press(key);
      expect(footer(h.frame())).toContain('refused: r01-n002 is held by task t-run (deploy 7/13)');
    }
    expect(fake.calls).toEqual([]);
    await h.press('?');
    expect(h.frame()).toContain('r01-n002 is held by task t-run (deploy 7/13): greyed actions are refused');
  });

  it('never blocks: a pending request holds the host and the cursor still moves; a refusal is shown', async () => {
    const slow = fakeActions({ hold: true });
    const h = await mount({ actions: slow.actions }, undefined, SLOW);
    await h.press('o');
    expect(footer(h.frame())).toContain('power on r01-n001: requested…');
    expect(tableLines(h.frame())[0]).toContain('power on…');
    await h.press('o');
    expect(footer(h.frame())).toContain('refused: r01-n001 is held by task request (power on…)');
    await h.press('j');
    await h.press('j');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('r01-n003 (esc back)');
    cleanup();

    const failing = fakeActions({
      fail: { power: 'BMC 10.0.0.11 did not answer (RMCP+ session timed out)' },
    });
    const g = await mount({ actions: failing.actions }, undefined, SLOW);
    await g.press('o');
    await tick();
    expect(footer(g.frame())).toContain('power on: r01-n001 refused: BMC 10.0.0.11 did not answer');
  });

  it('without a runner the action keys say so', async () => {
    const h = await mount({}, undefined, SLOW);
    await h.press('o');
    expect(footer(h.frame())).toContain('not connected to the site runner');
  });

  it('power off and cycle ask first; boot device and mark broken ask what', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, undefined, SLOW);
    await h.press('O');
    expect(h.frame()).toContain('Power off r01-n001 through IPMI?');
    await h.press('n');
    expect(fake.calls).toEqual([]);
    await h.press('c');
    await h.press('y');
    await h.press('b');
    expect(h.frame()).toContain('Boot device for r01-n001 (persistent)');
    await h.press(KEYS.down);
    await h.press(KEYS.enter);
    await h.press('B');
    await h.type('fan failure');
    await h.press(KEYS.enter);
    await h.press('X');
    await h.press('y');
    await tick();
    expect(fake.calls.map((c) => [c.method, c.args[1]])).toEqual([
      ['power', 'cycle'],
      ['bootDevice', 'disk'],
      ['markBroken', 'fan failure'],
      ['abortDeployment', undefined],
    ]);
  });

  it('attach offers the networks not on the instance; detach those on it', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions, catalog: fakeCatalog() }, undefined, SLOW);
    await selectHost(h, 'r02-n001');
    await h.press('+');
    expect(h.frame()).toContain('storage  VLAN 300');
    expect(h.frame()).not.toContain('tenant-a  VLAN 200');
    await h.press(KEYS.enter);
    await h.press('-');
    expect(h.frame()).toContain('tenant-b  VLAN 201');
    await h.press(KEYS.down);
    await h.press(KEYS.enter);
    await tick();
    expect(
      fake.calls.map((c) => [c.method, (c.args[0] as { instance: string }).instance, c.args[1]]),
    ).toEqual([
      ['attachNetwork', 'vm-web', 'storage'],
      ['detachNetwork', 'vm-web', 'tenant-b'],
    ]);
  });

  it('add host works on a row Not in MaaS only', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, undefined, SLOW);
    await h.press('a');
    expect(footer(h.frame())).toContain('r01-n001: already in MaaS');
    await selectHost(h, 'r01-n099');
    await h.press('a');
    await h.type('64 2100 262144');
    await h.press(KEYS.enter);
    await tick();
    expect(fake.calls).toEqual([
      {
        method: 'addHost',
        args: [
          {
            hostname: 'r01-n099',
            systemId: null,
            macs: ['52:54:09:00:00:01'],
            rack: 'r01',
            cpuCores: 64,
            cpuMhz: 2100,
            memoryMb: 262144,
          },
        ],
      },
    ]);
  });

  it('tasks view: resume, rollback and cancel the selected task', async () => {
    const fake = fakeActions();
    const h = await mount(
      {
        actions: fake.actions,
        taskFeed: staticFeed([fakeTask({ id: 't-run' }), fakeTask({ id: 't-old', state: 'failed' })]),
      },
      undefined,
      SLOW,
    );
    await h.press('t');
    expect(h.frame()).toContain('<hosts> <tasks>');
    await h.press('j');
    await h.press('c');
    await h.press('u');
    expect(h.frame()).toContain('Roll back task t-old');
    await h.press('y');
    await h.press('k');
    await h.press('x');
    expect(h.frame()).toContain('Cancel task t-run?');
    await h.press('n');
    await tick();
    expect(fake.calls).toEqual([
      { method: 'resumeTask', args: ['t-old'] },
      { method: 'rollbackTask', args: ['t-old'] },
    ]);
    expect(footer(h.frame())).toContain('rollback t-old: task t-2 accepted');
  });
});
