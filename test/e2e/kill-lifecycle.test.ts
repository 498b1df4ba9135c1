import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLabSpec, type LabHost } from '../../src/lab/spec.ts';
import { startCreate } from '../../src/runner/site/provision.ts';
import { maasAuthorizationHeader } from '../../src/gear/maas/oauth.ts';
import type { Task } from '../../src/protocol/records.ts';
import {
  addHost,
  expectDone,
  expectFree,
  offeringFor,
  openOperator,
  peerState,
  runTask,
  startTestLab,
  type Operator,
  type TestLab,
} from './helpers.ts';
import {
  caseStore,
  expectExactJournal,
  expectRunningWith,
  expectStopped,
  mismatchesOf,
  recordFault,
  runAndKill,
  steps,
} from './runner-cases.ts';
import { shapeFlags } from '../runner/cli-process.ts';

/**
 * The kill campaign of kill.test.ts over the other mutating workflows: a child `rackpilot start |
 * stop | attach | detach | host add | ipmi HOST power on|off` submits its task to the site's
 * runner, the runner is SIGKILLed as soon as the command reports step N started, and this process
 * takes the store over: resume → the intended end state in MaaS, on the switches and at the BMC;
 * rollback → the state before the command. Every case is one line of the campaign's fault table.
 */
const LAB = { hosts: 40, racks: 4, seed: 31 };
// host add on a lab whose MaaS takes time to commission (1.35 s at 0.01): its wait step is killable.
const COMMISSION_LAB = { hosts: 8, racks: 1, seed: 32, timeScale: 0.01 };
const specs = { main: generateLabSpec(LAB), commission: generateLabSpec(COMMISSION_LAB) };
const labs: { main?: TestLab; commission?: TestLab } = {};
const next = { main: 0, commission: 0 };

beforeAll(async () => {
  [labs.main, labs.commission] = await Promise.all([startTestLab(LAB), startTestLab(COMMISSION_LAB)]);
}, 60_000);
afterAll(async () => {
  await labs.main?.close();
  await labs.commission?.close();
});

/** Deletes the lab MaaS machine of a host (through the API), so that `host add` creates and commissions it. */
async function forgetInMaas(tl: TestLab, op: Operator, lab: LabHost) {
  const [m] = await op.site.maas.listMachines({ mac_address: lab.nics.map((n) => n.mac) });
  if (!m) return;
  const url = `${tl.lab.maas.url}/api/2.0/machines/${m.system_id}/`;
  const headers = {
    Authorization: maasAuthorizationHeader(tl.lab.maas.apiKeyParts),
  };
  const res = await fetch(url, { method: 'DELETE', headers });
  expect(res.status, await res.text()).toBeLessThan(300);
}

interface Flow {
  name: string;
  lab?: 'commission';
  kind: string;
  steps: number;
  /** The gear and store as the command expects them (a host added, an instance running…). */
  prepare(op: Operator, lab: LabHost, tl: TestLab): Promise<void>;
  args(lab: LabHost): string[];
  /** The end state the command intends. */
  resumed(op: Operator, lab: LabHost, tl: TestLab): Promise<unknown>;
  /** The state before the command. */
  before(op: Operator, lab: LabHost, tl: TestLab): Promise<unknown>;
}

const instanceOf = (op: Operator) => op.wb.store.instances.find((i) => i.name === 'vm1')!;
const hostOf = (op: Operator, lab: LabHost) => op.wb.store.hosts.find((h) => h.hostname === lab.hostname);

async function create(op: Operator, lab: LabHost, tl: TestLab, networks: string[]) {
  await addHost(op, tl, lab);
  const { taskId } = await startCreate(op.wb, op.site.maas, {
    name: 'vm1',
    offering: offeringFor(lab),
    template: 'jammy',
    networks,
    host: lab.hostname,
  });
  expectDone(await op.wb.engine.wait(taskId));
}

async function expectPower(op: Operator, lab: LabHost, want: 'on' | 'off') {
  expect((await peerState(op, hostOf(op, lab)!)).power, `${lab.hostname} power`).toBe(want);
}

