import { z } from 'zod';
import type { CommandContext } from './context.ts';
import { followOrDetach, startTask } from './follow.ts';
import { eprintln, parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { printPlan } from './plan.ts';
import { readUserData } from './user-data.ts';
import { formatTable } from './table.ts';
import { DEPLOY_USAGE } from './usage.ts';
import { flagOptions, usageOf } from './help.ts';
import { confirmAction, confirmPlan } from './confirm.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** `deploy`: the seed's Create VM — the runner plans a host, records the instance, runs the create task. */
export async function deployCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    flagOptions('deploy'),
    z.object({
      offering: z.string({ error: 'is required: the offering (`rackpilot offering ls`)' }).min(1),
      template: z.string({ error: 'is required: the template (`rackpilot template ls`)' }).min(1),
      network: z
        .array(z.string().min(1), { error: 'is required: at least one (the first is the default NIC)' })
        .min(1, 'at least one --network (the first is the default NIC)'),
      host: z.string().optional(),
      'user-data': z.string().optional(),
      mac: z
        .string()
        .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'a lower-case MAC like 02:00:0a:0b:0c:0d')
        .optional(),
      plan: z.boolean().optional(),
      yes: z.boolean().optional(),
      confirm: z.string().min(1).max(253).optional(),
      detach: z.boolean().optional(),
      json: z.boolean().optional(),
    }),
    DEPLOY_USAGE,
  );
  const name = positionals[0];
  if (!name || !NAME.test(name))
    throw new UsageError('NAME: letters, digits, . _ - (at most 63)', { hint: `usage: ${DEPLOY_USAGE}` });
  const req = {
    name,
    offering: values.offering,
    template: values.template,
    networks: values.network,
    ...(values.host && { host: values.host }),
    ...(values.mac && { mac: values.mac }),
    ...(values['user-data'] !== undefined && { userData: readUserData(values['user-data']) }),
  };
  const runner = await ctx.runner();
  if (values.plan) {
    const planned = await runner.call('instance.plan', req);
    println(ctx.io, `host ${planned.host}, MAC ${planned.mac}`);
    return printPlan(ctx.io, planned.plan, values.json);
  }
  // The deploy as planned: the host and MAC the plan shows go back with its digest.
  const planned = await runner.call('instance.plan', req);
  const digest = await confirmPlan(ctx.io, planned, values);
  const { answer: started, task } = await startTask(runner, values.detach, (follow) =>
    runner.call('instance.create', { ...req, host: planned.host, mac: planned.mac, plan: digest, ...follow }),
  );
  // Progress, not the result: with --detach, stdout carries the task id alone (for scripts).
  eprintln(ctx.io, `instance ${name} on ${started.host} (MAC ${started.mac}), task ${started.taskId}`);
  return followOrDetach(runner, task, ctx.io, values);
}

const LIFECYCLE_USAGE = (['start', 'stop', 'destroy', 'attach', 'detach'] as const)
  .map((verb) => usageOf(verb))
  .join('\n       ');

/** start, stop, destroy, attach, detach: each one task on the instance's host. */
export async function lifecycleCommand(
  verb: 'start' | 'stop' | 'destroy' | 'attach' | 'detach',
  argv: string[],
  ctx: CommandContext,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    flagOptions(verb),
    z.object({
      plan: z.boolean().optional(),
      yes: z.boolean().optional(),
      confirm: z.string().min(1).max(253).optional(),
      detach: z.boolean().optional(),
      json: z.boolean().optional(),
    }),
    LIFECYCLE_USAGE,
  );
  const instance = positionals[0];
  if (!instance) throw new UsageError('which instance?', { hint: `usage: ${LIFECYCLE_USAGE}` });
  const network = positionals[1];
  if ((verb === 'attach' || verb === 'detach') && !network)
    throw new UsageError('which network?', { hint: `usage: ${LIFECYCLE_USAGE}` });
  const req = { verb, instance, ...(network && { network }) };
  const runner = await ctx.runner();
  if (values.plan)
    return printPlan(ctx.io, (await runner.call('instance.actionPlan', req)).plan, values.json);
  const plan = await confirmAction(ctx.io, runner, { action: 'instance', ...req }, values);
  const { task } = await startTask(runner, values.detach, (follow) =>
    runner.call('instance.action', { ...req, plan, ...follow }),
  );
  return followOrDetach(runner, task, ctx.io, values);
}

/** `ls`: instances with their host, networks and state. */
export async function listInstancesCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    flagOptions('ls'),
    z.object({ json: z.boolean().optional() }),
    usageOf('ls'),
  );
  const rows = await (await ctx.runner()).call('instances.list', {});
  if (values.json) {
    printJson(
      ctx.io,
      rows.map((i) => ({ ...i, userData: i.userData ? '(set)' : undefined })),
    );
    return 0;
  }
  println(
    ctx.io,
    formatTable(
      ['NAME', 'STATE', 'HOST', 'MAC', 'NETWORKS', 'TEMPLATE'],
      rows.map((i) => [i.name, i.state, i.host, i.mac, i.networks.join(','), i.template]),
    ),
  );
  return 0;
}
