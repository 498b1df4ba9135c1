import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmPlan } from '../../src/cli/confirm.ts';
import { main } from '../../src/cli/main.ts';
import type { CommandIo } from '../../src/cli/io.ts';
import type { ActionPlan } from '../../src/protocol/messages.ts';
import type { Task } from '../../src/protocol/records.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import type { LabHost } from '../../src/lab/spec.ts';
import { addHost, openOperator, startTestLab, until, type TestLab } from '../e2e/helpers.ts';
import { shapeFlags } from '../runner/cli-process.ts';

/**
 * Plans are contracts on the command line: a command that changes gear prints the runner's plan,
 * asks (y/N, or the host name typed for what destroys), and sends the plan's digest with its start;
 * without a terminal it takes --yes / --confirm NAME or changes nothing; a plan that changed
 * between showing and running is refused by the runner, naming the line that changed.
 */

function capture(ask?: CommandIo['ask']) {
  let out = '';
  let err = '';
  const io: CommandIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    ...(ask && { ask }),
  };
  return { io, out: () => out, err: () => err };
}

const plan = (over: Partial<ActionPlan> = {}): ActionPlan => ({
  title: 'Power on r01-n001',
  target: 'r01-n001',
  state: ['r01-n001 is off (BMC)'],
  steps: [{ step: 'Power on', actions: ['IPMI 127.0.0.1:623: Chassis Control 0x01 power up'] }],
  destroys: null,
  typed: null,
  digest: 'a'.repeat(64),
  ...over,
});

const destroying = plan({
  title: 'destroy instance vm1 on r01-n001',
  destroys: 'the disks of r01-n001: quick erase',
  typed: 'r01-n001',
});

async function refusal(p: Promise<unknown>): Promise<OperatorError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(OperatorError);
  return e as OperatorError;
}

describe('confirmPlan', () => {
  it('prints the plan, its state and what it destroys before anything', async () => {
    const c = capture(async () => 'y');
    expect(await confirmPlan(c.io, plan(), {})).toBe('a'.repeat(64));
    expect(c.err()).toContain('Power on r01-n001\nnow: r01-n001 is off (BMC)\n1. Power on\n');
    expect(c.err()).toContain('     IPMI 127.0.0.1:623: Chassis Control 0x01 power up');
    expect(c.out()).toBe('');
    const d = capture(async () => 'r01-n001');
    await confirmPlan(d.io, destroying, {});
    expect(d.err()).toContain('destroys: the disks of r01-n001: quick erase');
  });

  it('asks y/N, or for the name typed; anything else changes nothing', async () => {
    const questions: string[] = [];
    const ask = (answer: string) => async (q: string) => (questions.push(q), answer);
    expect(await confirmPlan(capture(ask('yes')).io, plan(), {})).toBe('a'.repeat(64));
    expect((await refusal(confirmPlan(capture(ask('')).io, plan(), {}))).message).toMatch(
      /not confirmed: nothing was done/,
    );
    expect(await confirmPlan(capture(ask('r01-n001')).io, destroying, {})).toBe('a'.repeat(64));
    // y is not the name: a destructive plan wants the name.
    const wrong = await refusal(confirmPlan(capture(ask('y')).io, destroying, {}));
    expect(wrong.message).toBe('destroy instance vm1 on r01-n001: "y" is not r01-n001: nothing was done');
    expect(questions).toEqual([
      'Go ahead? y/N ',
      'Go ahead? y/N ',
      'Type r01-n001 to confirm: ',
      'Type r01-n001 to confirm: ',
    ]);
  });

  it('without a terminal: --yes for a plan that destroys nothing, --confirm NAME for one that does', async () => {
    const none = await refusal(confirmPlan(capture().io, plan(), {}));
    expect(none.message).toBe('Power on r01-n001: not confirmed (no terminal to ask on): nothing was done');
    expect(none.hint).toContain('--yes');
    expect(await confirmPlan(capture().io, plan(), { yes: true })).toBe('a'.repeat(64));
    const yes = await refusal(confirmPlan(capture().io, destroying, { yes: true }));
    expect(yes.message).toMatch(/it destroys \(the disks of r01-n001: quick erase\), so --yes is not enough/);
    expect(yes.hint).toBe('type the name: --confirm r01-n001');
    const typo = await refusal(confirmPlan(capture().io, destroying, { confirm: 'r01-n002' }));
    expect(typo.message).toMatch(/--confirm "r01-n002" is not r01-n001/);
    expect(await confirmPlan(capture().io, destroying, { confirm: 'r01-n001' })).toBe('a'.repeat(64));
  });
});

