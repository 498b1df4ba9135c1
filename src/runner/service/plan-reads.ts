import type { WorkflowDeps } from '../workflows/adapters.ts';

/**
 * One plan's reads of the gear: each machine read from MaaS once and each BMC's power read once,
 * however many of the plan's steps and state lines ask. A plan's lines then agree with each other
 * (one answer, not two taken a moment apart), and a deploy's plan makes one GET of its machine, not
 * one for the state it states and another for the boot method of its steps. Only reads are shared:
 * the deps given to a plan are never used to change anything, and a plan's reads die with it.
 */
export function planReads(deps: WorkflowDeps): WorkflowDeps {
  const maas = Object.create(deps.maas) as WorkflowDeps['maas'];
  maas.readMachine = readOnce(
    (systemId) => systemId,
    (systemId, signal) => deps.maas.readMachine(systemId, signal),
  );
  const bmcs = Object.create(deps.bmcs) as WorkflowDeps['bmcs'];
  bmcs.powerStatus = readOnce(
    (host) => host.id,
    (host, signal) => deps.bmcs.powerStatus(host, signal),
  );
  return { ...deps, maas, bmcs };
}

/** `read` once per key: asks at once share its answer; a failed read is not kept (the next ask tries again, and says why). */
function readOnce<T, V>(
  keyOf: (subject: T) => string,
  read: (subject: T, signal?: AbortSignal) => Promise<V>,
): (subject: T, signal?: AbortSignal) => Promise<V> {
  const kept = new Map<string, Promise<V>>();
  return (subject, signal) => {
    const key = keyOf(subject);
    let answer = kept.get(key);
    if (!answer) {
      answer = read(subject, signal);
      kept.set(key, answer);
      answer.catch(() => kept.delete(key));
    }
    return answer;
  };
}
