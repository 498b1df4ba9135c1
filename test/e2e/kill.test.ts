import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLabSpec, type LabHost } from '../../src/lab/spec.ts';
import { startCreate } from '../../src/runner/site/provision.ts';
import type { Task } from '../../src/protocol/records.ts';
import { caseStore, runAndKill } from './runner-cases.ts';
import {
  addHost,
  expectDone,
  expectFree,
  expectRunning,
  offeringFor,
  openOperator,
  startTestLab,
  type TestLab,
} from './helpers.ts';

/**
 * A real crash at every step boundary: a child `rackpilot deploy` / `rackpilot destroy` (the CLI,
 * as an operator runs it, against the lab this test process runs) submits the task to the site's
 * runner, and the RUNNER (the process that executes it) is SIGKILLed as soon as the CLI reports
 * step N started. This process then takes the store over, finds the task interrupted with an
 * exact journal, and resumes it (→ the instance running, or gone, in all three peers) or rolls it
 * back (→ the host exactly as before the create).
 */
const CREATE_STEPS = 13;
const DESTROY_STEPS = 7;
const LAB = { hosts: 40, racks: 4, seed: 21 };
const spec = generateLabSpec(LAB);

let tl: TestLab;
// Create cases on bonded hosts (every create step then does something: none is skipped as already
// in place); destroy cases on the rest, single-NIC hosts among them.
const bondedHosts = spec.hosts.filter((h) => h.nics.length >= 2);
const otherHosts = () => spec.hosts.filter((h) => !bondedHosts.slice(0, 2 * CREATE_STEPS).includes(h));
const killedAfterDone: string[] = [];

beforeAll(async () => {
  tl = await startTestLab(LAB);
}, 60_000);
afterAll(async () => {
  await tl?.close();
  // Every kill should land inside its task; report (without failing) the ones a fast child outran.
  if (killedAfterDone.length) console.log(`kills that landed after the task finished: ${killedAfterDone}`);
});

/** A host in its own store, with the catalog; optionally an instance already running on it. */
let nextCreate = 0;
let nextDestroy = 0;
async function prepare(label: string, withInstance: boolean) {
  const lab = withInstance ? otherHosts()[nextDestroy++]! : bondedHosts[nextCreate++]!;
  const { op, storePath } = await caseStore(tl, label);
  try {
    await addHost(op, tl, lab);
    if (withInstance) {
      const { taskId } = await startCreate(op.wb, op.site.maas, createRequest(lab));
      expectDone(await op.wb.engine.wait(taskId));
    } else {
      // A previous tenant's VLAN is still on the ports, so step 2 has work to do.
      for (const nic of lab.nics)
        await op.wb.deps.switches.apply(nic.switch, [{ port: nic.port, op: 'access', vlan: 203 }]);
    }
  } finally {
    await op.close();
  }
  return { lab, storePath };
}

/** `rackpilot deploy …` for the instance createRequest describes. */
function deployArgs(lab: LabHost): string[] {
  const r = createRequest(lab);
  const networks = r.networks.flatMap((n) => ['--network', n]);
  return [
    'deploy',
    r.name,
    '--offering',
    r.offering,
    '--template',
    r.template,
    ...networks,
    '--host',
    r.host,
    '--yes',
  ];
}

function createRequest(lab: LabHost) {
  return {
    name: 'vm1',
    offering: offeringFor(lab),
    template: 'jammy',
    networks: ['tenant-a', 'tenant-b'],
    host: lab.hostname,
  };
}

