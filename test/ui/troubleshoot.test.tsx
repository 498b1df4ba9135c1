import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { DoctorView } from '../../components/DoctorView.tsx';
import { InspectView } from '../../components/InspectView.tsx';
import { CablingView } from '../../components/CablingView.tsx';
import type { TaskSource } from '../../components/Dashboard.tsx';
import type { Task } from '../../src/protocol/records.ts';
import { fakeActions, fakeTask, KEYS, mount, NOW, tick } from './harness.tsx';
import { fakeCabling, fakeDiagnosis, fakeInspection } from './trouble-fixtures.ts';

afterEach(() => cleanup());

const SLOW = { keyWait: 40 };
const BIG = { columns: 120, rows: 50 };
const footer = (frame: string) => frame.split('\n').slice(-2).join('\n');
const view = { error: null, loading: false, offset: 0, width: 120, height: 60 };

describe('the troubleshooting views render what they are given', () => {
  it('doctor: state against the timeout counting down, checks with evidence, cause, numbered fixes, events, curtin', () => {
    const d = fakeDiagnosis(NOW);
    const { lastFrame } = render(
      <DoctorView hostname="r01-n001" diagnosis={d} now={NOW + 5_000} readOnly={false} {...view} />,
    );
    const f = lastFrame()!;
    expect(f).toContain('doctor r01-n001 (abc123)');
    // 600 s in Deploying when read, 5 s ago: the clock and the countdown have moved on.
    expect(f).toMatch(/Deploying for 10m05s\s+\[█+░+\]\s+MaaS fails it in 19m55s \(node_timeout 30 min\)/);
    expect(f).toContain('t-9 instance.create: running at "Wait for Deployed"');
    expect(f).toContain('likely cause  Its ToR port 1/1/1 is on VLAN 200, not the PXE VLAN 10.');
    expect(f).toMatch(/ 1 +ports-pxe +ToR ports back to the PXE VLAN/);
    expect(f).toMatch(/ 2 +resume +resume task t-9/);
    expect(f).toContain('✓ BMC reachable, power on');
    expect(f).toContain('✗ ToR ports on the PXE VLAN');
    expect(f).toContain('? boot MAC = instance MAC');
    expect(f).toContain('tor-r01 1/1/1: untagged 200, expected 10 (PXE)');
    expect(f).toMatch(/DEBUG\s+TFTP Request - pxelinux\.0/);
    expect(f).toContain('curtin installation output (running), last lines');
    expect(f).toContain('finish: cmd-install: FAIL');
    // Past the timeout the countdown says so.
    const late = render(
      <DoctorView hostname="r01-n001" diagnosis={d} now={NOW + 1_300_000} readOnly={false} {...view} />,
    );
    expect(late.lastFrame()).toContain("past MaaS's node_timeout (30 min)");
  });

  it('doctor in read-only mode lists the fixes without a key to start them', () => {
    const { lastFrame } = render(
      <DoctorView hostname="r01-n001" diagnosis={fakeDiagnosis(NOW)} now={NOW} readOnly={true} {...view} />,
    );
    expect(lastFrame()).toContain('fixes (read-only: none can be started here)');
    expect(lastFrame()).toMatch(/^\s+ports-pxe\s+ToR ports back/m);
    expect(lastFrame()).not.toMatch(/ 1 +ports-pxe/);
  });

  it('doctor: an error reading says so, naming the host', () => {
    const { lastFrame } = render(
      <DoctorView
        hostname="r09-n001"
        diagnosis={null}
        now={NOW}
        readOnly={false}
        {...view}
        error="no such host"
      />,
    );
    expect(lastFrame()).toContain('doctor r09-n001: no such host');
  });

  it('inspection: the tree with each value against the expected one, drift marked, reconcile offered', () => {
    const { lastFrame } = render(
      <InspectView
        hostname="r01-n001"
        inspection={fakeInspection(NOW)}
        now={NOW}
        readOnly={false}
        {...view}
      />,
    );
    const f = lastFrame()!;
    expect(f).toContain('r01-n001 (abc123) Deployed');
    expect(f).toMatch(/└─ bond0\s+mode balance-rr ≠ active-backup DRIFT\s+mac 52:54:00:aa:00:01 ✓/);
    expect(f).toMatch(/└─ eth0 52:54:00:00:00:00/);
    expect(f).toMatch(/└─ tor-r01 1\/1\/1\s+learned 52:54:00:00:00:00 ✓/);
    expect(f).toMatch(/└─ VLANs\s+untagged 200 ✓\s+tagged 201 ✓/);
    expect(f).toContain('drift (1)');
    expect(f).toContain('✗ bond0 mode balance-rr, expected active-backup');
    expect(f).toContain('R reconcile: shows the plan, then y starts it as a task');
    const ro = render(
      <InspectView
        hostname="r01-n001"
        inspection={fakeInspection(NOW)}
        now={NOW}
        readOnly={true}
        {...view}
      />,
    );
    expect(ro.lastFrame()).toContain('drift (1)');
    expect(ro.lastFrame()).not.toContain('R reconcile');
  });

  it('cabling: one row per rack-file NIC, ok, on another port naming it, or not seen', () => {
    const { lastFrame } = render(<CablingView rack="r01" cabling={fakeCabling(NOW)} now={NOW} {...view} />);
    const f = lastFrame()!;
    expect(f).toContain('tor-r01: MAC table read once, 28 entries');
    expect(f).toMatch(/r01-n001\s+52:54:00:00:00:00\s+1\/1\/1\s+ok \(VLAN 10\)/);
    expect(f).toMatch(
      /r01-n002\s+52:54:00:00:03:00\s+1\/1\/3\s+on another port: tor-r01 Te 1\/1\/9 \(miscabled\)/,
    );
    expect(f).toMatch(/r01-n003\s+52:54:00:00:06:00\s+1\/1\/5\s+not seen/);
    expect(f).toContain('1 ok · 1 on another port · 1 not seen · 0 not read');
  });
});