const FLOWS: Flow[] = [
  {
    name: 'start',
    kind: 'instance.start',
    steps: 4,
    prepare: async (op, lab, tl) => {
      await create(op, lab, tl, ['tenant-a']);
      expectDone(await runTask(op, 'instance.stop', { instanceId: instanceOf(op).id }));
    },
    args: () => ['start', 'vm1', '--yes'],
    resumed: (op) => expectRunningWith(op, 1),
    before: (op) => expectStopped(op),
  },
  {
    name: 'stop',
    kind: 'instance.stop',
    steps: 2,
    prepare: (op, lab, tl) => create(op, lab, tl, ['tenant-a']),
    args: (lab) => ['stop', 'vm1', '--confirm', lab.hostname],
    resumed: (op) => expectStopped(op),
    before: (op) => expectRunningWith(op, 1),
  },
  {
    name: 'attach',
    kind: 'network.attach',
    steps: 3,
    prepare: (op, lab, tl) => create(op, lab, tl, ['tenant-a']),
    args: () => ['attach', 'vm1', 'tenant-b', '--yes'],
    resumed: (op) => expectRunningWith(op, 2),
    before: (op) => expectRunningWith(op, 1),
  },
  {
    name: 'detach',
    kind: 'network.detach',
    steps: 3,
    prepare: (op, lab, tl) => create(op, lab, tl, ['tenant-a', 'tenant-b']),
    args: () => ['detach', 'vm1', 'tenant-b', '--yes'],
    resumed: (op) => expectRunningWith(op, 1),
    before: (op) => expectRunningWith(op, 2),
  },
  {
    name: 'host add',
    lab: 'commission',
    kind: 'host.add',
    steps: 4,
    prepare: (op, lab, tl) => forgetInMaas(tl, op, lab),
    args: (lab) => ['host', 'add', '--hostname', lab.hostname, ...shapeFlags(lab), '--yes'],
    resumed: async (op, lab) => {
      const host = hostOf(op, lab);
      expect(host?.maasSystemId, `${lab.hostname} in the store with its MaaS id`).toBeDefined();
      await expectFree(op, host!);
    },
    before: async (op, lab, tl) => {
      expect(hostOf(op, lab), `${lab.hostname} left in the store`).toBeUndefined();
      // Nothing half-applied: MaaS holds at most the one machine (kept by design), and adding the
      // host again adopts it and ends Ready.
      const macs = lab.nics.map((n) => n.mac);
      expect((await op.site.maas.listMachines({ mac_address: macs })).length).toBeLessThanOrEqual(1);
      await expectFree(op, await addHost(op, tl, lab));
    },
  },
  {
    name: 'power on',
    kind: 'host.power',
    steps: 1,
    prepare: async (op, lab, tl) => void (await addHost(op, tl, lab)),
    args: (lab) => ['ipmi', lab.hostname, 'power', 'on', '--yes'],
    resumed: (op, lab) => expectPower(op, lab, 'on'),
    before: (op, lab) => expectPower(op, lab, 'off'),
  },
  {
    name: 'power off',
    kind: 'host.power',
    steps: 1,
    prepare: async (op, lab, tl) => {
      const host = await addHost(op, tl, lab);
      expectDone(await runTask(op, 'host.power', { hostId: host.id, action: 'on' }, { hostId: host.id }));
    },
    args: (lab) => ['ipmi', lab.hostname, 'power', 'off', '--confirm', lab.hostname],
    resumed: (op, lab) => expectPower(op, lab, 'off'),
    before: (op, lab) => expectPower(op, lab, 'on'),
  },
];

async function prepare(flow: Flow, label: string) {
  const which = flow.lab ?? 'main';
  const tl = labs[which]!;
  const lab = specs[which].hosts[next[which]++]!;
  const { op, storePath } = await caseStore(tl, label.replace(/\s+/g, '-'));
  let earlier: Set<string>;
  try {
    await flow.prepare(op, lab, tl);
    earlier = new Set(op.wb.store.tasks.list().map((t) => t.id));
  } finally {
    await op.close();
  }
  return { tl, lab, storePath, earlier };
}

async function takeOver(tl: TestLab, storePath: string, kind: string, earlier: Set<string>) {
  const op = await openOperator(tl, { storePath });
  const task = op.wb.store.tasks.list().find((t) => t.kind === kind && !earlier.has(t.id)) as Task;
  expect(task, `a ${kind} task in the store`).toBeDefined();
  return { op, task };
}

const cases = FLOWS.flatMap((flow) =>
  steps(flow.steps).flatMap((step) =>
    (['resume', 'rollback'] as const).map((mode) => ({
      flow,
      step,
      mode,
      label: `${flow.name} ${step} ${mode}`,
    })),
  ),
);

describe.concurrent(
  'kill the runner at every step boundary of start, stop, attach, detach, host add, power',
  // Concurrent cases on a loaded CI machine: each may wait for the others' runners. A stop killed
  // before its soft off left the host on: its rollback reads the power for the whole stop timeout
  // (120 s) before it trusts the host to stay on, as a soft off that reached the OS would still end.
  { timeout: 300_000 },
  () => {
    it.for(cases)('$label', async ({ flow, step, mode, label }) => {
      const { tl, lab, storePath, earlier } = await prepare(flow, label);
      await runAndKill(tl, flow.args(lab), storePath, step);
      const { op, task } = await takeOver(tl, storePath, flow.kind, earlier);
      try {
        const interrupted = expectExactJournal(task, step, flow.steps);
        let outcome: 'done' | 'rolled-back' | 'done-before-kill' = 'done-before-kill';
        if (interrupted) {
          expect(op.wb.interrupted).toContain(task.id);
          if (mode === 'resume') {
            await op.wb.engine.resume(task.id);
            expectDone(await op.wb.engine.wait(task.id));
            outcome = 'done';
          } else {
            await op.wb.engine.rollback(task.id);
            const after = await op.wb.engine.wait(task.id);
            expect(after.state, after.error).toBe('rolled-back');
            outcome = 'rolled-back';
          }
        }
        const check = outcome === 'rolled-back' ? flow.before : flow.resumed;
        const mismatches = await mismatchesOf(() => check(op, lab, tl));
        recordFault({
          family: 'kill',
          fault: `runner SIGKILLed at step ${step}, then ${mode}`,
          workflow: flow.name,
          outcome,
          mismatches,
        });
        expect(mismatches, `${label}: the peers as the journal says`).toEqual([]);
      } finally {
        await op.close();
      }
    });
  },
);