describe('commands that change gear, against a runner on the lab', () => {
  let tl: TestLab;
  let runner: RunningRunner;
  let env: Record<string, string>;
  let host: LabHost;
  let absent: LabHost;

  beforeAll(async () => {
    tl = await startTestLab({ hosts: 6, racks: 1, seed: 3 });
    const specHosts = tl.lab.spec.hosts.filter((h) => h.nics.length > 0);
    host = specHosts[0]!;
    absent = specHosts[1]!;
    const store = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
    const op = await openOperator(tl, { storePath: store });
    await addHost(op, tl, host);
    await op.close();
    env = { ...tl.env(store), RACKPILOT_ENV_FILE: '', RACKPILOT_POLL_MS: '100' };
    runner = await startRunner({ env, log: () => undefined, idleMs: 0 });
  }, 120_000);

  afterAll(async () => {
    await runner?.stop('test over');
    await tl?.close();
  });

  const run = async (args: string[], ask?: CommandIo['ask']) => {
    const c = capture(ask);
    const code = await main(args, c.io, env);
    return { code, out: c.out(), err: c.err() };
  };
  const tasks = async () => JSON.parse((await run(['tasks', '--all', '--json'])).out) as Task[];
  const show = async (id: string) => JSON.parse((await run(['task', 'show', id, '--json'])).out) as Task;

  it('with no terminal and no --yes, prints the plan and starts nothing', async () => {
    const r = await run(['power', host.hostname, 'on']);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`Power on ${host.hostname}`);
    expect(r.err).toMatch(/Chassis Control 0x01 power up/);
    expect(r.err).toMatch(/not confirmed \(no terminal to ask on\): nothing was done/);
    expect((await tasks()).filter((t) => t.kind === 'host.power')).toEqual([]);
  });

  it('--yes starts the plan shown, and the task journals its lines', async () => {
    const r = await run(['power', host.hostname, 'on', '--yes']);
    expect(r.code, r.err).toBe(0);
    const id = r.out.match(/task (t-[0-9a-f]+)/)![1]!;
    const t = await show(id);
    expect(t.steps[0]!.plan).toEqual([
      expect.stringMatching(/Chassis Control 0x01 power up$/),
      expect.stringMatching(/Get Chassis Status until power is on$/),
    ]);
    for (const line of t.steps[0]!.plan!) expect(r.err).toContain(line);
  });

  it('a plan that changed between showing and the answer is refused, naming the line; nothing starts', async () => {
    const before = (await tasks()).length;
    // While the operator reads the plan of a power off, someone else powers the host off.
    const r = await run(['power', host.hostname, 'off'], async () => {
      const other = await run(['power', host.hostname, 'off', '--confirm', host.hostname]);
      expect(other.code, other.err).toBe(0);
      return host.hostname;
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `Power off ${host.hostname}: the plan changed since it was confirmed (was "state: ${host.hostname} is on (BMC)", now "state: ${host.hostname} is off (BMC)")`,
    );
    expect(r.err).toContain('nothing was done: look at the fresh plan and confirm again');
    expect((await tasks()).length).toBe(before + 1);
  });

  it('host add shows its plan (MaaS, rack file, switch lines) and journals it with the task', async () => {
    const args = ['host', 'add', '--hostname', absent.hostname, ...shapeFlags(absent)];
    const refused = await run(args);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`Add ${absent.hostname} to rackpilot and MaaS`);
    expect(refused.err).toContain(`now: ${absent.hostname} is not in rackpilot's store`);
    expect(refused.err).toMatch(/MaaS GET machines\/\?mac_address=/);
    expect(refused.err).toMatch(/show mac-address-table address/);
    expect((await run(['host', 'ls', '--json'])).out).not.toContain(absent.hostname);
    const r = await run([...args, '--yes', '--detach']);
    expect(r.code, r.err).toBe(0);
    const id = r.out.trim();
    await until(
      async () => (await show(id)).state !== 'running' && (await show(id)).state !== 'pending',
      'host add',
    );
    const t = await show(id);
    expect(t.state, t.error).toBe('done');
    expect(t.steps.map((s) => s.plan?.length ?? 0).every((n) => n > 0)).toBe(true);
    for (const line of t.steps.flatMap((s) => s.plan!)) expect(r.err).toContain(line);
  });
});
