import { readFileSync } from 'node:fs';
import { clientCall, planDigest } from '../confirmed.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { cli } from '../runner/cli-process.ts';
import { killRunnerAndWait, runnerPid, stopRunnersUnder } from '../runner/helpers.ts';
import { skipWithoutEtcd, startEtcd, type TestEtcd } from './etcd-server.ts';
import { jumpHostEnv, seedSite, startJumpHost, until, type JumpHost } from './helpers.ts';

/**
 * A jump host dies mid-deploy: its runner (a `rackpilot runner serve` process started by the CLI,
 * as an operator starts it) is SIGKILLed. Within the lease TTL plus one poll the other jump host
 * lists the task as interrupted and resumes it to done; the dead jump host's runner, started
 * again, leaves the task alone.
 */
const skip = skipWithoutEtcd();

const TTL_S = 2;
const PREFIX = '/rp-takeover/';

let etcd: TestEtcd;
let tl: TestLab;
let b: JumpHost;
let a: { env: Record<string, string>; storePath: string };

beforeAll(async () => {
  if (skip) return;
  etcd = await startEtcd();
  tl = await startTestLab({ hosts: 8, racks: 2, seed: 21, timeScale: 0.01 });
  b = await startJumpHost(tl, etcd, PREFIX, 'b', { RACKPILOT_ETCD_TTL: String(TTL_S) });
  a = jumpHostEnv(tl, etcd, PREFIX, 'a', { RACKPILOT_ETCD_TTL: String(TTL_S) });
  await seedSite(b, tl);
}, 120_000);

afterAll(async () => {
  if (tl) await stopRunnersUnder(tl.dir);
  await b?.stop().catch(() => undefined);
  await tl?.close();
  await etcd?.close();
});

describe.skipIf(skip)('a jump host dies mid-deploy', () => {
  it('the other lists the task interrupted within the TTL plus one poll, resumes it to done; the dead one, restarted, leaves it', async () => {
    const h = tl.lab.spec.hosts[0]!;
    const started = await cli(
      [
        'deploy',
        'vm-takeover',
        '--offering',
        `c${h.cpuCount}`,
        '--template',
        'jammy',
        '--network',
        'tenant-a',
        '--host',
        h.hostname,
        '--detach',
        '--yes',
      ],
      a.env,
    );
    expect(started.code, started.err).toBe(0);
    const id = started.out.trim();
    expect(id).toMatch(/^t-/);
    const pidA = runnerPid(a.storePath);
    expect(pidA).not.toBeNull();

    // B follows the task through etcd (an operator at B runs `task follow`): A's progress reaches
    // B's clients as task events. A is killed once the deploy is past its switch and MaaS steps.
    const seenAtB: string[] = [];
    const offEvents = b.client.onEvent((e) => {
      if (e.taskId === id) seenAtB.push(e.type);
    });
    await b.client.call('tasks.follow', { id });
    const coordB = b.runner.wb.engine.coordinator;
    await until(
      'the deploy is in its MaaS deploy wait, seen from b',
      () => {
        const t = coordB.task(id);
        return (
          t !== undefined && t.state === 'running' && t.steps.findIndex((s) => s.state === 'running') >= 5
        );
      },
      60_000,
    );
    const stepAtKill = coordB.task(id)!.steps.findIndex((s) => s.state === 'running');
    expect(seenAtB).toContain('step-done');
    expect(seenAtB).toContain('log');
    await killRunnerAndWait(a.storePath);
    const killedAt = Date.now();
    await until('b lists the task interrupted', () => coordB.task(id)?.state === 'interrupted', 15_000);
    await until("b's clients hear of it", () => seenAtB.includes('task-interrupted'), 5_000);
    offEvents();
    const tookMs = Date.now() - killedAt;
    // The lease TTL, plus one poll (the coordinator's orphan poll runs every TTL), plus a margin.
    expect(tookMs).toBeLessThan(TTL_S * 1000 * 2 + 1_500);
    const listed = await b.client.call('tasks.get', { id });
    expect(listed.state).toBe('interrupted');
    expect(listed.error).toMatch(/etcd lease ended/);
    // Its journal is exactly as far as A got: the steps after the kill are still to do.
    expect(listed.steps.at(-1)!.state).toBe('pending');

    // Any jump host may resume it: B does, to done.
    await b.client.call('task.resume', {
      id,
      plan: await planDigest(clientCall(b.client), { action: 'resume', task: id }),
    });
    await until('the resumed task is done', () => coordB.task(id)?.state === 'done', 120_000);
    const done = b.runner.wb.engine.get(id)!;
    expect(done.log.some((l) => /resume requested/.test(l.text))).toBe(true);

    // A's jump host comes back: its runner starts again, lists the task as done, and never writes it.
    const before = JSON.stringify(b.runner.wb.engine.get(id));
    const tasks = await cli(['tasks', '--all', '--json'], a.env);
    expect(tasks.code, tasks.err).toBe(0);
    const rows = JSON.parse(tasks.out) as { id: string; state: string }[];
    expect(rows.find((r) => r.id === id)?.state).toBe('done');
    await new Promise((r) => setTimeout(r, TTL_S * 1000 + 500));
    expect(JSON.stringify(b.runner.wb.engine.get(id))).toBe(before);
    const logA = readFileSync(runnerPaths(a.storePath).log, 'utf8');
    const restarted = logA.slice(logA.lastIndexOf('serving'));
    expect(restarted).not.toContain(id);
    console.log(
      `takeover: task ${id} killed at step ${stepAtKill + 1}; interrupted at b after ${tookMs} ms (TTL ${TTL_S} s); resumed to done at b`,
    );
  }, 240_000);
});
