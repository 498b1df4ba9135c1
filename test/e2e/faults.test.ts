import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLabSpec, type LabHost } from '../../src/lab/spec.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { reserveInstance, resolveCreate, startCreate } from '../../src/runner/site/provision.ts';
import { createInstanceSteps } from '../../src/runner/workflows/instance-create.ts';
import { destroyInstanceSteps } from '../../src/runner/workflows/instance-lifecycle.ts';
import type { Host, Task } from '../../src/protocol/records.ts';
import {
  addHost,
  expectDone,
  expectFree,
  expectRunning,
  maasEvents,
  offeringFor,
  openOperator,
  peerState,
  runTask,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from './helpers.ts';

/**
 * What goes wrong at 3 a.m., in the lab: the wrong step order, a failed and a stuck deployment,
 * an SSH session dropped mid-VLAN change, a BMC that does not answer. Each ends in one clear
 * failed step naming the device, with the journal exact (earlier steps done, later ones pending),
 * and resume or rollback gets the gear to a consistent state.
 */
const LAB = { hosts: 12, racks: 4, seed: 11 };
const spec = generateLabSpec(LAB);
const bonded = spec.hosts.filter((h) => h.nics.length >= 2);

let tl: TestLab;
let op: Operator;

beforeAll(async () => {
  // MaaS's node_timeout, scaled: a deployment that cannot reach the region fails after 2 s.
  tl = await startTestLab({ ...LAB, maas: { minStallTimeoutMs: 2_000 } });
  op = await openOperator(tl);
  await seedCatalog(op);
}, 60_000);
afterAll(async () => {
  await op?.close();
  await tl?.close();
});

let nextHost = 0;
async function freshHost(): Promise<{ lab: LabHost; host: Host }> {
  const lab = bonded[nextHost++]!;
  return { lab, host: await addHost(op, tl, lab) };
}

/** The journal after a failure: steps before `title` done, it failed, the rest never started. */
function expectFailedAt(task: Task, title: string | RegExp): string {
  expect(task.state).toBe('failed');
  const i = task.steps.findIndex((s) =>
    typeof title === 'string' ? s.title === title : title.test(s.title),
  );
  expect(i, `step ${String(title)}`).toBeGreaterThanOrEqual(0);
  expect(task.steps.slice(0, i).every((s) => s.state === 'done')).toBe(true);
  expect(task.steps[i]!.state).toBe('failed');
  expect(task.steps.slice(i + 1).every((s) => s.state === 'pending')).toBe(true);
  expect(task.error).toContain(task.steps[i]!.error!);
  return task.steps[i]!.error!;
}

async function createOn(lab: LabHost, name: string, networks = ['tenant-a']) {
  const { instance, taskId } = await startCreate(op.wb, op.site.maas, {
    name,
    offering: offeringFor(lab),
    template: 'jammy',
    networks,
    host: lab.hostname,
  });
  return { instanceId: instance.id, task: await op.wb.engine.wait(taskId), taskId };
}

describe('the lab punishes the wrong order', () => {
  it('deploying with the ToR ports left on a tenant VLAN stays Deploying, then Failed deployment', async () => {
    const { lab, host } = await freshHost();
    // A previous tenant's VLAN is still on the ports.
    for (const nic of lab.nics)
      await op.wb.deps.switches.apply(nic.switch, [{ port: nic.port, op: 'access', vlan: 203 }]);
    const instance = await recordOnly(lab, 'vm-wrong-order');
    // The create workflow minus its "ports to the PXE VLAN" step: the order the workflow must not use.
    const steps = createInstanceSteps(op.wb.deps, { instanceId: instance }).filter(
      (s) => s.title !== 'ToR ports to the PXE VLAN',
    );
    const id = await op.wb.engine.start(
      'instance.create',
      { hostId: host.id, hostname: host.hostname, instanceId: instance },
      { instanceId: instance },
      { steps },
    );
    const task = await op.wb.engine.wait(id);
    const error = expectFailedAt(task, 'Wait for MaaS to report Deployed');
    expect(error).toMatch(new RegExp(`${lab.hostname}: MaaS reports Failed deployment while deploying`));
    const events = (await maasEvents(op, host)).join('\n');
    expect(events).toMatch(/From 'Allocated' to 'Deploying'/);
    expect(events).toMatch(/From 'Deploying' to 'Failed deployment'/);
    expect(events).toMatch(/Node operation 'Deploying' timed out/);
    // The host never reached MaaS's PXE network, so nothing was installed.
    expect(events).not.toMatch(/PXE Request - installation/);
    expect((await op.site.maas.readMachine(host.maasSystemId!)).status).toBe(NODE_STATUS.FAILED_DEPLOYMENT);

    // Back to Ready (nothing is on the disk: no erase, which would need the PXE VLAN too).
    op.wb.deps.settings.eraseMode = 'none';
    await op.wb.engine.rollback(id, { steps });
    expect((await op.wb.engine.wait(id)).state).toBe('rolled-back');
    op.wb.deps.settings.eraseMode = 'quick';
    expect((await op.site.maas.readMachine(host.maasSystemId!)).status).toBe(NODE_STATUS.READY);

    // The real workflow on the same dirty ports: it moves them to the PXE VLAN first and succeeds.
    expect((await peerState(op, host)).ports.every((p) => p.untagged === 203)).toBe(true);
    const ok = await createOn(lab, 'vm-right-order');
    expectDone(ok.task);
    await expectRunning(op, ok.instanceId);
  });
});

/** The instance record `deploy` would make, without starting its task. */
async function recordOnly(lab: LabHost, name: string): Promise<string> {
  const req = {
    name,
    offering: offeringFor(lab),
    template: 'jammy',
    networks: ['tenant-a'],
    host: lab.hostname,
  };
  const { instance } = await reserveInstance(op.wb.store, req, resolveCreate(op.wb.store, req), () => true);
  return instance.id;
}

describe('MaaS faults', () => {
  it('a failed deployment fails the wait step with MaaS’s reason; rollback frees the host', async () => {
    const { lab, host } = await freshHost();
    tl.lab.maas.faults.failDeploy(lab.hostname);
    const { task, taskId } = await createOn(lab, 'vm-fail-deploy');
    const error = expectFailedAt(task, 'Wait for MaaS to report Deployed');
    expect(error).toMatch(new RegExp(`${lab.hostname}: MaaS reports Failed deployment while deploying`));
    expect(error).toMatch(/Installation failed/i);
    // MaaS's events (what the hint points the operator at) say where it failed.
    expect((await maasEvents(op, host)).join('\n')).toMatch(/Node installation failure - 'curtin'/);
    tl.lab.maas.faults.clear();
    await op.wb.engine.rollback(taskId);
    expect((await op.wb.engine.wait(taskId)).state).toBe('rolled-back');
    await expectFree(op, host);
  });

  it('a deployment stuck past the deploy timeout fails with the timeout; rollback aborts and frees the host', async () => {
    const { lab, host } = await freshHost();
    tl.lab.maas.faults.stickDeploy(lab.hostname);
    op.wb.deps.settings.deployTimeoutMs = 300;
    try {
      const { task, taskId } = await createOn(lab, 'vm-stuck');
      const error = expectFailedAt(task, 'Wait for MaaS to report Deployed');
      expect(error).toMatch(new RegExp(`^${lab.hostname}: still Deploying after 300 ms while deploying`));
      expect(error).toMatch(/resume the task to keep waiting, or roll it back/);
      tl.lab.maas.faults.clear();
      await op.wb.engine.rollback(taskId);
      expect((await op.wb.engine.wait(taskId)).state).toBe('rolled-back');
      expect((await maasEvents(op, host)).join('\n')).toMatch(/Aborted deployment/);
      await expectFree(op, host);
    } finally {
      op.wb.deps.settings.deployTimeoutMs = 40 * 60_000;
      tl.lab.maas.faults.clear();
    }
  });
});

describe('switch faults', () => {
  it('SSH dropped mid-VLAN change fails the VLAN step naming the switch; resume finishes', async () => {
    const { lab, host } = await freshHost();
    const sw = lab.nics[0]!.switch;
    // Every command that touches a tenant VLAN kills the session before the switch answers.
    tl.lab.switches.faults.dropMidCommand({ switch: sw, match: /\b20[0-3]\b/ });
    try {
      const { task, taskId, instanceId } = await createOn(lab, 'vm-ssh-drop');
      const error = expectFailedAt(task, 'Tenant VLANs on the ToR ports');
      expect(error).toContain(sw);
      tl.lab.switches.faults.clear();
      await op.wb.engine.resume(taskId);
      expectDone(await op.wb.engine.wait(taskId));
      await expectRunning(op, instanceId);
      expectDone(await runTask(op, 'instance.destroy', { instanceId }));
      await expectFree(op, host);
    } finally {
      tl.lab.switches.faults.clear();
    }
  });
});

describe('BMC faults', () => {
  it('a dead BMC fails the power step naming the BMC; resume after it answers finishes the destroy', async () => {
    // BMC timeouts as short as a lab on loopback allows, so three attempts fail fast.
    const main = op;
    op = await openOperator(tl, { ipmi: { timeoutMs: 200, retries: 1 } });
    await seedCatalog(op);
    const { lab, host } = await freshHost();
    const { task: created, instanceId } = await createOn(lab, 'vm-bmc');
    expectDone(created);
    tl.lab.bmcs.faults.set(lab.hostname, { dead: true });
    try {
      const id = await op.wb.engine.start(
        'instance.destroy',
        { instanceId, hostId: host.id, hostname: host.hostname },
        { instanceId },
      );
      const task = await op.wb.engine.wait(id);
      const error = expectFailedAt(task, 'Power off');
      expect(error).toContain(`BMC of ${lab.hostname}`);
      expect(error).toContain(`${host.ipmi.address}:${host.ipmi.port}`);
      expect(task.steps.find((s) => s.title === 'Power off')!.attempts).toBe(3);
      // Nothing after the failed step touched the gear: the instance is still up on its VLAN.
      expect(tl.lab.world.isRunning(lab.hostname)).toBe(true);
      tl.lab.bmcs.faults.clear(lab.hostname);
      await op.wb.engine.resume(id);
      expectDone(await op.wb.engine.wait(id));
      await expectFree(op, host);
    } finally {
      tl.lab.bmcs.faults.clear();
      await op.close();
      op = main;
    }
  }, 60_000);
});

describe('crash consistency', () => {
  it('a destroy that dies right after removing the instance record is resumed to done', async () => {
    const { lab, host } = await freshHost();
    const { task: created, instanceId } = await createOn(lab, 'vm-last-step');
    expectDone(created);
    const steps = destroyInstanceSteps(op.wb.deps, { instanceId });
    const last = steps[steps.length - 1]!;
    const run = last.run.bind(last);
    // The record is removed, then the process "dies" before the journal says so.
    last.run = async (ctx) => {
      await run(ctx);
      throw new Error('killed before the journal write');
    };
    const target = { instanceId, hostId: host.id, hostname: host.hostname };
    const id = await op.wb.engine.start('instance.destroy', target, { instanceId }, { steps });
    expectFailedAt(await op.wb.engine.wait(id), 'Remove the instance record');
    expect(op.wb.store.instances.get(instanceId)).toBeUndefined();
    // Resumed as after a restart: the steps are built again from the task kind, with no record.
    await op.wb.engine.resume(id);
    expectDone(await op.wb.engine.wait(id));
    await expectFree(op, host);
  });
});
