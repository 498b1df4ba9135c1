import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { instanceDraft, resolveCreate, startCreate } from '../../src/runner/site/provision.ts';
import { OWNER_DATA_JUMP_HOST, OWNER_DATA_TASK } from '../../src/runner/workflows/instance-create.ts';
import {
  addHost,
  expectDone,
  offeringFor,
  openOperator,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from '../e2e/helpers.ts';

/**
 * MaaS as the last guard, whatever coordinates the runners: a deploy writes its task id and jump
 * host into the machine's owner_data at allocate (MaaS clears it on release), and a deploy that
 * finds its machine allocated by a task it does not know refuses it, naming that task.
 */
let tl: TestLab;
let op: Operator;

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 3 });
  op = await openOperator(tl);
  await seedCatalog(op);
  for (const h of tl.lab.spec.hosts) await addHost(op, tl, h);
}, 60_000);

afterAll(async () => {
  await op?.close();
  await tl?.close();
});

describe('MaaS owner_data', () => {
  /** A create of host `i` with its records made here, run to its end. */
  async function createOn(i: number, name: string) {
    const h = tl.lab.spec.hosts[i]!;
    const host = op.wb.store.hosts.find((x) => x.hostname === h.hostname)!;
    const req = { name, offering: offeringFor(h), template: 'jammy', networks: ['tenant-a'] };
    const draft = instanceDraft(req, resolveCreate(op.wb.store, req), host.id, new Set());
    const inst = await op.wb.store.instances.insert(draft);
    const id = await op.wb.engine.start(
      'instance.create',
      { hostId: host.id, hostname: host.hostname, instanceId: inst.id },
      { instanceId: inst.id },
    );
    return { host, task: await op.wb.engine.wait(id) };
  }

  it('names the task and jump host of a deploy until the release', async () => {
    const h = tl.lab.spec.hosts[0]!;
    const req = {
      name: 'od-1',
      offering: offeringFor(h),
      template: 'jammy',
      networks: ['tenant-a'],
      host: h.hostname,
    };
    const { taskId, host } = await startCreate(op.wb, op.site.maas, req);
    expectDone(await op.wb.engine.wait(taskId));
    const m = await op.site.maas.readMachine(host.maasSystemId!);
    expect(m.status).toBe(NODE_STATUS.DEPLOYED);
    expect(m.owner_data).toEqual({ [OWNER_DATA_TASK]: taskId, [OWNER_DATA_JUMP_HOST]: hostname() });
    const inst = op.wb.store.instances.find((i) => i.name === 'od-1')!;
    const destroy = await op.wb.engine.start(
      'instance.destroy',
      { instanceId: inst.id, hostId: host.id, hostname: host.hostname },
      { instanceId: inst.id },
    );
    expectDone(await op.wb.engine.wait(destroy));
    expect((await op.site.maas.readMachine(host.maasSystemId!)).owner_data).toEqual({});
  });

  it('refuses a machine another task allocated, naming that task and its jump host', async () => {
    const h = tl.lab.spec.hosts[1]!;
    const host = op.wb.store.hosts.find((x) => x.hostname === h.hostname)!;
    // Another rackpilot (another prefix or store) allocated it: the local records know nothing.
    await op.site.maas.allocate(host.maasSystemId!, undefined, undefined, {
      [OWNER_DATA_TASK]: 't-f0reign1',
      [OWNER_DATA_JUMP_HOST]: 'jump-2',
    });
    const { task } = await createOn(1, 'od-2');
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(
      new RegExp(
        `${h.hostname} is allocated in MaaS by task t-f0reign1 \\(jump host jump-2\\), a task this rackpilot does not know`,
      ),
    );
    // Nothing was done to it: still allocated to the other task, first step refused.
    const m = await op.site.maas.readMachine(host.maasSystemId!);
    expect(m.status).toBe(NODE_STATUS.ALLOCATED);
    expect(m.owner_data?.[OWNER_DATA_TASK]).toBe('t-f0reign1');
    expect(task.steps.slice(1).every((s) => s.state === 'pending')).toBe(true);
  });

  it('takes over an allocation of its own MaaS user that names no task (a crash before set_owner_data)', async () => {
    const h = tl.lab.spec.hosts[2]!;
    const sys = op.wb.store.hosts.find((x) => x.hostname === h.hostname)!.maasSystemId!;
    await op.site.maas.allocate(sys);
    const { task } = await createOn(2, 'od-3');
    expectDone(task);
    expect((await op.site.maas.readMachine(sys)).owner_data?.[OWNER_DATA_TASK]).toBe(task.id);
  });

  it('refuses a machine another MaaS user allocated, naming that user', async () => {
    const h = tl.lab.spec.hosts[3]!;
    const sys = op.wb.store.hosts.find((x) => x.hostname === h.hostname)!.maasSystemId!;
    await op.site.maas.allocate(sys);
    const machine = tl.lab.maas.machines.byHostname(h.hostname)!;
    machine.owner = 'alice';
    tl.lab.maas.machines.core.touch(machine);
    const { task } = await createOn(3, 'od-4');
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(
      new RegExp(`${h.hostname} is Allocated in MaaS by user alice, not by this rackpilot \\(admin\\)`),
    );
    expect((await op.site.maas.readMachine(sys)).owner).toBe('alice');
  });
});
