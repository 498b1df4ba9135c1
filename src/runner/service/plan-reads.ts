import type { MaasMachine } from '../../gear/maas/schemas.ts';
import type { WorkflowDeps } from '../workflows/adapters.ts';

/**
 * One plan's reads of the gear: each machine read from MaaS once and each BMC's power read once,
 * however many of the plan's steps and state lines ask. A plan's lines then agree with each other
 * (one answer, not two taken a moment apart), and a deploy's plan makes one GET of its machine, not
 * one for the state it states and another for the boot method of its steps. Only reads are shared:
 * the deps given to a plan are never used to change anything, and a plan's reads die with it.
 */
export function planReads(deps: WorkflowDeps): WorkflowDeps {
  const machines = new Map<string, Promise<MaasMachine>>();
  const power = new Map<string, Promise<'on' | 'off'>>();
  const maas = Object.create(deps.maas) as WorkflowDeps['maas'];
  maas.readMachine = (systemId, signal) => {
    let read = machines.get(systemId);
    if (!read) {
      read = deps.maas.readMachine(systemId, signal);
      machines.set(systemId, read);
      // A failed read is not an answer to keep: the next ask tries again (and says why).
      read.catch(() => machines.delete(systemId));
    }
    return read;
  };
  const bmcs = Object.create(deps.bmcs) as WorkflowDeps['bmcs'];
  bmcs.powerStatus = (host, signal) => {
    let read = power.get(host.id);
    if (!read) {
      read = deps.bmcs.powerStatus(host, signal);
      power.set(host.id, read);
      read.catch(() => power.delete(host.id));
    }
    return read;
  };
  return { ...deps, maas, bmcs };
}