/** The journal a kill at the start of step `step` leaves: earlier steps done, nothing after the running one. */
function expectExactJournal(task: Task, step: number, count: number, label: string): void {
  expect(task.steps).toHaveLength(count);
  if (task.state === 'done') {
    killedAfterDone.push(label);
    return;
  }
  expect(task.state).toBe('interrupted');
  expect(task.steps.slice(0, step - 1).every((s) => s.state === 'done' || s.state === 'skipped')).toBe(true);
  const running = task.steps.findIndex((s) => s.state === 'running');
  if (running < 0) {
    // The child ran on between printing `[N]` and the SIGKILL: step N finished and the kill landed
    // while a later step's verify() was reading the gear, before that step was journaled running
    // (verify only reads; nothing acted). The journal is still a done prefix and a pending rest.
    const firstPending = task.steps.findIndex((s) => s.state === 'pending');
    expect(firstPending, 'the kill landed after step N began').toBeGreaterThanOrEqual(step);
    expect(task.steps.slice(0, firstPending).every((s) => s.state === 'done' || s.state === 'skipped')).toBe(
      true,
    );
    expect(task.steps.slice(firstPending).every((s) => s.state === 'pending')).toBe(true);
    return;
  }
  expect(running, 'the running step is step N or later').toBeGreaterThanOrEqual(step - 1);
  expect(task.steps.filter((s) => s.state === 'running')).toHaveLength(1);
  expect(task.steps.slice(running + 1).every((s) => s.state === 'pending')).toBe(true);
}

async function takeOver(storePath: string, kind: string) {
  const op = await openOperator(tl, { storePath });
  const task = op.wb.store.tasks.list().find((t) => t.kind === kind)!;
  expect(task, `a ${kind} task in the store`).toBeDefined();
  return { op, task };
}

const steps = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe.concurrent('kill `rackpilot deploy` at every step boundary', { timeout: 120_000 }, () => {
  it.each(steps(CREATE_STEPS))('step %i, then resume: the instance runs', async (step) => {
    const { lab, storePath } = await prepare(`create-resume-${step}`, false);
    await runAndKill(tl, deployArgs(lab), storePath, step);
    const { op, task } = await takeOver(storePath, 'instance.create');
    try {
      expectExactJournal(task, step, CREATE_STEPS, `create-resume-${step}`);
      if (task.state !== 'done') {
        expect(op.wb.interrupted).toContain(task.id);
        await op.wb.engine.resume(task.id);
        expectDone(await op.wb.engine.wait(task.id));
      }
      await expectRunning(op, task.target.instanceId!);
      expect(tl.lab.world.isRunning(lab.hostname)).toBe(true);
    } finally {
      await op.close();
    }
  });

  it.each(steps(CREATE_STEPS))('step %i, then rollback: the host is as before', async (step) => {
    const { lab, storePath } = await prepare(`create-rollback-${step}`, false);
    await runAndKill(tl, deployArgs(lab), storePath, step);
    const { op, task } = await takeOver(storePath, 'instance.create');
    try {
      expectExactJournal(task, step, CREATE_STEPS, `create-rollback-${step}`);
      if (task.state === 'done') return;
      // Ports the create never reached keep the previous tenant's VLAN; once touched they are on PXE.
      const portsTouched = task.steps[1]!.state !== 'pending';
      await op.wb.engine.rollback(task.id);
      const after = await op.wb.engine.wait(task.id);
      expect(after.state, after.error).toBe('rolled-back');
      const host = op.wb.store.hosts.find((h) => h.hostname === lab.hostname)!;
      await expectFree(op, host, portsTouched ? {} : { untagged: 203 });
      expect(op.wb.store.instances.list()).toHaveLength(0);
    } finally {
      await op.close();
    }
  });
});

describe.concurrent('kill `rackpilot destroy` at every step boundary', { timeout: 120_000 }, () => {
  it.each(steps(DESTROY_STEPS))('step %i, then resume: the host is free', async (step) => {
    const { lab, storePath } = await prepare(`destroy-${step}`, true);
    await runAndKill(tl, ['destroy', 'vm1', '--confirm', lab.hostname], storePath, step);
    const { op, task } = await takeOver(storePath, 'instance.destroy');
    try {
      expectExactJournal(task, step, DESTROY_STEPS, `destroy-${step}`);
      if (task.state !== 'done') {
        await op.wb.engine.resume(task.id);
        expectDone(await op.wb.engine.wait(task.id));
      }
      const host = op.wb.store.hosts.find((h) => h.hostname === lab.hostname)!;
      await expectFree(op, host);
      expect(op.wb.store.instances.list()).toHaveLength(0);
    } finally {
      await op.close();
    }
  });
});
