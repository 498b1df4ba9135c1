import { OperatorError } from '../../util/errors.ts';
import type { Host, Instance, Offering } from '../../protocol/records.ts';
import type { Holder } from '../tasks/coordination.ts';

/** The jump host of a runner's owner id (`host/pid-N-xxxxxx`). */
export function jumpHostOf(owner: string): string {
  const i = owner.lastIndexOf('/pid-');
  return i > 0 ? owner.slice(0, i) : owner;
}

/**
 * Why a host asked for by name is taken: the instance on it, and the task working on it with its
 * state and jump host (a race between jump hosts is lost to a deploy still creating it).
 */
export function hostTaken(host: Host, instance: Instance, holder: Holder | undefined): OperatorError {
  const task = holder
    ? `: task ${holder.taskId} (${holder.kind}) is ${holder.state} on it` +
      (holder.owner ? ` at jump host ${jumpHostOf(holder.owner)}` : ', with no runner working on it')
    : '';
  const creating = instance.state === 'creating';
  return new OperatorError(
    `host ${host.hostname} is taken by instance ${instance.name} (${creating ? 'being created' : instance.state})${task}`,
    {
      target: host.hostname,
      hint:
        holder && creating
          ? `another deploy got there first; pick another host, or follow task ${holder.taskId}`
          : `destroy instance ${instance.name} first, or pick another host`,
    },
  );
}

/**
 * The seed's BareMetalPlanner: a host fits an offering when its dimensions (cores, MHz, memory)
 * match exactly, it is known to MaaS, and no instance holds it. Pure: the caller runs it inside a
 * store transaction so two concurrent creates can never pick the same host.
 */
export function pickHost(
  data: { hosts: readonly Readonly<Host>[]; instances: readonly Readonly<Instance>[] },
  offering: Offering,
  opts: {
    hostName?: string;
    readyInMaas: (host: Host) => boolean;
    /** The task holding a host, to name it when the host asked for is taken. */
    holderOf?: (host: Host) => Holder | undefined;
    /** Hosts the automatic pick passes over besides those a task holds: shown in another terminal's plan. */
    skip?: (host: Host) => boolean;
  },
): Readonly<Host> {
  const busy = new Map(data.instances.map((i) => [i.hostId, i]));
  const fits = (h: Host) =>
    h.cpuCores === offering.cpuCores && h.cpuMhz === offering.cpuMhz && h.memoryMb === offering.memoryMb;
  if (opts.hostName) {
    const h = data.hosts.find((x) => x.hostname === opts.hostName || x.id === opts.hostName);
    if (!h)
      throw new OperatorError(`no host ${opts.hostName} in the local store`, {
        hint: 'add it with `rackpilot host add`',
      });
    const taken = busy.get(h.id);
    if (taken) throw hostTaken(h, taken, opts.holderOf?.(h));
    if (!fits(h)) {
      throw new OperatorError(
        `host ${h.hostname} (${h.cpuCores} cores, ${h.cpuMhz} MHz, ${h.memoryMb} MB) does not match offering ${offering.name} ` +
          `(${offering.cpuCores} cores, ${offering.cpuMhz} MHz, ${offering.memoryMb} MB)`,
        { target: h.hostname },
      );
    }
    if (!h.maasSystemId)
      throw new OperatorError(`host ${h.hostname} is not in MaaS yet`, { target: h.hostname });
    if (!opts.readyInMaas(h))
      throw new OperatorError(`host ${h.hostname} is not Ready in MaaS`, { target: h.hostname });
    return h;
  }
  // One pass, the first hostname in code-unit order: no sort of a 10,000-host list per pick.
  let chosen: Readonly<Host> | undefined;
  for (const h of data.hosts) {
    if (busy.has(h.id) || !fits(h) || h.maasSystemId === undefined) continue;
    // Readiness and the holder are asked only of a host that would be chosen, not of every host
    // per pick (the deploy's readiness check asks the engine for the holder too).
    if (chosen !== undefined && h.hostname >= chosen.hostname) continue;
    if (!opts.readyInMaas(h) || opts.holderOf?.(h) || opts.skip?.(h)) continue;
    chosen = h;
  }
  if (!chosen) {
    throw new OperatorError(`no free host matches offering ${offering.name}`, {
      hint: `hosts must have exactly ${offering.cpuCores} cores, ${offering.cpuMhz} MHz and ${offering.memoryMb} MB, be Ready in MaaS and run no instance`,
    });
  }
  return chosen;
}
