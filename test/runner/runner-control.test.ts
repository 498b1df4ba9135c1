import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { cli, cliOk, runCli, shapeFlags } from './cli-process.ts';
import { runnerPid, stopRunnersUnder } from './helpers.ts';

/**
 * `runner status|stop|restart` as an operator types them: they never start a runner, they find the
 * store's runner whatever the MaaS variables of the terminal say, and a restart waits for the
 * running tasks (refusing new ones meanwhile) before the runner comes back with this terminal's
 * settings.
 */
let tl: TestLab;
let env: Record<string, string>;
let storePath: string;
let labStore: string;

const waitGone = async (store: string) => {
  for (let i = 0; i < 200 && runnerPid(store) !== null; i++) await new Promise((r) => setTimeout(r, 50));
  return runnerPid(store);
};

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 13, timeScale: 0.01 });
  storePath = join(mkdtempSync(join(tl.dir, 'rp-ctl-')), 'store.json');
  labStore = join(dirname(storePath), 'lab', 'store.json');
  env = { HOME: tl.dir, RACKPILOT_ENV_FILE: tl.envFile, RACKPILOT_STORE: storePath };
}, 60_000);

afterAll(async () => {
  await stopRunnersUnder(tl.dir);
  await tl?.close();
});

describe('runner status and stop', () => {
  it('`runner status` on a store without a runner starts nothing: no runner, no lab', async () => {
    const noMaas = { HOME: tl.dir, RACKPILOT_STORE: storePath };
    for (const e of [env, noMaas]) {
      const r = await cli(['runner', 'status'], e);
      expect(r.code).toBe(3);
      expect(r.out).toMatch(/^no runner is running for .*store\.json.*\(none was started\)/);
    }
    expect(runnerPid(storePath)).toBeNull();
    expect(runnerPid(labStore)).toBeNull();
    expect(existsSync(runnerPaths(storePath).log)).toBe(false);
    expect(existsSync(dirname(labStore))).toBe(false);
    const logs = await cli(['runner', 'logs'], env);
    expect(logs.code).toBe(1);
    expect(runnerPid(storePath)).toBeNull();
  }, 60_000);

  it("`runner stop` finds the store's runner without the MaaS variables, or with another MaaS's", async () => {
    const others: Record<string, string>[] = [
      { HOME: tl.dir, RACKPILOT_STORE: storePath },
      {
        HOME: tl.dir,
        RACKPILOT_STORE: storePath,
        MAAS_URL: 'http://192.0.2.1:5240/MAAS',
        MAAS_API_KEY: 'AbCdEfGhIjKlMnOpQr:StUvWxYzAbCdEfGhIj:KlMnOpQrStUvWxYzAbCdEfGhIjKlMnOp',
      },
    ];
    for (const other of others) {
      await cliOk(['tasks', '--json'], env);
      const pid = runnerPid(storePath);
      expect(pid).not.toBeNull();
      const status = await cliOk(['runner', 'status'], other);
      expect(status.out).toContain(`runner ${pid}`);
      expect(status.out).toMatch(/settings {2}this terminal.s differ: .*MAAS_URL/);
      const stop = await cliOk(['runner', 'stop'], other);
      expect(stop.out).toContain(`runner ${pid} (store ${storePath}) stopping`);
      expect(await waitGone(storePath)).toBeNull();
      // Neither command started the lab its settings would have.
      expect(runnerPid(labStore)).toBeNull();
    }
  }, 90_000);
});

describe('runner restart', () => {
  it('refuses a terminal with other settings until `runner restart` brings the runner back with them', async () => {
    await cliOk(['tasks', '--json'], env);
    const old = runnerPid(storePath)!;
    const quick = { ...env, RACKPILOT_ERASE_MODE: 'quick' };
    const refused = await cli(['tasks'], quick);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('the erase mode (RACKPILOT_ERASE_MODE)');
    expect(refused.err).toContain('rackpilot runner restart');
    expect(refused.err).not.toContain('quick');
    const r = await cliOk(['runner', 'restart'], quick);
    expect(r.out).toContain(`runner ${old} stopped`);
    const pid = runnerPid(storePath)!;
    expect(pid).not.toBe(old);
    expect(r.out).toContain(`runner ${pid} started with this terminal's settings`);
    await cliOk(['tasks'], quick);
    expect((await cli(['tasks'], env)).err).toContain('RACKPILOT_ERASE_MODE');
    await cliOk(['runner', 'restart', '--now'], env);
  }, 90_000);

  it('waits for a running task, refusing new changes meanwhile', async () => {
    const h = tl.lab.spec.hosts[0]!;
    await cliOk(['template', 'add', 'jammy', '--image', 'ubuntu/jammy'], env);
    await cliOk(['offering', 'add', 'small', ...shapeFlags(h)], env);
    await cliOk(['network', 'add', 'tenant-a', '--vlan', '200'], env);
    await cliOk(['host', 'add', '--hostname', h.hostname, ...shapeFlags(h), '--yes'], env);
    tl.lab.maas.faults.stickDeploy(h.hostname);
    const deploy = ['deploy', 'vm-r', '--offering', 'small', '--template', 'jammy', '--network', 'tenant-a'];
    const id = (await cliOk([...deploy, '--detach', '--yes'], env)).out.trim();
    const old = runnerPid(storePath)!;
    const restart = runCli(['runner', 'restart'], env);
    await restart.waitFor(/restarts once its 1 running task\(s\) end/);
    const refused = await cli(['network', 'add', 'tenant-b', '--vlan', '201'], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/refused: the runner is restarting once its running tasks end/);
    expect(runnerPid(storePath)).toBe(old);
    await cliOk(['task', 'cancel', id, '--yes'], env);
    expect(await restart.exit, restart.err()).toBe(0);
    expect(runnerPid(storePath)).not.toBe(old);
    expect(readFileSync(runnerPaths(storePath).log, 'utf8')).toMatch(
      /stopping: restarted by the operator \(its tasks had ended\)/,
    );
  }, 120_000);
});
