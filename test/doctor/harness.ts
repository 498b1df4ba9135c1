import { createPowerSweep, troubleshootHandlers } from '../../src/runner/service/troubleshoot.ts';
import { taskHandlers } from '../../src/runner/service/tasks.ts';
import type { Caller, Handlers } from '../../src/runner/service/context.ts';
import type { BmcPowerSweep } from '../../src/runner/power-sweep.ts';
import type { LabOptions } from '../../src/lab/index.ts';
import type { Call } from '../confirmed.ts';
import {
  hostRecord,
  openOperator,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from '../e2e/helpers.ts';

/** A caller of the runner's handlers, as a test is one. */
export const testCaller: Caller = {
  id: 1,
  kind: 'test',
  pid: process.pid,
  subscription: { all: true, follows: new Set() },
  notify: () => undefined,
};

export interface TroubleshootBench {
  tl: TestLab;
  op: Operator;
  /** The runner's troubleshooting handlers (doctor, inspect, reconcile, cabling, power snapshot). */
  h: Handlers;
  /** The runner's task handlers (instance.create…). */
  tasks: Handlers;
  sweep: BmcPowerSweep;
  close(): Promise<void>;
}

/**
 * A lab, an operator on it with the catalog and every lab host in the store (known to MaaS), and
 * the runner's troubleshooting and task handlers over it, as the runner serves them.
 */
export async function openTroubleshootBench(
  lab: Partial<LabOptions>,
  operator: Parameters<typeof openOperator>[1] = {},
): Promise<TroubleshootBench> {
  const tl = await startTestLab(lab);
  const op = await openOperator(tl, operator);
  await seedCatalog(op);
  for (const lh of tl.lab.spec.hosts) {
    const systemId = tl.lab.maas.machines.byHostname(lh.hostname)!.systemId;
    await op.wb.store.hosts.insert({ ...hostRecord(tl, lh), maasSystemId: systemId });
  }
  const sweep = createPowerSweep(op.site, op.wb, { intervalMs: 60_000, log: () => undefined });
  return {
    tl,
    op,
    h: troubleshootHandlers({ site: op.site, wb: op.wb }, sweep),
    tasks: taskHandlers({ site: op.site, wb: op.wb }),
    sweep,
    close: async () => {
      sweep.dispose();
      await op.close();
      await tl.close();
    },
  };
}

/** The runner's handlers as a `Call` (test/confirmed.ts), called by the test caller. */
export function handlersCall(handlers: Handlers): Call {
  return async (m, p) => {
    const handler = handlers[m as keyof Handlers];
    if (!handler) throw new Error(`no handler ${m}`);
    return handler(p, testCaller);
  };
}