/** A task feed the test changes: the dashboard sees each change as the runner's events. */
function mutableFeed(initial: Task[] = []) {
  let snap = { tasks: initial as readonly Task[], refreshedAt: NOW, error: null };
  const listeners = new Set<() => void>();
  const feed: TaskSource = {
    subscribe: (l) => (listeners.add(l), () => listeners.delete(l)),
    getSnapshot: () => snap,
  };
  const set = (tasks: Task[]) => {
    snap = { ...snap, tasks };
    for (const l of listeners) l();
  };
  return { feed, set };
}

describe('the troubleshooting views in the dashboard', () => {
  it('D opens the doctor on the selected host; a number confirms and starts that fix with its arguments', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, BIG, SLOW);
    await h.press('D');
    await h.until('likely cause  Its ToR port 1/1/1');
    expect(fake.calls).toEqual([{ method: 'doctor', args: ['r01-n001'] }]);
    expect(h.frame()).toContain('doctor r01-n001');
    expect(footer(h.frame())).toContain('1-6 fix');
    // The fix's plan as the runner makes it, then y starts it with that plan's digest.
    await h.press('1');
    await h.until('Go ahead?');
    expect(h.frame()).toContain('fix r01-n001');
    expect(h.frame()).toContain('now: r01-n001 is on (BMC)');
    await tick(200);
    await h.press('y');
    await h.until('fix ports-pxe r01-n001 → task t-1');
    expect(fake.calls.at(-1)).toEqual({
      method: 'runAction',
      args: [{ action: 'fix', host: 'r01-n001', fix: 'ports-pxe' }, 'd-fix-r01-n001'],
    });
    // The resume fix names the task it continues.
    await h.press('2');
    await h.until('Go ahead?');
    await tick(200);
    await h.press('y');
    await h.until('fix resume r01-n001 → task t-2');
    expect(fake.calls.at(-1)).toEqual({
      method: 'runAction',
      args: [{ action: 'fix', host: 'r01-n001', fix: 'resume', taskId: 't-9' }, 'd-fix-r01-n001'],
    });
    // No third fix: said, nothing called.
    const n = fake.calls.length;
    await h.press('3');
    await h.until('no fix 3: the doctor proposes 2');
    expect(fake.calls.length).toBe(n);
    // esc goes back to the hosts.
    await h.press(KEYS.esc);
    await h.until(/HOST\s+PORTS/);
  });

  it('the doctor reads again when a fix it started ends, and every 5 s while open', async () => {
    const fake = fakeActions();
    const { feed, set } = mutableFeed();
    const h = await mount({ actions: fake.actions, taskFeed: feed }, BIG, SLOW);
    await h.press(':');
    await h.type('doctor');
    await h.press(KEYS.enter);
    await h.until('likely cause');
    await h.press('1');
    await h.until('Go ahead?');
    await tick(200);
    await h.press('y');
    await h.until('→ task t-1');
    const reads = () => fake.calls.filter((c) => c.method === 'doctor').length;
    expect(reads()).toBe(1);
    set([fakeTask({ id: 't-1', kind: 'host.ports-pxe', state: 'running' })]);
    await tick(50);
    expect(reads()).toBe(1);
    set([fakeTask({ id: 't-1', kind: 'host.ports-pxe', state: 'done' })]);
    // A loaded machine may take a few frames to re-read: wait for it (bounded), then check.
    for (let i = 0; i < 40 && reads() < 2; i++) await tick(50);
    expect(reads()).toBe(2);
    await tick(5_200);
    expect(reads()).toBe(3);
    // Not once it is closed.
    await h.press(KEYS.esc);
    await tick(5_200);
    expect(reads()).toBe(3);
  }, 20_000);

  it('I opens the inspection; R shows the plan and y starts the reconcile for that host', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, BIG, SLOW);
    await h.press(KEYS.down);
    await h.press('I');
    await h.until('DRIFT');
    expect(fake.calls).toEqual([{ method: 'inspect', args: ['r01-n002'] }]);
    expect(footer(h.frame())).toContain('R reconcile');
    // The runner plans the reconcile again, live: that plan is what y confirms.
    await h.press('R');
    await h.until('Go ahead?');
    expect(h.frame()).toContain('reconcile r01-n002');
    expect(fake.calls.map((c) => c.method)).toEqual(['inspect', 'planAction']);
    await tick(200);
    await h.press('y');
    await h.until('reconcile r01-n002 → task t-1');
    expect(fake.calls.at(-1)).toEqual({
      method: 'runAction',
      args: [{ action: 'reconcile', host: 'r01-n002' }, 'd-reconcile-r01-n002'],
    });
  });

  it(':racks then C on a rack opens its cabling check; :cabling does the same', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, BIG, SLOW);
    await h.press(':');
    await h.type('racks');
    await h.press(KEYS.enter);
    await h.press(KEYS.down);
    await h.press('C');
    await h.until('on another port: tor-r01 Te 1/1/9');
    expect(fake.calls).toEqual([{ method: 'cabling', args: ['r02'] }]);
    expect(h.frame()).toContain('cabling r02');
    await h.press(KEYS.esc);
    await h.until(/RACK\s+SWITCH/);
    await h.press(':');
    await h.type('cabling');
    await h.press(KEYS.enter);
    await h.until('cabling r02');
    expect(fake.calls.at(-1)).toEqual({ method: 'cabling', args: ['r02'] });
  });

  it('T opens the morning triage: every host in trouble with its stage, cause and time left, most urgent first; :triage does the same', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, BIG, SLOW);
    await h.press('T');
    await h.until('3 of 40 machines in a transitional or failed state');
    expect(fake.calls).toEqual([{ method: 'triage', args: [] }]);
    const rows = h
      .frame()
      .split('\n')
      .filter((l) => /r0\d-n0\d\d/.test(l));
    expect(rows.map((l) => l.match(/r0\d-n0\d\d/)![0])).toEqual(['r01-n004', 'r02-n007', 'r03-n002']);
    expect(rows[0]).toMatch(
      /Deploying\s+7m00s\s+installed, rebooting to disk\s+rebooted and never came back/,
    );
    expect(rows[1]).toMatch(/Failed deployment\s+—\s+curtin: partitioning\s+curtin failed in partitioning/);
    expect(rows[2]).toMatch(/on time$/);
    await h.press(KEYS.esc);
    await h.until(/HOST\s+PORTS/);
    await h.press(':');
    await h.type('triage');
    await h.press(KEYS.enter);
    await h.until('3 of 40 machines');
    expect(fake.calls.at(-1)).toEqual({ method: 'triage', args: [] });
  });

  it('the triage at 80 columns keeps each cause whole: the stage column gives way, not the cause', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, { columns: 80, rows: 24 }, SLOW);
    await h.press('T');
    await h.until('3 of 40 machines in a transitional or failed state');
    const lines = h.frame().split('\n');
    expect(lines.find((l) => /HOST\s+STATUS/.test(l))).toMatch(/LEFT\s+CAUSE$/);
    const rows = lines.filter((l) => /r0\d-n0\d\d/.test(l));
    expect(rows[0]).toMatch(/r01-n004\s+Deploying\s+7m00s\s+rebooted and never came back$/);
    expect(rows[1]).toMatch(/r02-n007\s+Failed deployment\s+—\s+curtin failed in partitioning$/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
  });

  it('read-only: the doctor and the inspection show, but no fix or reconcile key, hint or call', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions, readOnly: true }, BIG, SLOW);
    await h.press('D');
    await h.until('fixes (read-only: none can be started here)');
    expect(footer(h.frame())).not.toContain('fix');
    const before = h.frame();
    await h.press('1');
    await tick(100);
    expect(h.frame()).toBe(before);
    await h.press(KEYS.esc);
    await h.press('I');
    await h.until('DRIFT');
    expect(h.frame()).not.toContain('R reconcile');
    await h.press('R');
    await tick(100);
    expect(h.frame()).not.toContain('Reconcile');
    expect(fake.calls.map((c) => c.method)).toEqual(['doctor', 'inspect']);
  });
});
