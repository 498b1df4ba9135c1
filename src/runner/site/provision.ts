import { randomBytes } from 'node:crypto';
import { freshId } from '../../util/fresh-id.ts';
import pRetry from 'p-retry';
import { OperatorError } from '../../util/errors.ts';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import { maasView, type MaasFeedClient } from '../inventory/maas-view.ts';
import { pickHost } from '../workflows/planner.ts';
import type { Holder } from '../tasks/coordination.ts';
import type { StartOptions } from '../tasks/engine.ts';
import type { Host, Instance, Network, Offering, Template } from '../../protocol/records.ts';
import type { Store } from '../store/store.ts';
import { EtcdConflictError } from '../coord/conflict.ts';
import type { Workbench } from './workbench.ts';

/** A locally administered unicast MAC, as CloudStack allocates one per VM NIC. */
export function allocateMac(taken: ReadonlySet<string>): string {
  for (;;) {
    const b = randomBytes(4);
    const mac = ['02', '00', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
    if (!taken.has(mac)) return mac;
  }
}

export type { CreateRequest } from '../../protocol/messages.ts';
import type { CreateRequest } from '../../protocol/messages.ts';

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

/** Whether MaaS has a host's machine Ready, as the site's view of MaaS last synced says. */
export type ReadyCheck = (h: { maasSystemId?: string | undefined }) => boolean;

/**
 * Which hosts are Ready in MaaS now, from the site's view of MaaS (src/runner/inventory/maas-view.ts):
 * one full list the first time, then each call follows MaaS's events since the last one and reads
 * again only the machines they name. Creates started together share the step under way. A step
 * that fails rejects with MaaS's error: no pick is made on an old view.
 */
export async function readyInMaas(maas: MaasFeedClient): Promise<ReadyCheck> {
  const view = maasView(maas);
  await view.sync();
  return (h) => h.maasSystemId !== undefined && view.statusOf(h.maasSystemId) === NODE_STATUS.READY;
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
 * The planner's pick and the instance record as one atomic change: the checks, the pick and the
 * insert's in-memory write run in one synchronous stretch (nothing is awaited before `insert` has
 * added the row), so no other create in this process can interleave, and the store's lock file
 * keeps other processes out. Two creates at once can never get the same host, name or MAC. (A
 * whole-store `update` would do too, but copies and re-validates every task's journal each time.)
 *
 * With etcd (several jump hosts) the insert is one etcd transaction that takes the instance's
 * name, MAC and host as unique keys: a pick another jump host made first fails it with an
 * EtcdConflictError, and startCreate picks again on the updated view.
 */
export function reserveInstance(
  store: Store,
  req: CreateRequest,
  r: ResolvedCreate,
  ready: (h: Host) => boolean,
  holderOf?: (h: Host) => Holder | undefined,
): Promise<{ instance: Instance; host: Host }> {
  try {
    const instances = store.instances.peekAll();
    if (instances.some((i) => i.name === req.name))
      throw new OperatorError(`an instance named ${req.name} exists`, { hint: '`rackpilot ls`' });
    if (req.mac && instances.some((i) => i.mac === req.mac))
      throw new OperatorError(`MAC ${req.mac} is used by another instance`);
    const host = structuredClone(
      pickHost({ hosts: store.hosts.peekAll(), instances }, r.offering, {
        ...(req.host && { hostName: req.host }),
        readyInMaas: ready,
        ...(holderOf && { holderOf }),
      }),
    );
    const draft = instanceDraft(req, r, host.id, new Set(instances.map((i) => i.mac)));
    return store.instances
      .insert({ ...draft, id: freshId('inst', (id) => store.instances.peek(id) !== undefined) })
      .then((instance) => ({ instance, host }));
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Another jump host's pick won the race: pick again (the view now has its instance). Up to 25
 * tries; waits of 10 ms doubling to 100 ms, each times a random 1–2 so racing jump hosts part.
 */
export function reserveWithRetry<T>(reserve: () => Promise<T>): Promise<T> {
  return pRetry(reserve, {
    retries: 24,
    minTimeout: 10,
    maxTimeout: 100,
    randomize: true,
    shouldRetry: ({ error }) => error instanceof EtcdConflictError,
  });
}

/** Plan a host, record the instance and start its create task: what `deploy` does, callable at once many times. */
export async function startCreate(
  wb: Pick<Workbench, 'store' | 'engine'>,
  maas: MaasFeedClient,
  req: CreateRequest,
  opts: Pick<StartOptions<unknown>, 'plan' | 'onCreated'> & {
    /** The Ready check of the plan just confirmed (its view of MaaS synced for it), else one made now. */
    ready?: ReadyCheck;
  } = {},
): Promise<{ instance: Instance; host: Host; taskId: string }> {
  const { ready: confirmedReady, ...start } = opts;
  const resolved = resolveCreate(wb.store, req);
  const ready = confirmedReady ?? (await readyInMaas(maas));
  // A host a task still holds is not free yet: a destroy removes the instance record in its last
  // step, a moment before it lets go of the host.
  // A host asked for by name is left to the engine, whose refusal names the task holding it.
  const free = (h: Host) => ready(h) && wb.engine.holderOf({ hostId: h.id }) === undefined;
  const { instance, host } = await reserveWithRetry(() =>
    reserveInstance(wb.store, req, resolved, req.host ? ready : free, (h) =>
      wb.engine.holder({ hostId: h.id }),
    ),
  );
  try {
    const taskId = await wb.engine.start(
      'instance.create',
      { hostId: host.id, hostname: host.hostname, instanceId: instance.id },
      { instanceId: instance.id },
      start,
    );
    return { instance, host, taskId };
  } catch (err) {
    // No task will ever work on this record: it must not hold the host.
    await wb.store.instances.remove(instance.id);
    throw err;
  }
}
