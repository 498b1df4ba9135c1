import { randomBytes } from 'node:crypto';
import { OperatorError } from '../util/errors.ts';
import { NODE_STATUS } from '../maas/node-status.ts';
import type { MaasClient } from '../maas/client.ts';
import { pickHost } from '../workflows/planner.ts';
import type { Host, Instance, Network, Offering, Template } from '../../state/schema.ts';
import type { Store } from '../../state/store.ts';
import type { Workbench } from './workbench.ts';

/** A locally administered unicast MAC, as CloudStack allocates one per VM NIC. */
export function allocateMac(taken: ReadonlySet<string>): string {
  for (;;) {
    const b = randomBytes(4);
    const mac = ['02', '00', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
    if (!taken.has(mac)) return mac;
  }
}

export interface CreateRequest {
  name: string;
  /** Offering, template and network names (or ids); the first network is the default NIC's. */
  offering: string;
  template: string;
  networks: string[];
  /** A host name or id; the planner picks one otherwise. */
  host?: string;
  mac?: string;
  userData?: string;
}

export interface ResolvedCreate {
  offering: Offering;
  template: Template;
  networks: Network[];
}

/** Names to records, with the operator-readable error when one is missing. */
export function resolveCreate(store: Store, req: CreateRequest): ResolvedCreate {
  const byName = <T extends { id: string; name: string }>(rows: T[], n: string, what: string): T => {
    const r = rows.find((x) => x.name === n || x.id === n);
    if (!r) throw new OperatorError(`no ${what} ${n}`, { hint: `\`rackpilot ${what} ls\`` });
    return r;
  };
  const networks = req.networks.map((n) => byName(store.networks.list(), n, 'network'));
  if (networks.length === 0)
    throw new OperatorError('an instance needs at least one network (the default NIC)');
  if (new Set(networks.map((n) => n.id)).size !== networks.length)
    throw new OperatorError('a network is given twice');
  return {
    offering: byName(store.offerings.list(), req.offering, 'offering'),
    template: byName(store.templates.list(), req.template, 'template'),
    networks,
  };
}

/** One MaaS list call: which hosts are Ready there now. */
export async function readyInMaas(
  maas: Pick<MaasClient, 'listMachines'>,
): Promise<(h: { maasSystemId?: string | undefined }) => boolean> {
  const machines = await maas.listMachines();
  const ready = new Set(machines.filter((m) => m.status === NODE_STATUS.READY).map((m) => m.system_id));
  return (h) => h.maasSystemId !== undefined && ready.has(h.maasSystemId);
}

export function instanceDraft(
  req: CreateRequest,
  r: ResolvedCreate,
  hostId: string,
  takenMacs: ReadonlySet<string>,
): Omit<Instance, 'id' | 'createdAt'> {
  return {
    name: req.name,
    hostId,
    offeringId: r.offering.id,
    templateId: r.template.id,
    networkIds: r.networks.map((n) => n.id),
    mac: req.mac ?? allocateMac(takenMacs),
    ...(req.userData !== undefined && { userData: req.userData }),
    state: 'creating',
  };
}

/**
 * The planner's pick and the instance record in ONE store transaction: two creates running at the
 * same time (in one process) can never get the same host, the same name or the same MAC.
 */
export async function reserveInstance(
  store: Store,
  req: CreateRequest,
  r: ResolvedCreate,
  ready: (h: Host) => boolean,
): Promise<{ instance: Instance; host: Host }> {
  return store.update((data) => {
    if (data.instances.some((i) => i.name === req.name))
      throw new OperatorError(`an instance named ${req.name} exists`, { hint: '`rackpilot ls`' });
    if (req.mac && data.instances.some((i) => i.mac === req.mac))
      throw new OperatorError(`MAC ${req.mac} is used by another instance`);
    const host = pickHost(data, r.offering, { ...(req.host && { hostName: req.host }), readyInMaas: ready });
    const instance: Instance = {
      ...instanceDraft(req, r, host.id, new Set(data.instances.map((i) => i.mac))),
      id: `inst-${randomBytes(4).toString('hex')}`,
      createdAt: new Date().toISOString(),
    };
    data.instances.push(instance);
    return { instance, host: structuredClone(host) };
  });
}

/** Plan a host, record the instance and start its create task: what `deploy` does, callable at once many times. */
export async function startCreate(
  wb: Pick<Workbench, 'store' | 'engine'>,
  maas: Pick<MaasClient, 'listMachines'>,
  req: CreateRequest,
): Promise<{ instance: Instance; host: Host; taskId: string }> {
  const resolved = resolveCreate(wb.store, req);
  const ready = await readyInMaas(maas);
  const { instance, host } = await reserveInstance(wb.store, req, resolved, ready);
  const taskId = await wb.engine.start(
    'instance.create',
    { hostId: host.id, hostname: host.hostname, instanceId: instance.id },
    { instanceId: instance.id },
  );
  return { instance, host, taskId };
}
