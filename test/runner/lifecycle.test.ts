import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorldEvent } from '../../src/lab/world.ts';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { cli, cliOk, runCli, shapeFlags, taskShow } from './cli-process.ts';
import { killRunnerAndWait, runnerPid, stopRunnersUnder } from './helpers.ts';

/**
 * The runner as operators meet it: `rackpilot` processes in several "terminals" against one site
 * (a lab this test process runs, used through its env file as a real site). The first command
 * starts the runner; every task runs there, whatever happens to the terminals, and a killed
 * runner leaves its tasks interrupted for the next one to resume.
 */
let tl: TestLab;
let env: Record<string, string>;
let storePath: string;
let offering: string;
const shapeHosts: string[] = [];

const ok = (args: string[]) => cliOk(args, env);

const taskJson = (id: string) => taskShow(id, env);

beforeAll(async () => {
  tl = await startTestLab({ hosts: 16, racks: 2, seed: 7, timeScale: 0.01 });
  storePath = join(mkdtempSync(join(tl.dir, 'rp-site-')), 'store.json');
  env = { HOME: tl.dir, RACKPILOT_ENV_FILE: tl.envFile, RACKPILOT_STORE: storePath };
  // The commonest hardware shape: several hosts the planner may choose between.
  const byShape = new Map<string, typeof tl.lab.spec.hosts>();
  for (const h of tl.lab.spec.hosts) {
    const k = `${h.cpuCount}/${h.cpuMhz}/${h.memoryMb}`;
    byShape.set(k, [...(byShape.get(k) ?? []), h]);
  }
  const hosts = [...byShape.values()].sort((a, b) => b.length - a.length)[0]!.slice(0, 6);
  const h0 = hosts[0]!;
  offering = `c${h0.cpuCount}`;
  await ok(['template', 'add', 'jammy', '--image', 'ubuntu/jammy']);
  await ok(['offering', 'add', offering, ...shapeFlags(h0)]);
  await ok(['network', 'add', 'tenant-a', '--vlan', '200']);
  await Promise.all(
    hosts.map((h) => ok(['host', 'add', '--hostname', h.hostname, ...shapeFlags(h), '--yes'])),
  );
  shapeHosts.push(...hosts.map((h) => h.hostname));
}, 120_000);

afterAll(async () => {
  await stopRunnersUnder(tl.dir);
  await tl?.close();
});

const deploy = (name: string, extra: string[] = []) => [
  'deploy',
  name,
  '--offering',
  offering,
  '--template',
  'jammy',
  '--network',
  'tenant-a',
  '--yes',
  ...extra,
];

/** The host an instance runs on: what a destructive plan asks to be typed. */
async function hostOf(instance: string): Promise<string> {
  const ls = JSON.parse((await ok(['host', 'ls', '--json'])).out) as {
    hostname: string;
    instance: string | null;
  }[];
  return ls.find((h) => h.instance === instance)!.hostname;
}

