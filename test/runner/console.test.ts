import { mkdtempSync, statSync } from 'node:fs';
import { addHostConfirmed, clientCall, planDigest } from '../confirmed.ts';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import {
  CONSOLE_DATA_NOTIFICATION,
  CONSOLE_STATE_NOTIFICATION,
  type ConsoleData,
  type ConsoleState,
} from '../../src/protocol/console.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { until } from '../ipmi/helpers.ts';

/**
 * The runner owns each host's console: two viewers (one read-only, as a second dashboard) share
 * one SOL session on the BMC; only the viewer that took the keyboard types; a task's console is
 * recorded, owner-only, and read back with `console.read --task`.
 */
let tl: TestLab;
let runner: RunningRunner;
let env: Record<string, string>;
const clients: RunnerClient[] = [];
const HOST = 'r01-n002';

async function viewer(readOnly: boolean) {
  const c = await connectRunner({
    storePath: runner.paths.store,
    site: siteIdentity(loadConfig({ env, envFile: false })),
    client: { kind: 'test', readOnly },
    env,
    start: false,
  });
  clients.push(c);
  let text = '';
  let state: ConsoleState | undefined;
  c.onNotification(CONSOLE_DATA_NOTIFICATION, (p) => {
    for (const { host, data } of (p as ConsoleData).items)
      if (host === HOST) text += Buffer.from(data, 'base64').toString();
  });
  c.onNotification(CONSOLE_STATE_NOTIFICATION, (p) => {
    if ((p as ConsoleState).host === HOST) state = p as ConsoleState;
  });
  return { c, text: () => text, state: () => state };
}

beforeAll(async () => {
  tl = await startTestLab({ hosts: 3, racks: 1, seed: 9 });
  const storePath = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  env = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '', RACKPILOT_POWER_SWEEP_MS: '0' };
  runner = await startRunner({ env, log: () => undefined, idleMs: 0 });
  const admin = await viewer(false);
  await admin.c.call('tasks.subscribe', {});
  const added = await addHostConfirmed(clientCall(admin.c), {
    hostname: HOST,
    cores: 8,
    mhz: 2000,
    memory: 16384,
  });
  const done = new Promise<void>((resolve) =>
    admin.c.onEvent((e) => e.taskId === added.taskId && e.type === 'task-done' && resolve()),
  );
  const t = await admin.c.call('tasks.get', { id: added.taskId! });
  if (t.state !== 'done') await done;
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await runner?.stop('test over');
  await tl?.close();
});

describe('the runner shares one SOL session among viewers', () => {
  it('two viewers watch one console while the BMC sees one activation; only the keyboard holder types', async () => {
    const a = await viewer(false);
    const b = await viewer(true);
    await a.c.call('console.open', { host: HOST });
    await b.c.call('console.open', { host: HOST });
    await until(
      () => a.state()?.state === 'open' && b.state()?.state === 'open',
      'both viewers to see it open',
    );
    expect(tl.lab.bmcs.sol(HOST)).toEqual({ active: true, activations: 1 });
    expect(a.state()?.viewers).toBe(2);

    tl.lab.world.setInstalledOs(HOST, 'ubuntu/jammy');
    tl.lab.world.setBoot(HOST, 'disk', false, false);
    tl.lab.world.setPower(HOST, 'on', 'test');
    await until(
      () => a.text().includes(`${HOST} login: `) && b.text().includes(`${HOST} login: `),
      'the prompt',
    );

    // The read-only viewer can neither take the keyboard nor type.
    await expect(b.c.call('console.keyboard', { host: HOST, take: true })).rejects.toThrow(/read-only/);
    await expect(
      b.c.call('console.input', { host: HOST, data: Buffer.from('x').toString('base64') }),
    ).rejects.toThrow(/read-only/);
    // Typing needs the keyboard taken first.
    await expect(
      a.c.call('console.input', { host: HOST, data: Buffer.from('root\r').toString('base64') }),
    ).rejects.toThrow(/do not have the keyboard/);
    const taken = await a.c.call('console.keyboard', { host: HOST, take: true });
    expect(taken.keyboard).toBe('you');
    await until(() => b.state()?.keyboard === 'other', 'the other viewer to learn who types');
    await a.c.call('console.input', { host: HOST, data: Buffer.from('root\r').toString('base64') });
    await until(() => b.text().includes('Password: '), 'the read-only viewer to see the typed login');
    expect(tl.lab.bmcs.sol(HOST).activations).toBe(1);

    await a.c.call('console.close', { host: HOST });
    b.c.close();
    await until(() => !tl.lab.bmcs.sol(HOST).active, 'the SOL session to end once nobody watches', 10_000);
  });

  it("records a task's console, owner-only, readable afterwards", async () => {
    const a = await viewer(false);
    await a.c.call('tasks.subscribe', {});
    await a.c.call('console.open', { host: HOST });
    await until(() => a.state()?.state === 'open', 'the console');
    const plan = await planDigest(clientCall(a.c), { action: 'power', host: HOST, op: 'cycle' });
    const { taskId } = await a.c.call('host.power', { host: HOST, action: 'cycle', force: true, plan });
    const ended = new Promise<void>((resolve) =>
      a.c.onEvent(
        (e) =>
          e.taskId === taskId &&
          e.type.startsWith('task-') &&
          e.type !== 'task-started' &&
          e.type !== 'task-created' &&
          resolve(),
      ),
    );
    await ended;
    // The power cycle's boot output is in it: an empty recording would pass the checks below.
    const rec = await a.c.call('console.read', { host: HOST, task: taskId });
    expect(rec.source).toBe('recording');
    expect(Buffer.from(rec.data, 'base64').length).toBeGreaterThan(0);
    const path = join(dirname(runner.paths.store), 'consoles', `${taskId}.${HOST}.console`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const scrollback = await a.c.call('console.read', { host: HOST });
    expect(Buffer.from(scrollback.data, 'base64').includes(Buffer.from(rec.data, 'base64'))).toBe(true);
    await expect(a.c.call('console.read', { host: HOST, task: 't-00000000' })).rejects.toThrow(
      /no console recording of r01-n002 for task t-00000000/,
    );
    await a.c.call('console.close', { host: HOST });
  });

  it('the doctor opens a console nobody watches, sends it nothing, and says when it printed nothing', async () => {
    const a = await viewer(false);
    await until(() => !tl.lab.bmcs.sol(HOST).active, 'no SOL session left from before', 15_000);
    const before = tl.lab.bmcs.sol(HOST).activations;
    const d = await a.c.call('host.doctor', { host: HOST });
    // It opened the BMC's SOL session itself; the waiting host printed nothing in the window.
    expect(tl.lab.bmcs.sol(HOST).activations).toBe(before + 1);
    expect(d.unchecked.join('\n')).toMatch(/the host's console \(opened for 2 s: it printed nothing/);
    // Its scrollback from the earlier tests is still the evidence shown.
    expect(d.console?.join('\n')).toContain(`${HOST} login:`);
    // Nobody watches it: it closes after the doctor's keep.
    await until(() => !tl.lab.bmcs.sol(HOST).active, 'the session to close', 20_000);
  });
});
