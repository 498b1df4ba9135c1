import { OperatorError } from '../../util/errors.ts';
import { startCreate, type CreateRequest } from '../site/provision.ts';
import { planWorkflowLive } from '../workflows/index.ts';
import type { ActionRequest, Params } from '../../protocol/messages.ts';
import { actionPlanner, lifecycleTask, type Planned } from './plans.ts';
import { startFor, type Caller, type Handlers, type ServiceContext } from './context.ts';

function describeCaller(c: Caller): string {
  return `${c.kind} client (pid ${c.pid})`;
}

/**
 * Requests that start, steer or plan tasks: deploy and the instance lifecycle, manual power and
 * boot-device changes (short tasks holding the host like any other), resume, rollback, cancel.
 * Each returns as soon as the task is journaled and running; progress flows as events.
 */
export function taskHandlers(ctx: ServiceContext): Handlers {
  const planner = actionPlanner(ctx);
  /** A change starts only from the plan the operator confirmed: its digest, planned again and compared. */
  const confirmedPlan: ConfirmedPlan = (req, digest) => planner.confirm(req, digest);
  return {
    ...instanceHandlers(ctx, confirmedPlan),
    ...bmcHandlers(ctx, confirmedPlan),
    ...steeringHandlers(ctx, confirmedPlan),
  };
}

type ConfirmedPlan = (req: ActionRequest, digest: string) => Promise<Planned>;

/** Instances: their list, their deploy (planned, then confirmed) and their lifecycle actions. */
function instanceHandlers({ site, wb }: ServiceContext, confirmedPlan: ConfirmedPlan): Handlers {
  const { store, engine } = wb;
  const planner = actionPlanner({ site, wb });
  const createRequest = ({
    plan: _plan,
    follow: _follow,
    ...req
  }: Params<'instance.create'>): CreateRequest => req;

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

    'instance.create': async (p, caller) => {
      const req = createRequest(p);
      // The confirmed deploy: the same host and MAC as planned (the client sends them back), the
      // same lines, or a refusal naming what changed.
      if (!p.host || !p.mac)
        throw new OperatorError('a confirmed deploy names the host and MAC of its plan', {
          hint: 'send back the host and mac that instance.plan answered',
        });
      const confirmed = await planner.deploy(req);
      planner.check(confirmed, p.plan);
      let made!: Awaited<ReturnType<typeof startCreate>>;
      const started = await startFor(caller, p, async (opts) => {
        made = await startCreate(wb, site.maas, req, {
          plan: confirmed.steps,
          ready: confirmed.ready,
          ...opts,
        });
        return made.taskId;
      });
      return { ...started, instance: made.instance.name, host: made.host.hostname, mac: made.instance.mac };
    },

    'instance.plan': async (p) => {
      const planned = await planner.deploy(createRequest(p));
      const { start: _start, ready: _ready, ...shown } = planned;
      return { ...shown, plan: planned.steps };
    },

    'action.plan': async (p) => {
      const { start: _start, ...shown } = await planner.plan(p);
      return shown;
    },

    'instance.action': async (p, caller) => {
      const { kind, target, params } = lifecycleTask(wb, p);
      const req: ActionRequest = {
        action: 'instance',
        verb: p.verb,
        instance: p.instance,
        ...(p.network && { network: p.network }),
      };
      const confirmed = await confirmedPlan(req, p.plan);
      return startFor(caller, p, (opts) =>
        engine.start(kind, target, params, { plan: confirmed.steps, ...opts }),
      );
    },

    'instance.actionPlan': async (p) => {
      const { kind, params } = lifecycleTask(wb, p);
      return { plan: await planWorkflowLive(wb.deps, kind, params) };
    },
  };
}

/** Manual BMC and MaaS changes on a host, each a task (planned and confirmed like any). */
function bmcHandlers({ wb }: ServiceContext, confirmedPlan: ConfirmedPlan): Handlers {
  const { store, engine } = wb;
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
    confirmed: Planned,
    follow: boolean | undefined,
  ) => {
    const host = hostNamed(key);
    const target = { hostId: host.id, hostname: host.hostname };
    return startFor(caller, { follow }, (opts) =>
      engine.start(
        kind,
        target,
        { hostId: host.id, ...params },
        {
          ...(force && { force: { reason: `--force from ${describeCaller(caller)}` } }),
          plan: confirmed.steps,
          ...opts,
        },
      ),
    );
  };

  return {
    'host.power': async (p, caller) =>
      startBmcTask(
        p.host,
        'host.power',
        { action: p.action },
        p.force,
        caller,
        await confirmedPlan({ action: 'power', host: p.host, op: p.action }, p.plan),
        p.follow,
      ),
    'host.bootdev': async (p, caller) => {
      const params = {
        device: p.device,
        persistent: p.persistent,
        ...(p.efi !== undefined && { efi: p.efi }),
      };
      const confirmed = await confirmedPlan({ action: 'bootdev', host: p.host, ...params }, p.plan);
      return startBmcTask(p.host, 'host.bootdev', params, p.force, caller, confirmed, p.follow);
    },
    'host.maas': async (p, caller) => {
      const params = { op: p.op, ...(p.comment && { comment: p.comment }) };
      const confirmed = await confirmedPlan({ action: 'maas', host: p.host, ...params }, p.plan);
      return startBmcTask(p.host, 'host.maas', params, false, caller, confirmed, p.follow);
    },
  };
}

/** Resume, rollback and cancel of a task, each against the plan the operator confirmed. */
function steeringHandlers({ wb }: ServiceContext, confirmedPlan: ConfirmedPlan): Handlers {
  const { engine } = wb;
  return {
    // The confirmed plan is journaled with the steps it covers, as a new task's is.
    'task.resume': async ({ id, plan }) => {
      const confirmed = await confirmedPlan({ action: 'resume', task: id }, plan);
      await engine.resume(id, { ...(confirmed.stepPlans && { plan: confirmed.stepPlans }) });
      return { taskId: id };
    },
    'task.rollback': async ({ id, plan }) => {
      const confirmed = await confirmedPlan({ action: 'rollback', task: id }, plan);
      await engine.rollback(id, { ...(confirmed.stepPlans && { plan: confirmed.stepPlans }) });
      return { taskId: id };
    },
    'task.cancel': async ({ id, reason, plan }) => {
      await confirmedPlan({ action: 'cancel', task: id }, plan);
      const { log: _log, ...t } = await engine.cancel(id, reason ?? 'cancelled by the operator');
      return t;
    },
  };
}
