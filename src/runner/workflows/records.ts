import { OperatorError } from '../../util/errors.ts';
import type { Host, Instance, Network, Template } from '../../protocol/records.ts';
import type { CabledNic, PortOp, WorkflowDeps } from './adapters.ts';

// Store look-ups that fail with an operator-readable error instead of undefined.

/** The live host record, copying nothing (a step asks for its host many times): read-only by contract. */
export function hostById(deps: WorkflowDeps, id: string): Readonly<Host> {
  const h = deps.store.hosts.peek(id);
  if (!h)
    throw new OperatorError(`host ${id} is not in the local store`, {
      hint: 'list hosts with `rackpilot host ls`',
    });
  return h;
}

export function instanceById(deps: WorkflowDeps, id: string): Instance {
  const i = deps.store.instances.get(id);
  if (!i)
    throw new OperatorError(`instance ${id} is not in the local store`, {
      hint: 'list instances with `rackpilot ls`',
    });
  return i;
}

export function templateById(deps: WorkflowDeps, id: string): Template {
  const t = deps.store.templates.get(id);
  if (!t)
    throw new OperatorError(`template ${id} no longer exists`, {
      hint: 'register it again with `rackpilot template add`',
    });
  return t;
}

export function networkById(deps: WorkflowDeps, id: string): Network {
  const n = deps.store.networks.get(id);
  if (!n)
    throw new OperatorError(`network ${id} no longer exists`, {
      hint: 'add it with `rackpilot network add`',
    });
  return n;
}

export function systemIdOf(host: Host): string {
  if (!host.maasSystemId) {
    throw new OperatorError(`host ${host.hostname} is not known to MaaS yet`, {
      target: host.hostname,
      hint: 'add it again with `rackpilot host add` so it is adopted or created in MaaS',
    });
  }
  return host.maasSystemId;
}

/** Said in the task log where a step leaves the switches alone because there is no rack file. */
export const NO_RACK_FILE =
  'no rack file configured (RACKPILOT_RACK_FILE): ToR switch ports are left as they are';

/**
 * The host's ToR-connected NICs per the rack file; a host with none cannot be given a VLAN. With no
 * rack file at all there are none to manage: an empty list, not an error.
 */
export function cabledNics(deps: WorkflowDeps, host: Host): CabledNic[] {
  if (!deps.rack.configured) return [];
  const nics = deps.rack.nicsFor([host.mac, ...host.macs], host.hostname);
  if (nics.length === 0) {
    throw new OperatorError(`host ${host.hostname} has no NIC in the rack file`, {
      target: host.hostname,
      hint: `add its MAC ${host.mac} with its switch port to the rack file`,
    });
  }
  return nics;
}

/** Groups per-port changes by switch, preserving order, so each switch gets one batched session. */
export function bySwitch(
  nics: readonly CabledNic[],
  opsFor: (nic: CabledNic) => PortOp[],
): Map<string, PortOp[]> {
  const out = new Map<string, PortOp[]>();
  for (const nic of nics) {
    const list = out.get(nic.switch) ?? [];
    list.push(...opsFor(nic));
    out.set(nic.switch, list);
  }
  return out;
}

/** VLANs an instance's ports carry: the default network untagged, the others tagged. */
export function instanceVlans(deps: WorkflowDeps, inst: Instance): { access: number; tagged: number[] } {
  const [first, ...rest] = inst.networkIds.map((id) => networkById(deps, id).vlan);
  return { access: first!, tagged: rest };
}

/**
 * What a workflow on an instance reads, looked up at each use (a resumed task sees the store as it
 * is now); the host is fixed when the steps are built, as the task's lock is.
 */
export function instanceScope(deps: WorkflowDeps, instanceId: string, hostIdHint?: string) {
  const inst = () => instanceById(deps, instanceId);
  // The record is gone when a destroy (or a create's rollback) is resumed after a crash in the step
  // that removed it; the task's target still names the host, so the task can finish.
  const hostId = deps.store.instances.get(instanceId)?.hostId ?? hostIdHint ?? inst().hostId;
  const host = () => hostById(deps, hostId);
  return { inst, hostId, host, systemId: () => systemIdOf(host()) };
}
