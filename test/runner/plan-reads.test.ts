import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planReads } from '../../src/runner/service/plan-reads.ts';
import type { WorkflowDeps } from '../../src/runner/workflows/adapters.ts';
import type { MaasMachine } from '../../src/gear/maas/schemas.ts';
import { handlersCall, openTroubleshootBench, type TroubleshootBench } from '../doctor/harness.ts';
import { offeringFor } from '../e2e/helpers.ts';
import { fakeHost } from '../workflows/fakes.ts';
import type { ActionPlan } from '../../src/protocol/messages.ts';

describe('one plan, one read of each thing it states', () => {
  it('shares a machine read and a power read between every ask of one plan, and keeps no failed read', async () => {
    let machineReads = 0;
    let powerReads = 0;
    let failNext = true;
    const deps = {
      maas: {
        readMachine: async (id: string) => {
          machineReads++;
          if (failNext) {
            failNext = false;
            throw new Error('MaaS is restarting');
          }
          return { system_id: id, status: 4 } as MaasMachine;
        },
      },
      bmcs: { powerStatus: async () => (powerReads++, 'off' as const) },
    } as unknown as WorkflowDeps;
    const reads = planReads(deps);
    await expect(reads.maas.readMachine('abc')).rejects.toThrow('restarting');
    // The failed read is not kept: the next ask reads again, and asks at once share that read.
    const [a, b] = await Promise.all([reads.maas.readMachine('abc'), reads.maas.readMachine('abc')]);
    expect(a).toBe(b);
    expect(machineReads).toBe(2);
    const h = fakeHost();
    await Promise.all([reads.bmcs.powerStatus(h), reads.bmcs.powerStatus(h)]);
    expect(powerReads).toBe(1);
    // Another plan reads afresh.
    await planReads(deps).maas.readMachine('abc');
    expect(machineReads).toBe(3);
  });
});

describe('plans against the lab', () => {
  let b: TroubleshootBench;
  beforeAll(async () => {
    b = await openTroubleshootBench({ hosts: 3 });
  });
  afterAll(async () => b?.close());

  const machineGets = () =>
    [...b.tl.lab.maas.stats.byKind].find(([k]) => k === 'GET machines/{id}/')?.[1] ?? 0;

  it("a deploy's plan reads its machine once: for the state it states and its boot method alike", async () => {
    const host = b.tl.lab.spec.hosts[0]!;
    const before = machineGets();
    const plan = (await handlersCall(b.tasks)('instance.plan', {
      name: 'vm-reads',
      offering: offeringFor(host),
      template: 'jammy',
      networks: ['tenant-a'],
      host: host.hostname,
    })) as ActionPlan;
    expect(machineGets() - before).toBe(1);
    expect(plan.state).toContain(`${host.hostname} is Ready in MaaS`);
    const boot = plan.steps.find((s) => s.step === 'Boot from disk')!;
    expect(boot.actions.join('\n')).toMatch(/MaaS bios_boot_method|rack file bootMethod/);
  });

  it("a power change's plan reads its machine once", async () => {
    const host = b.tl.lab.spec.hosts[1]!;
    const before = machineGets();
    const plan = (await handlersCall(b.tasks)('action.plan', {
      action: 'power',
      host: host.hostname,
      op: 'on',
    })) as ActionPlan;
    expect(machineGets() - before).toBe(1);
    expect(plan.state.join('\n')).toMatch(new RegExp(`${host.hostname} is (on|off) \\(BMC\\)`));
  });
});
