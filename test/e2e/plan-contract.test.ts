import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { runnerActions } from '../../src/cli/dashboard-actions.ts';
import type { DashboardActions, DeployPlan, DeployRequest } from '../../components/actions.ts';
import type { Task } from '../../src/protocol/records.ts';
import type { LabHost } from '../../src/lab/spec.ts';
import {
  addHost,
  offeringFor,
  openOperator,
  seedCatalog,
  startTestLab,
  until,
  type TestLab,
} from './helpers.ts';

/**
 * Plans are contracts, through the dashboard's own actions against a real runner on the lab: the
 * plan the dashboard shows is journaled with the task, step by step and line by line; every line
 * the task sends to a switch or a BMC is a line of that plan, and every switch line, IPMI change
 * and MaaS change of the plan is in the task's log (the shared switch session's configure, end and
 * save included, on every dialect); a plan that no longer holds is refused, naming what changed.
 */
const LAB = { hosts: 8, racks: 4, seed: 6 };
/** What each dialect types to save the configuration (the lab's switches answer as the real ones). */
const SAVE: Record<string, string> = {
  force10: 'write memory',
  os10: 'copy running-configuration startup-configuration',
  nxos: 'copy running-config startup-config',
  eos: 'copy running-config startup-config',
};

let tl: TestLab;
let runner: RunningRunner;
let client: RunnerClient;
let actions: DashboardActions;
/** One host per rack, so one per dialect. */
const hosts: { host: LabHost; dialect: string }[] = [];
/** A Ready host for the rollback. */
let spare: LabHost;

beforeAll(async () => {
  tl = await startTestLab(LAB);
  const store = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  // The hosts and the catalog first, as `rackpilot host add` and the catalog commands leave them.
  const op = await openOperator(tl, { storePath: store });
  await seedCatalog(op);
  for (const sw of tl.lab.spec.switches) {
    const host = tl.lab.spec.hosts.find((h) => h.rack === sw.rack && h.nics.length > 0)!;
    await addHost(op, tl, host);
    hosts.push({ host, dialect: sw.dialect });
  }
  spare = tl.lab.spec.hosts.find((h) => h.nics.length > 0 && !hosts.some((x) => x.host === h))!;
  await addHost(op, tl, spare);
  await op.close();
  const env = { ...tl.env(store), RACKPILOT_ENV_FILE: '', RACKPILOT_POLL_MS: '100' };
  runner = await startRunner({ env, log: () => undefined, idleMs: 0 });
  client = await connectRunner({
    storePath: store,
    site: siteIdentity(loadConfig({ env, envFile: false })),
    client: { kind: 'test', readOnly: false },
    env,
    start: false,
  });
  actions = runnerActions(client);
}, 120_000);

afterAll(async () => {
  client?.close();
  await runner?.stop('test over');
  await tl?.close();
});

async function settled(id: string): Promise<Task> {
  let task: Task | undefined;
  await until(
    async () => {
      task = await client.call('tasks.get', { id });
      return !['pending', 'running', 'rolling-back'].includes(task.state);
    },
    `task ${id} to end`,
    90_000,
  );
  return task!;
}

const deployRequest = (h: LabHost): DeployRequest => ({
  host: h.hostname,
  name: `${h.hostname}-vm`,
  offering: offeringFor(h),
  template: 'jammy',
  networks: ['tenant-a', 'tenant-b'],
});

/**
 * The lines a step sent to a switch or a BMC, as its log holds them (what it read back is logged
 * too, as `switch SW PORT: untagged …`: a reading, not a line sent).
 */
const sentLines = (task: Task, step: number) =>
  task.log
    .filter((l) => l.step === step && (l.source === 'switch' || l.source === 'ipmi'))
    .map((l) => l.text)
    .filter((t) => !/^switch \S+ \S+: /.test(t));

