import type { Method } from '../protocol/messages.ts';

/** The gear a read through the runner waits on, whose setting bounds the command's wait. */
export type Peer = 'maas' | 'switch' | 'bmc';

interface ReadWait {
  /** Named on the wait line: "MaaS's machine list". */
  what: (params: Record<string, unknown>) => string;
  /** The deadline the read carries to the runner, when it waits on one kind of gear. */
  peer?: Peer;
}

const host = (p: Record<string, unknown>) => String(p['host'] ?? '');
const sw = (what: string) => (p: Record<string, unknown>) =>
  `${String(p['switch'] ?? 'the switch')} (${what})`;

/**
 * What each runner request waits for, as the operator reads it on the wait line. A request not
 * listed is a read of the runner's own store: its line, if it ever shows, names the runner.
 */
const READ_WAITS: Partial<Record<Method, ReadWait>> = {
  'inventory.snapshot': { what: () => "MaaS's machine list", peer: 'maas' },
  'host.maas': { what: (p) => `MaaS's answer about ${host(p)}` },
  'host.bmcRead': { what: (p) => `the BMC of ${host(p)}`, peer: 'bmc' },
  'switch.port': { what: sw('login, show port'), peer: 'switch' },
  'switch.vlans': { what: sw('login, show vlan'), peer: 'switch' },
  'switch.mac': { what: sw('login, MAC table'), peer: 'switch' },
  // The doctor and the inspection read MaaS, the switches and the BMC at once: MaaS's is the longest bound.
  'host.doctor': { what: (p) => `the doctor's reads about ${host(p)} (MaaS, switch, BMC)`, peer: 'maas' },
  'host.inspect': { what: (p) => `the live state of ${host(p)} (MaaS, switch, BMC)`, peer: 'maas' },
  'rack.cabling': { what: (p) => `the switch of ${String(p['rack'] ?? '')}`, peer: 'switch' },
  'host.add': { what: () => 'MaaS and the rack file, for the host to add' },
  'instance.plan': { what: () => 'the plan (MaaS and the switch)' },
  'instance.actionPlan': { what: () => 'the plan (MaaS and the switch)' },
};

export function readWait(method: Method, params: unknown): { what: string; peer?: Peer } {
  const w = READ_WAITS[method];
  const p = (params ?? {}) as Record<string, unknown>;
  if (!w) return { what: `waiting for the runner's answer (${method})` };
  return { what: `waiting for ${w.what(p)}`, ...(w.peer && { peer: w.peer }) };
}
