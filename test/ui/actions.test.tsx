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
/** Waits for a confirmation, then for its input to listen (it subscribes from an effect). */
const asked = async (h: { until(text: string | RegExp): Promise<unknown> }, text: string) => {
  await h.until(text);
  await tick(PICK);
};

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
    // The state read just before, then every step and its lines.
    expect(h.frame()).toContain('now: r01-n001 is Ready in MaaS');
    expect(h.frame()).toMatch(/lines 1–\d+ of 46, ↑↓ scroll/);
    expect(h.frame()).toContain('action 1a');
    expect(h.frame()).not.toContain('action 15b');
    for (let i = 0; i < 46; i++) await h.press('j');
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
    const planned = fake.calls.find((c) => c.method === 'planAction');
    expect(planned, 'power on was planned').toBeDefined();
    expect(planned!.args[0]).toEqual({ action: 'power', host: 'r01-n003', op: 'on' });
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
      host: 'r01-n001',
      name: 'vm1',
      offering: 'big',
      template: 'jammy',
      networks: ['tenant-a', 'tenant-b'],
      userDataPath: 'curtin.yaml',
    };
    // The deploy carries the plan's MAC and digest: the runner runs that plan or refuses.
    expect(fake.calls).toEqual([
      { method: 'plan', args: [req] },
      {
        method: 'deploy',
        args: [req, expect.objectContaining({ mac: '02:00:00:00:00:01', digest: 'd-deploy-r01-n001' })],
      },
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

  it('marks: a bulk power on lists every target with its plan, and starts only after y', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, { columns: 100, rows: 40 }, SLOW);
    await h.press(' ');
    await h.press('j');
    await h.press(' ');
    await h.press(' ');
    expect(h.frame()).toContain('3 marked');
    await h.press('o');
    await asked(h, 'Go ahead?');
    const dialog = h.frame();
    expect(dialog).toContain('power on 3 hosts: r01-n001, r01-n003, r01-n004');
    for (const host of ['r01-n001', 'r01-n003', 'r01-n004']) {
      expect(dialog).toContain(`── ${host}`);
      expect(dialog).toContain(`now: ${host} is on (BMC)`);
      expect(dialog).toContain(`IPMI 10.0.0.1:623: power on of ${host}`);
    }
    expect(fake.started()).toEqual([]);
    await h.press('y');
    await tick();
    expect(fake.started()).toEqual([
      [{ action: 'power', host: 'r01-n001', op: 'on' }, 'd-power on-r01-n001'],
      [{ action: 'power', host: 'r01-n003', op: 'on' }, 'd-power on-r01-n003'],
      [{ action: 'power', host: 'r01-n004', op: 'on' }, 'd-power on-r01-n004'],
    ]);
    expect(footer(h.frame())).toContain('power on: r01-n001 → task t-1 · r01-n003 → task t-2');
  });

  it('marks: a destructive bulk action wants the count of hosts typed', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, { columns: 100, rows: 40 }, SLOW);
    await h.press(' ');
    await h.press(' ');
    await h.press('O');
    await asked(h, 'Type 2 to confirm');
    expect(h.frame()).toContain('power off 2 hosts: r01-n001, r01-n002');
    await h.type('3');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('"3" is not 2: nothing done');
    expect(fake.started()).toEqual([]);
    await h.press(KEYS.backspace);
    await h.type('2');
    await h.press(KEYS.enter);
    await tick();
    expect(fake.started().map(([r]) => r)).toEqual([
      { action: 'power', host: 'r01-n001', op: 'off' },
      { action: 'power', host: 'r01-n002', op: 'off' },
    ]);
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
    await asked(h, 'Type vm-web to confirm');
    expect(h.frame()).toContain('destroys: the disks of vm-web: full erase');
    await h.type('vm-we');
    await h.press(KEYS.enter);
    expect(h.frame()).toContain('"vm-we" is not vm-web: nothing done');
    expect(fake.started()).toEqual([]);
    await h.type('b');
    await h.press(KEYS.enter);
    await tick();
    expect(fake.started()).toEqual([
      [{ action: 'instance', verb: 'destroy', instance: 'vm-web' }, 'd-destroy-vm-web'],
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
    await asked(h, 'Go ahead?');
    await h.press('y');
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
      fail: { planAction: 'BMC 10.0.0.11 did not answer (RMCP+ session timed out)' },
    });
    const g = await mount({ actions: failing.actions }, undefined, SLOW);
    await g.press('o');
    await tick();
    expect(footer(g.frame())).toContain('power on: nothing done: r01-n001: BMC 10.0.0.11 did not answer');
  });

  it('without a runner the action keys say so', async () => {
    const h = await mount({}, undefined, SLOW);
    await h.press('o');
    expect(footer(h.frame())).toContain('not connected to the site runner');
  });

  it('power off and cycle show their plan first; boot device and mark broken ask what', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, undefined, SLOW);
    await h.press('O');
    await asked(h, 'Type r01-n001 to confirm');
    expect(h.frame()).toContain('power off r01-n001');
    expect(h.frame()).toContain('now: r01-n001 is on (BMC)');
    await h.press(KEYS.esc);
    await tick(40);
    expect(fake.started()).toEqual([]);
    await h.press('c');
    await asked(h, 'Type r01-n001 to confirm');
    await h.type('r01-n001');
    await h.press(KEYS.enter);
    await tick();
    await h.press('b');
    expect(h.frame()).toContain('Boot device for r01-n001 (persistent)');
    await h.press(KEYS.down);
    await h.press(KEYS.enter);
    await asked(h, 'Go ahead?');
    await h.press('y');
    await tick();
    await h.press('B');
    await h.type('fan failure');
    await h.press(KEYS.enter);
    await asked(h, 'Go ahead?');
    await h.press('y');
    await tick();
    await h.press('X');
    await asked(h, 'Go ahead?');
    await h.press('y');
    await tick();
    expect(fake.started().map(([r]) => r)).toEqual([
      { action: 'power', host: 'r01-n001', op: 'cycle' },
      { action: 'bootdev', host: 'r01-n001', device: 'disk', persistent: true },
      { action: 'maas', host: 'r01-n001', op: 'mark-broken', comment: 'fan failure' },
      { action: 'maas', host: 'r01-n001', op: 'abort' },
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
    await asked(h, 'Go ahead?');
    await h.press('y');
    await tick();
    await h.press('-');
    expect(h.frame()).toContain('tenant-b  VLAN 201');
    await h.press(KEYS.down);
    await h.press(KEYS.enter);
    await asked(h, 'Go ahead?');
    await h.press('y');
    await tick();
    expect(fake.started().map(([r]) => r)).toEqual([
      { action: 'instance', verb: 'attach', instance: 'vm-web', network: 'storage' },
      { action: 'instance', verb: 'detach', instance: 'vm-web', network: 'tenant-b' },
    ]);
  });

  it('add host works on a row Not in MaaS only, shows its plan and starts it as confirmed', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, undefined, SLOW);
    await h.press('a');
    expect(footer(h.frame())).toContain('r01-n001: already in MaaS');
    await selectHost(h, 'r01-n099');
    await h.press('a');
    await h.type('64 2100 262144');
    await h.press(KEYS.enter);
    // The runner's plan for it, every line, before anything starts.
    await asked(h, 'Go ahead?');
    expect(h.frame()).toContain('host-add r01-n099');
    expect(h.frame()).toContain('IPMI 10.0.0.1:623: host-add of r01-n099');
    expect(fake.started()).toEqual([]);
    const req = {
      action: 'host-add',
      hostname: 'r01-n099',
      mac: '52:54:09:00:00:01',
      cores: 64,
      mhz: 2100,
      memory: 262144,
      rack: 'r01',
    };
    expect(fake.calls.map((c) => c.method)).toEqual(['planAction']);
    expect(fake.calls[0]!.args[0]).toEqual(req);
    await h.press('y');
    await tick();
    // The confirmed plan's digest goes with the start.
    expect(fake.started()).toEqual([[req, 'd-host-add-r01-n099']]);
  });

  it('add host: esc on its plan adds nothing', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, undefined, SLOW);
    await selectHost(h, 'r01-n099');
    await h.press('a');
    await h.type('64 2100 262144');
    await h.press(KEYS.enter);
    await asked(h, 'Go ahead?');
    await h.press(KEYS.esc);
    await tick();
    expect(fake.started()).toEqual([]);
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
    // The running task is not offered a resume or a rollback: refused at once, nothing planned.
    expect(footer(h.frame())).toContain('x cancel');
    expect(footer(h.frame())).not.toContain('u rollback');
    await h.press('u');
    expect(footer(h.frame())).toContain('rollback: task t-run is running; only interrupted, failed');
    await h.press('j');
    expect(footer(h.frame())).toContain('u rollback');
    expect(footer(h.frame())).not.toContain('x cancel');
    await h.press('c');
    await asked(h, 'Go ahead?');
    await h.press('y');
    await tick();
    await h.press('u');
    await asked(h, 'Type t-old to confirm');
    expect(h.frame()).toContain('rollback t-old');
    await h.type('t-old');
    await h.press(KEYS.enter);
    await tick();
    await h.press('k');
    await h.press('x');
    await asked(h, 'Go ahead?');
    expect(h.frame()).toContain('cancel t-run');
    await h.press('n');
    await tick();
    expect(fake.started()).toEqual([
      [{ action: 'resume', task: 't-old' }, 'd-resume-t-old'],
      [{ action: 'rollback', task: 't-old' }, 'd-rollback-t-old'],
    ]);
  });
});
