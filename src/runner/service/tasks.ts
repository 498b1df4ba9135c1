import { OperatorError } from '../../util/errors.ts';
import {
  instanceDraft,
  readyInMaas,
  resolveCreate,
  startCreate,
  type CreateRequest,
} from '../../site/provision.ts';
import { pickHost } from '../../workflows/planner.ts';
import { planWorkflowLive } from '../../workflows/index.ts';
import type { Instance, TaskTarget } from '../../../state/schema.ts';
import type { Params } from '../protocol.ts';
import { withDraft } from './draft.ts';
import type { Caller, Handlers, ServiceContext } from './context.ts';

function describeCaller(c: Caller): string {
  return `${c.kind} client (pid ${c.pid})`;
}

/**
 * Requests that start, steer or plan tasks: deploy and the instance lifecycle, manual power and
 * boot-device changes (short tasks holding the host like any other), resume, rollback, cancel.
 * Each returns as soon as the task is journaled and running; progress flows as events.
 */
export function taskHandlers({ site, wb }: ServiceContext): Handlers {
  const { store, engine } = wb;

  const createRequest = (p: Params<'instance.create'>): CreateRequest => ({
    name: p.name,
    offering: p.offering,
    template: p.template,
    networks: p.networks,
    ...(p.host && { host: p.host }),
    ...(p.mac && { mac: p.mac }),
    ...(p.userData !== undefined && { userData: p.userData }),
  });

  const instanceNamed = (key: string): Instance => {
    const inst = store.instances.find((i) => i.name === key || i.id === key);
    if (!inst) throw new OperatorError(`no instance ${key}`, { hint: '`rackpilot ls`' });
    return inst;
  };

  /** The task kind, target and params of start/stop/destroy/attach/detach. */
  const lifecycle = (p: Params<'instance.action'>) => {
    const inst = instanceNamed(p.instance);
    const host = store.hosts.get(inst.hostId);
    const target: TaskTarget = {
      hostId: inst.hostId,
      ...(host && { hostname: host.hostname }),
      instanceId: inst.id,
    };
    if (p.verb === 'attach' || p.verb === 'detach') {
      if (!p.network)
        throw new OperatorError('which network?', { hint: `rackpilot ${p.verb} INSTANCE NETWORK` });
      const net = store.networks.find((n) => n.name === p.network || n.id === p.network);
      if (!net) throw new OperatorError(`no network ${p.network}`, { hint: '`rackpilot network ls`' });
      if (p.verb === 'attach' && inst.networkIds.includes(net.id))
        throw new OperatorError(`${inst.name} is already on ${net.name}`);
      if (p.verb === 'detach' && !inst.networkIds.includes(net.id))
        throw new OperatorError(`${inst.name} is not on ${net.name}`);
      const params: Record<string, string> = { instanceId: inst.id, networkId: net.id };
      return { kind: `network.${p.verb}`, target, params };
    }
    const params: Record<string, string> = { instanceId: inst.id };
    return { kind: `instance.${p.verb}`, target, params };
  };

  const hostNamed = (key: string) => {
    const host = store.hosts.find((h) => h.hostname === key || h.id === key);
    if (!host)
      throw new OperatorError(`host ${key} is not in rackpilot's store`, {
        hint: `add it first: \`rackpilot host add --hostname ${key} …\` (\`rackpilot host ls\` lists them)`,
        target: key,
      });
    return host;
  };

  /** A manual BMC change is a task on the host; --force takes the host from the task holding it. */
  const startBmcTask = async (
    key: string,
    kind: string,
    params: Record<string, unknown>,
    force: boolean | undefined,
    caller: Caller,
  ) => {
    const host = hostNamed(key);
    const target = { hostId: host.id, hostname: host.hostname };
    const taskId = await engine.start(
      kind,
      target,
      { hostId: host.id, ...params },
      {
        ...(force && { force: { reason: `--force from ${describeCaller(caller)}` } }),
      },
    );
    return { taskId };
  };

  return {
    'instances.list': async () =>
      store.instances.list().map((i) => {
        const { userData, ...rest } = i;
        return {
          ...rest,
          host: store.hosts.get(i.hostId)?.hostname ?? i.hostId,
          networks: i.networkIds.map((id) => store.networks.get(id)?.name ?? id),
          template: store.templates.get(i.templateId)?.name ?? '?',
          offering: store.offerings.get(i.offeringId)?.name ?? '?',
          userData: userData !== undefined,
        };
      }),

    'instance.create': async (p) => {
      const { instance, host, taskId } = await startCreate(wb, site.maas, createRequest(p));
      return { taskId, instance: instance.name, host: host.hostname, mac: instance.mac };
    },

    'instance.plan': async (p) => {
      const req = createRequest(p);
      const resolved = resolveCreate(store, req);
      if (store.instances.find((i) => i.name === req.name))
        throw new OperatorError(`an instance named ${req.name} exists`, { hint: '`rackpilot ls`' });
      const ready = await readyInMaas(site.maas);
      const host = pickHost(store.snapshot(), resolved.offering, {
        ...(req.host && { hostName: req.host }),
        readyInMaas: ready,
        holderOf: (h) => engine.holder({ hostId: h.id }),
      });
      const draft = instanceDraft(req, resolved, host.id, new Set(store.instances.list().map((i) => i.mac)));
      const inst = { ...draft, id: 'inst-planned', createdAt: new Date().toISOString() };
      const plan = await planWorkflowLive(withDraft(wb.deps, 'instances', inst), 'instance.create', {
        instanceId: inst.id,
      });
      return { host: host.hostname, mac: inst.mac, plan };
    },

    'instance.action': async (p) => {
      const { kind, target, params } = lifecycle(p);
      return { taskId: await engine.start(kind, target, params) };
    },

    'instance.actionPlan': async (p) => {
      const { kind, params } = lifecycle(p);
      return { plan: await planWorkflowLive(wb.deps, kind, params) };
    },

    'host.power': async (p, caller) =>
      startBmcTask(p.host, 'host.power', { action: p.action }, p.force, caller),
    'host.bootdev': async (p, caller) =>
      startBmcTask(
        p.host,
        'host.bootdev',
        { device: p.device, persistent: p.persistent, ...(p.efi !== undefined && { efi: p.efi }) },
        p.force,
        caller,
      ),
    'host.maas': async (p, caller) =>
      startBmcTask(
        p.host,
        'host.maas',
        { op: p.op, ...(p.comment && { comment: p.comment }) },
        false,
        caller,
      ),

    'task.resume': async ({ id }) => {
      await engine.resume(id);
      return { taskId: id };
    },
    'task.rollback': async ({ id }) => {
      await engine.rollback(id);
      return { taskId: id };
    },
    'task.cancel': async ({ id, reason }) => {
      const { log: _log, ...t } = await engine.cancel(id, reason ?? 'cancelled by the operator');
      return t;
    },
  };
}