describe('the plan the dashboard shows is the plan that runs', () => {
  const planned = new Map<string, { plan: DeployPlan; task: Task }>();

  it('deploys one host per dialect as planned: the journal holds the plan, step by step', async () => {
    expect(new Set(hosts.map((h) => h.dialect))).toEqual(new Set(Object.keys(SAVE)));
    await Promise.all(
      hosts.map(async ({ host }) => {
        const req = deployRequest(host);
        const plan = await actions.plan(req);
        const { taskId } = await actions.deploy(req, plan);
        const task = await settled(taskId);
        expect(task.state, `${host.hostname}: ${task.error ?? ''}`).toBe('done');
        planned.set(host.hostname, { plan, task });
      }),
    );
    for (const { plan, task } of planned.values()) {
      expect(task.steps.map((s) => s.title)).toEqual(plan.steps.map((s) => s.step));
      expect(task.steps.map((s) => s.plan)).toEqual(plan.steps.map((s) => s.actions));
      // The MAC the plan showed is the MAC the instance got.
      expect(plan.steps.flatMap((s) => s.actions).join('\n')).toContain(`mac_address=${plan.mac}`);
      const inst = (await client.call('instances.list', {})).find((i) => i.host === plan.host)!;
      expect(inst.mac).toBe(plan.mac);
    }
  }, 240_000);

  it('line by line: every switch and IPMI line sent is in the plan, every planned change is in the log', () => {
    for (const { plan, task } of planned.values()) {
      plan.steps.forEach((s, i) => {
        const sent = sentLines(task, i);
        for (const line of sent) expect(s.actions, `${task.id} step ${i + 1} sent`).toContain(line);
        // Steps whose effect was already in place send nothing (the journal notes it).
        if (task.steps[i]!.note) return;
        const logged = task.log.filter((l) => l.step === i).map((l) => l.text);
        const changes = s.actions
          .filter((a) =>
            /^(switch \S+: (?!nothing)|IPMI \S+: (Chassis Control|Set System)|MaaS (POST|PUT|DELETE) )/.test(
              a,
            ),
          )
          .map((a) => a.replace('=<task>', `=${task.id}`));
        for (const line of changes) expect(logged, `${task.id} step ${i + 1}: ${s.step}`).toContain(line);
      });
    }
  });

  it("the task log of a deploy holds the shared switch session's configure, end and save on every dialect", () => {
    for (const { host, dialect } of hosts) {
      const { task } = planned.get(host.hostname)!;
      const sw = host.nics[0]!.switch;
      const lines = task.log.filter((l) => l.source === 'switch').map((l) => l.text);
      // Two port steps (PXE VLAN, then the tenant VLANs), each a session ending with the save.
      const saves = lines.filter((l) => l === `switch ${sw}: ${SAVE[dialect]}`);
      expect(saves.length, `${dialect}: ${lines.join('\n')}`).toBeGreaterThanOrEqual(1);
      expect(lines).toContain(`switch ${sw}: end`);
      expect(
        lines.some((l) => /^switch \S+: conf/.test(l)),
        dialect,
      ).toBe(true);
    }
  });

  it('a plan that no longer holds is refused, naming what changed; nothing starts', async () => {
    const { host } = hosts[0]!;
    const req = { action: 'power', host: host.hostname, op: 'off' } as const;
    const before = await actions.planAction(req);
    expect(before.state).toContain(`${host.hostname} is on (BMC)`);
    expect(before.typed).toBe(host.hostname);
    // Someone else powers it off meanwhile (the same runner, another client).
    const other = await actions.planAction(req);
    const { taskId } = await actions.runAction(req, other.digest);
    expect((await settled(taskId)).state).toBe('done');
    const tasks = (await client.call('tasks.list', { all: true })).length;
    await expect(actions.runAction(req, before.digest)).rejects.toThrow(
      /the plan changed since it was confirmed \(was "state: \S+ is on \(BMC\)", now "state: \S+ is off \(BMC\)"\)/,
    );
    expect((await client.call('tasks.list', { all: true })).length).toBe(tasks);
  }, 60_000);

  it('a rollback plans its undo lines, says what it erases and wants the name typed; it runs as shown', async () => {
    const { task: done } = planned.get(hosts[1]!.host.hostname)!;
    // A done task is not rolled back: refused before any plan is shown.
    await expect(actions.planAction({ action: 'rollback', task: done.id })).rejects.toThrow(
      /is done: it cannot be rolled back/,
    );

    // A deploy that fails after MaaS deployed the host: the tenant VLAN is refused by the switch.
    const sw = spare.nics[0]!.switch;
    tl.lab.switches.faults.errorOn({ switch: sw, match: /\b201\b/ });
    const req = deployRequest(spare);
    const { taskId } = await actions.deploy(req, await actions.plan(req));
    const failed = await settled(taskId);
    tl.lab.switches.faults.clear();
    expect(failed.state).toBe('failed');

    const plan = await actions.planAction({ action: 'rollback', task: taskId });
    expect(plan.typed).toBe(spare.hostname);
    expect(plan.destroys).toMatch(new RegExp(`the disks of ${spare.hostname}: \\w+ erase`));
    expect(plan.state[0]).toBe(`task ${taskId} (instance.create of ${spare.hostname}) is failed`);
    // Last step first; the steps that never ran are not in it.
    const undone = plan.steps.map((s) => s.step);
    expect(undone[0]).toBe('undo 9 Tenant VLANs on the ToR ports');
    expect(undone.at(-1)).toBe('undo 1 Check constraints');
    expect(undone.some((s) => /Power on|Boot from disk/.test(s))).toBe(false);
    const release = plan.steps
      .find((s) => s.step === 'undo 6 Deploy the template image')!
      .actions.find((a) => a.includes('?op=release'))!;
    expect(release).toMatch(/^MaaS POST machines\/\S+\/\?op=release erase=true/);

    const { taskId: same } = await actions.runAction({ action: 'rollback', task: taskId }, plan.digest);
    expect(same).toBe(taskId);
    const back = await settled(taskId);
    expect(back.state).toBe('rolled-back');
    // The confirmed undo plan is kept with the task, step by step, line by line.
    for (const step of plan.steps) {
      const i = Number(/^(?:undo )?(\d+) /.exec(step.step)![1]) - 1;
      expect(back.steps[i]!.undoPlan, step.step).toEqual(step.actions);
    }
    expect(back.steps.filter((s) => s.undoPlan).length).toBe(plan.steps.length);
    // The undos ran in the plan's order, and the release went out as planned, erase and all.
    const order = back.log
      .filter((l) => l.source === 'engine' && l.text.endsWith(': undo started'))
      .map((l) => `undo ${l.step! + 1} ${back.steps[l.step!]!.title}`);
    expect(order).toEqual(undone.filter((s) => s.startsWith('undo ')));
    expect(back.log.map((l) => l.text)).toContain(release);
    // Every switch and IPMI line the rollback sent is a line of its step's undo plan: a port
    // already back on the PXE VLAN gets nothing, not even a save.
    const undoStarted = back.log.findIndex((l) => l.text === 'rollback started');
    for (const step of plan.steps.filter((s) => s.step.startsWith('undo '))) {
      const i = Number(step.step.split(' ')[1]) - 1;
      const sent = back.log
        .slice(undoStarted)
        .filter((l) => l.step === i && (l.source === 'switch' || l.source === 'ipmi'))
        .map((l) => l.text)
        .filter((t) => !/^switch \S+ \S+: /.test(t));
      for (const line of sent) expect(step.actions, step.step).toContain(line);
    }
  }, 120_000);
});