describe('one runner, many terminals', () => {
  it('runs two deploys started at the same moment while a third terminal reads every 200 ms', async () => {
    const a = runCli(deploy('vm-a'), env);
    const b = runCli(deploy('vm-b'), env);
    let reads = 0;
    const failures: string[] = [];
    let running = true;
    const reader = (async () => {
      for (let i = 0; running; i++) {
        const r = await cli(i % 2 ? ['tasks', '--json'] : ['ls'], env);
        reads++;
        if (r.code !== 0) failures.push(r.err);
        if (i % 2) JSON.parse(r.out);
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    const [codeA, codeB] = await Promise.all([a.exit, b.exit]);
    running = false;
    await reader;
    expect(codeA, a.err()).toBe(0);
    expect(codeB, b.err()).toBe(0);
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThanOrEqual(2);
    const hostOf = (out: string) => /instance vm-\w on (\S+) /.exec(out)![1];
    expect(hostOf(a.err())).not.toBe(hostOf(b.err()));
    const ls = JSON.parse((await ok(['ls', '--json'])).out) as { name: string; state: string }[];
    expect(ls.filter((i) => i.name.startsWith('vm-')).map((i) => i.state)).toEqual(['running', 'running']);
  }, 180_000);

  it('keeps a deploy running when the terminal that started it is killed; `task follow` picks it up live', async () => {
    const d = runCli(deploy('vm-c'), env);
    const id = (await d.waitFor(/task (t-[0-9a-f]+)/))[1]!;
    await d.waitFor(/^\[3\] /m);
    d.child.kill('SIGKILL');
    await d.exit;
    const f = runCli(['task', 'follow', id], env);
    // Steps after the kill arrive live, up to the last one.
    await f.waitFor(/^\[13\] /m, 120_000);
    expect(await f.exit, f.err()).toBe(0);
    expect((await taskJson(id)).state).toBe('done');
  }, 180_000);

  it('detaches on Ctrl-C and with --detach, saying how to follow again; the task goes on', async () => {
    const d = runCli(deploy('vm-d'), env);
    const id = (await d.waitFor(/task (t-[0-9a-f]+)/))[1]!;
    // Ctrl-C detaches a command that follows its task: wait for the first step it relays (the line
    // naming the task is printed just before the command starts following).
    await d.waitFor(/^\[\d+\] /m);
    d.child.kill('SIGINT');
    expect(await d.exit, `${d.err()}\nsignal ${d.child.signalCode}`).toBe(130);
    expect(d.err()).toContain(`rackpilot task follow ${id}`);
    // vm-d is still being created: its host is busy, and the refusal names the create task.
    const busy = await cli(['stop', 'vm-d', '--confirm', await hostOf('vm-d')], env);
    expect(busy.code).toBe(1);
    expect(busy.err).toContain(id);
    const f = runCli(['task', 'follow', id], env);
    expect(await f.exit, f.err()).toBe(0);
    const s = await ok(['stop', 'vm-d', '--detach', '--confirm', await hostOf('vm-d')]);
    expect(s.out.trim()).toMatch(/^t-[0-9a-f]+$/);
    const stopId = s.out.trim();
    expect((await ok(['task', 'follow', stopId])).code).toBe(0);
  }, 180_000);
});

describe('a runner that dies', () => {
  it('leaves its task interrupted; the next command starts a new runner and `task resume` finishes it', async () => {
    const d = runCli(deploy('vm-e'), env);
    const id = (await d.waitFor(/task (t-[0-9a-f]+)/))[1]!;
    await d.waitFor(/^\[7\] /m);
    const oldPid = await killRunnerAndWait(storePath);
    expect(oldPid).not.toBeNull();
    expect(await d.exit).toBe(1);
    expect(d.err()).toMatch(new RegExp(`lost task ${id}: the runner went away`));
    const t = await taskJson(id);
    expect(t.state).toBe('interrupted');
    expect(runnerPid(storePath)).not.toBe(oldPid);
    const r = await ok(['task', 'resume', id, '--yes']);
    expect(r.err).toMatch(/\[7\] /);
    expect((await taskJson(id)).state).toBe('done');
  }, 180_000);
});

describe('manual BMC changes are tasks', () => {
  it('refuses `ipmi HOST power off` while a deploy holds HOST, naming the task; the BMC gets nothing', async () => {
    const ls = JSON.parse((await ok(['host', 'ls', '--json'])).out) as {
      hostname: string;
      instance: string | null;
    }[];
    const free = ls.find((h) => h.instance === null && shapeHosts.includes(h.hostname))!.hostname;
    tl.lab.maas.faults.stickDeploy(free);
    const d = await ok(deploy('vm-f', ['--host', free, '--detach']));
    const id = d.out.trim();
    for (let i = 0; i < 200; i++) {
      const t = await taskJson(id);
      if (t.steps[6]!.state === 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const power: Extract<WorldEvent, { kind: 'power' }>[] = [];
    // What reaches the BMC: the installed OS's own reboot at the end of curtin (source 'os', due
    // about 4 s into the deploy at this time scale) is not a BMC command and may fall in this window.
    const off = tl.lab.world.on((e) => {
      if (e.kind === 'power' && e.hostname === free && e.source !== 'os') power.push(e);
    });
    const refused = await cli(['ipmi', free, 'power', 'off', '--confirm', free], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`task ${id}`);
    expect(refused.err).toContain('instance.create');
    await new Promise((r) => setTimeout(r, 300));
    expect(power).toEqual([]);
    expect(tl.lab.world.host(free).power).toBe('on');

    // --force overrides, and the power task's journal says whose host it took.
    const forced = await cli(['ipmi', free, 'power', 'off', '--force', '--json', '--confirm', free], env);
    expect(forced.code, forced.err).toBe(0);
    const powerTask = JSON.parse(forced.out) as { id: string };
    const journal = await taskJson(powerTask.id);
    expect(journal.log.map((l) => l.text).join('\n')).toMatch(new RegExp(`forced.*${id}|${id}.*forced`, 'i'));
    expect(power.map((e) => e.power)).toContain('off');
    off();
    await ok(['task', 'cancel', id, '--yes']);
  }, 180_000);
});

describe('starting the runner', () => {
  it('ends with exactly one runner when two clients race to start it', async () => {
    const store = join(mkdtempSync(join(tl.dir, 'rp-race-')), 'store.json');
    const raceEnv = { ...env, RACKPILOT_STORE: store };
    // `runner status` starts nothing: two commands that need the runner race to start it.
    const [a0, b0] = await Promise.all([
      cli(['tasks', '--json'], raceEnv),
      cli(['tasks', '--json'], raceEnv),
    ]);
    expect(a0.code, a0.err).toBe(0);
    expect(b0.code, b0.err).toBe(0);
    const a = await cli(['runner', 'status', '--json'], raceEnv);
    expect(a.code, a.err).toBe(0);
    // Every thread of the runner works at nice 10 (field 19 of each thread's stat), in a session
    // of its own (field 6), whose scheduling group, where the kernel has autogroups, is left at 0.
    const pid = JSON.parse(a.out).pid as number;
    const field = (stat: string, n: number) =>
      Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]);
    const threads = readdirSync(`/proc/${pid}/task`);
    expect(threads.length).toBeGreaterThan(1);
    for (const t of threads) expect(field(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'), 19)).toBe(10);
    expect(field(readFileSync('/proc/self/stat', 'utf8'), 19)).toBe(0);
    expect(field(readFileSync(`/proc/${pid}/stat`, 'utf8'), 6)).toBe(pid);
    if (existsSync(`/proc/${pid}/autogroup`))
      expect(readFileSync(`/proc/${pid}/autogroup`, 'utf8')).toMatch(/ nice 0\n$/);
    // glibc's thresholds: big blocks to mmap, and the heap's top kept up to 16 MB, not handed back
    // and faulted in again after every free.
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    expect(environ).toContain(`MALLOC_TRIM_THRESHOLD_=${16 * 1024 * 1024}`);
    const log = readFileSync(runnerPaths(store).log, 'utf8');
    expect(log.match(/serving/g)).toHaveLength(1);
    const st = await cli(['runner', 'stop'], raceEnv);
    expect(st.out).toMatch(/stopping/);
    for (let i = 0; i < 100 && runnerPid(store) !== null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(runnerPid(store)).toBeNull();
  }, 60_000);
});
