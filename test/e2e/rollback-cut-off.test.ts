import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLabSpec, type LabHost } from '../../src/lab/spec.ts';
import { startCreate } from '../../src/runner/site/provision.ts';
import { WORKFLOWS } from '../../src/runner/workflows/index.ts';
import type { WorkflowStep } from '../../src/runner/workflows/steps.ts';
import {
  addHost,
  expectDone,
  offeringFor,
  openOperator,
  runTask,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from './helpers.ts';
import { expectRunningWith, expectStopped } from './runner-cases.ts';

/**
 * Rollback of start, stop, attach and detach when a step was cut off after it acted, before the
 * journal said so (a runner killed at that moment: what kill-lifecycle.test.ts hits by timing,
 * here on purpose). The step acted, then "dies"; rollback must bring the host and the record back
 * to the state before the command: the power as it was, the instance's state and networks as the
 * switch ports have them.
 */
const LAB = { hosts: 10, racks: 2, seed: 41 };
const spec = generateLabSpec(LAB);
let tl: TestLab;
let op: Operator;
let nextHost = 0;

beforeAll(async () => {
  tl = await startTestLab(LAB);
}, 60_000);
afterAll(async () => {
  await tl?.close();
});

/** A store of its own with one instance vm1 (running, or stopped) on a fresh host. */
async function withInstance(networks: string[], stopped = false): Promise<{ lab: LabHost; id: string }> {
  op = await openOperator(tl);
  await seedCatalog(op);
  const lab = spec.hosts[nextHost++]!;
  await addHost(op, tl, lab);
  const { instance, taskId } = await startCreate(op.wb, op.site.maas, {
    name: 'vm1',
    offering: offeringFor(lab),
    template: 'jammy',
    networks,
    host: lab.hostname,
  });
  expectDone(await op.wb.engine.wait(taskId));
  if (stopped) expectDone(await runTask(op, 'instance.stop', { instanceId: instance.id }));
  return { lab, id: instance.id };
}

/** Runs `kind` with step `title` acting, then failing as if the process died before journaling it; rolls back. */
async function cutOffThenRollback(kind: string, params: Record<string, string>, title: string | RegExp) {
  const inst = op.wb.store.instances.get(params['instanceId']!)!;
  const host = op.wb.store.hosts.get(inst.hostId)!;
  const steps = WORKFLOWS[kind]!.steps(op.wb.deps, { ...params, hostId: host.id }) as WorkflowStep<
    Record<string, unknown>
  >[];
  const step = steps.find((s) => (typeof title === 'string' ? s.title === title : title.test(s.title)));
  expect(step, String(title)).toBeDefined();
  const run = step!.run.bind(step);
  step!.retry = { attempts: 1, backoffMs: 0 };
  step!.run = async (ctx) => {
    await run(ctx);
    throw new Error('killed before the journal write');
  };
  const target = { instanceId: inst.id, hostId: host.id, hostname: host.hostname };
  const id = await op.wb.engine.start(kind, target, params, { steps });
  const failed = await op.wb.engine.wait(id);
  expect(failed.state).toBe('failed');
  await op.wb.engine.rollback(id, { steps });
  const after = await op.wb.engine.wait(id);
  expect(after.state, after.error).toBe('rolled-back');
}

describe('rollback after a step cut off once it acted: the state before the command', () => {
  it.each(['Power on', 'Confirm the host is powered on', 'Record the instance as running'])(
    'start, cut off at %s: stopped and off',
    async (title) => {
      const { id } = await withInstance(['tenant-a'], true);
      try {
        await cutOffThenRollback('instance.start', { instanceId: id }, title);
        await expectStopped(op);
      } finally {
        await op.close();
      }
    },
  );

  it.each([/^Soft power off/, /^Record the instance as stopped/])(
    'stop, cut off at %s: running and on',
    async (title) => {
      const { id } = await withInstance(['tenant-a']);
      try {
        await cutOffThenRollback('instance.stop', { instanceId: id }, title);
        await expectRunningWith(op, 1);
      } finally {
        await op.close();
      }
    },
  );

  it('attach, cut off recording the network: the record follows the ports back', async () => {
    const { id } = await withInstance(['tenant-a']);
    try {
      const networkId = op.wb.store.networks.find((n) => n.name === 'tenant-b')!.id;
      await cutOffThenRollback(
        'network.attach',
        { instanceId: id, networkId },
        'Record the network on the instance',
      );
      await expectRunningWith(op, 1);
    } finally {
      await op.close();
    }
  });

  it('detach, cut off removing the network: the record follows the ports back', async () => {
    const { id } = await withInstance(['tenant-a', 'tenant-b']);
    try {
      const networkId = op.wb.store.networks.find((n) => n.name === 'tenant-b')!.id;
      await cutOffThenRollback(
        'network.detach',
        { instanceId: id, networkId },
        'Remove the network from the instance',
      );
      await expectRunningWith(op, 2);
    } finally {
      await op.close();
    }
  });
});
