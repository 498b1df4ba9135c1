import { OperatorError } from '../util/errors.ts';
import type { Host, Instance, Offering, StoreData } from '../../state/schema.ts';

/**
 * The seed's BareMetalPlanner: a host fits an offering when its dimensions (cores, MHz, memory)
 * match exactly, it is known to MaaS, and no instance holds it. Pure: the caller runs it inside a
 * store transaction so two concurrent creates can never pick the same host.
 */
export function pickHost(
  data: Pick<StoreData, 'hosts' | 'instances'>,
  offering: Offering,
  opts: { hostName?: string; readyInMaas: (host: Host) => boolean },
): Host {
  const busy = new Set(data.instances.map((i: Instance) => i.hostId));
  const fits = (h: Host) =>
    h.cpuCores === offering.cpuCores && h.cpuMhz === offering.cpuMhz && h.memoryMb === offering.memoryMb;
  if (opts.hostName) {
    const h = data.hosts.find((x) => x.hostname === opts.hostName || x.id === opts.hostName);
    if (!h)
      throw new OperatorError(`no host ${opts.hostName} in the local store`, {
        hint: 'add it with `rackpilot host add`',
      });
    if (busy.has(h.id))
      throw new OperatorError(`host ${h.hostname} already runs an instance`, { target: h.hostname });
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
  let chosen: Host | undefined;
  for (const h of data.hosts) {
    if (busy.has(h.id) || !fits(h) || h.maasSystemId === undefined || !opts.readyInMaas(h)) continue;
    if (chosen === undefined || h.hostname < chosen.hostname) chosen = h;
  }
  if (!chosen) {
    throw new OperatorError(`no free host matches offering ${offering.name}`, {
      hint: `hosts must have exactly ${offering.cpuCores} cores, ${offering.cpuMhz} MHz and ${offering.memoryMb} MB, be Ready in MaaS and run no instance`,
    });
  }
  return chosen;
}
