import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { OperatorError } from '../util/errors.ts';
import {
  instanceDraft,
  readyInMaas,
  resolveCreate,
  startCreate,
  type CreateRequest,
} from '../site/provision.ts';
import { pickHost } from '../workflows/planner.ts';
import { planWorkflow } from '../workflows/index.ts';
import type { CommandContext } from './context.ts';
import { printPlan, withDraft } from './catalog.ts';
import { afterTaskHint, exitCodeFor, followTask, taskSummary } from './follow.ts';
import { parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { formatTable } from './table.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const DEPLOY_USAGE = `rackpilot deploy NAME --offering OFFERING --template TEMPLATE --network NET [--network NET2 …]
                 [--host HOST] [--user-data FILE] [--mac MAC] [--plan] [--json]`;

/** `deploy`: the seed's Create VM — plan a host, record the instance, run the create task. */
export async function deployCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      offering: { type: 'string' },
      template: { type: 'string' },
      network: { type: 'string', multiple: true },
      host: { type: 'string' },
      'user-data': { type: 'string' },
      mac: { type: 'string' },
      plan: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    z.object({
      offering: z.string().min(1),
      template: z.string().min(1),
      network: z.array(z.string().min(1)).min(1, 'at least one --network (the first is the default NIC)'),
      host: z.string().optional(),
      'user-data': z.string().optional(),
      mac: z
        .string()
        .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'a lower-case MAC like 02:00:0a:0b:0c:0d')
        .optional(),
      plan: z.boolean().optional(),
      json: z.boolean().optional(),
    }),
    DEPLOY_USAGE,
  );
  const name = positionals[0];
  if (!name || !NAME.test(name))
    throw new UsageError('NAME: letters, digits, . _ - (at most 63)', { hint: `usage: ${DEPLOY_USAGE}` });
  const wb = await ctx.workbench();
  const site = await ctx.site();
  const { store } = wb;
  const req: CreateRequest = {
    name,
    offering: values.offering,
    template: values.template,
    networks: values.network,
    ...(values.host && { host: values.host }),
    ...(values.mac && { mac: values.mac }),
    ...(values['user-data'] !== undefined && { userData: readFileSync(values['user-data'], 'utf8') }),
  };
  const resolved = resolveCreate(store, req);
  if (store.instances.find((i) => i.name === name))
    throw new OperatorError(`an instance named ${name} exists`, { hint: '`rackpilot ls`' });
  if (values.plan) {
    const ready = await readyInMaas(site.maas);
    const host = pickHost(store.snapshot(), resolved.offering, {
      ...(values.host && { hostName: values.host }),
      readyInMaas: ready,
    });
    const draft = instanceDraft(req, resolved, host.id, new Set(store.instances.list().map((i) => i.mac)));
    const inst = { ...draft, id: 'inst-planned', createdAt: new Date().toISOString() };
    println(ctx.io, `host ${host.hostname}, MAC ${inst.mac}`);
    return printPlan(
      ctx,
      planWorkflow(withDraft(wb.deps, 'instances', inst), 'instance.create', { instanceId: inst.id }),
      values.json,
    );
  }

  // One MaaS list call tells which hosts are Ready; the pick and the record are one store change.
  const { instance, host, taskId: id } = await startCreate(wb, site.maas, req);
  println(ctx.io, `instance ${name} on ${host.hostname} (MAC ${instance.mac})`);
  return finish(ctx, wb.engine, id, values.json);
}

async function finish(
  ctx: CommandContext,
  engine: Awaited<ReturnType<CommandContext['workbench']>>['engine'],
  id: string,
  json: boolean | undefined,
) {
  const task = await followTask(engine, id, ctx.io);
  if (json) printJson(ctx.io, taskSummary(task));
  afterTaskHint(task, ctx.io);
  return exitCodeFor(task);
}

const LIFECYCLE_USAGE = `rackpilot start|stop|destroy NAME [--plan] [--json]
       rackpilot attach|detach NAME NETWORK [--plan] [--json]`;

/** start, stop, destroy, attach, detach: each one task on the instance's host. */
export async function lifecycleCommand(
  verb: 'start' | 'stop' | 'destroy' | 'attach' | 'detach',
  argv: string[],
  ctx: CommandContext,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { plan: { type: 'boolean' }, json: { type: 'boolean' } },
    z.object({ plan: z.boolean().optional(), json: z.boolean().optional() }),
    LIFECYCLE_USAGE,
  );
  const wb = await ctx.workbench();
  const instName = positionals[0];
  if (!instName) throw new UsageError('which instance?', { hint: `usage: ${LIFECYCLE_USAGE}` });
  const inst = wb.store.instances.find((i) => i.name === instName || i.id === instName);
  if (!inst) throw new OperatorError(`no instance ${instName}`, { hint: '`rackpilot ls`' });
  const host = wb.store.hosts.get(inst.hostId);
  const target = { hostId: inst.hostId, ...(host && { hostname: host.hostname }), instanceId: inst.id };
  let kind: string;
  let params: Record<string, string> = { instanceId: inst.id };
  if (verb === 'attach' || verb === 'detach') {
    const netName = positionals[1];
    if (!netName) throw new UsageError('which network?', { hint: `usage: ${LIFECYCLE_USAGE}` });
    const net = wb.store.networks.find((n) => n.name === netName || n.id === netName);
    if (!net) throw new OperatorError(`no network ${netName}`, { hint: '`rackpilot network ls`' });
    if (verb === 'attach' && inst.networkIds.includes(net.id))
      throw new OperatorError(`${inst.name} is already on ${net.name}`);
    if (verb === 'detach' && !inst.networkIds.includes(net.id))
      throw new OperatorError(`${inst.name} is not on ${net.name}`);
    kind = `network.${verb}`;
    params = { instanceId: inst.id, networkId: net.id };
  } else {
    kind = `instance.${verb}`;
  }
  if (values.plan) return printPlan(ctx, planWorkflow(wb.deps, kind, params), values.json);
  const id = await wb.engine.start(kind, target, params);
  return finish(ctx, wb.engine, id, values.json);
}

/** `ls`: instances with their host, networks and state. */
export async function listInstancesCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const wb = await ctx.workbench();
  const rows = wb.store.instances.list();
  const host = (id: string) => wb.store.hosts.get(id)?.hostname ?? id;
  const nets = (ids: string[]) => ids.map((id) => wb.store.networks.get(id)?.name ?? id);
  if (argv.includes('--json')) {
    printJson(
      ctx.io,
      rows.map((i) => ({
        ...i,
        host: host(i.hostId),
        networks: nets(i.networkIds),
        userData: i.userData ? '(set)' : undefined,
      })),
    );
    return 0;
  }
  println(
    ctx.io,
    formatTable(
      ['NAME', 'STATE', 'HOST', 'MAC', 'NETWORKS', 'TEMPLATE'],
      rows.map((i) => [
        i.name,
        i.state,
        host(i.hostId),
        i.mac,
        nets(i.networkIds).join(','),
        wb.store.templates.get(i.templateId)?.name ?? '?',
      ]),
    ),
  );
  return 0;
}
