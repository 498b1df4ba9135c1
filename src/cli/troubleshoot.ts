/**
 * `rackpilot doctor HOST`, `rackpilot inspect HOST`, `rackpilot cabling RACK`: reads through the
 * runner (the dashboard asks the same requests); `--fix ID` and `--reconcile` start the fix as a
 * task and follow it like every task-launching command.
 */

import { z } from 'zod';
import { renderDiagnosis, renderTriage } from '../../components/doctor-text.ts';
import { inspectionExitCode, renderCabling, renderInspection } from '../../components/inspect-text.ts';
import { FIX_IDS } from '../protocol/doctor.ts';
import type { CommandContext } from './context.ts';
import { followOrDetach, startTask } from './follow.ts';
import { parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { DOCTOR_USAGE, INSPECT_USAGE, CABLING_USAGE } from './usage.ts';
import { confirmAction } from './confirm.ts';

const flags = z.strictObject({
  json: z.boolean().optional(),
  help: z.boolean().optional(),
  detach: z.boolean().optional(),
  fix: z.enum(FIX_IDS).optional(),
  reconcile: z.boolean().optional(),
  log: z.boolean().optional(),
  all: z.boolean().optional(),
  yes: z.boolean().optional(),
  confirm: z.string().min(1).max(253).optional(),
});

function parse(argv: readonly string[], usage: string, allowed: readonly string[]) {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      detach: { type: 'boolean' },
      fix: { type: 'string' },
      reconcile: { type: 'boolean' },
      log: { type: 'boolean' },
      all: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      confirm: { type: 'string' },
    },
    flags,
    usage,
  );
  for (const k of Object.keys(values))
    if (!allowed.includes(k) && k !== 'help' && k !== 'json')
      throw new UsageError(`--${k} does not apply here`, { hint: `usage: ${usage}` });
  if (values.all) {
    if (positionals.length > 0)
      throw new UsageError('--all reads every host: no HOST with it', { hint: `usage: ${usage}` });
    return { values, name: '' };
  }
  if (!values.help && positionals.length !== 1)
    throw new UsageError(positionals.length ? 'one name only' : 'which one?', { hint: `usage: ${usage}` });
  return { values, name: positionals[0] ?? '' };
}

export async function doctorCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, name } = parse(argv, DOCTOR_USAGE, ['fix', 'detach', 'log', 'all', 'yes', 'confirm']);
  if (values.help) return (println(ctx.io, DOCTOR_USAGE), 0);
  if (values.all && (values.fix || values.log))
    throw new UsageError(`--${values.fix ? 'fix' : 'log'} is for one host, not --all`, {
      hint: `usage: ${DOCTOR_USAGE}`,
    });
  const runner = await ctx.runner();
  if (values.all) {
    const t = await runner.call('site.triage', {});
    if (values.json) printJson(ctx.io, t);
    else for (const l of renderTriage(t)) println(ctx.io, l);
    return t.rows.some((r) => r.cause !== null) ? 1 : 0;
  }
  const d = await runner.call('host.doctor', { host: name, ...(values.log && { log: true }) });
  if (values.fix) {
    const f = d.fixes.find((x) => x.id === values.fix);
    const fix = { host: name, fix: values.fix, ...(f?.taskId && { taskId: f.taskId }) };
    const plan = await confirmAction(ctx.io, runner, { action: 'fix', ...fix }, values);
    const { task } = await startTask(runner, values.detach, (follow) =>
      runner.call('host.fix', { ...fix, plan, ...follow }),
    );
    return followOrDetach(runner, task, ctx.io, { detach: values.detach, json: values.json });
  }
  if (values.json) printJson(ctx.io, d);
  else for (const l of renderDiagnosis(d)) println(ctx.io, l);
  return d.cause !== null || d.checks.some((c) => c.state === 'fail') ? 1 : 0;
}

export async function inspectCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, name } = parse(argv, INSPECT_USAGE, ['reconcile', 'detach', 'yes', 'confirm']);
  if (values.help) return (println(ctx.io, INSPECT_USAGE), 0);
  const runner = await ctx.runner();
  const i = await runner.call('host.inspect', { host: name });
  if (values.json) printJson(ctx.io, i);
  else for (const l of renderInspection(i)) println(ctx.io, l);
  if (values.reconcile && i.reconcile) {
    const plan = await confirmAction(ctx.io, runner, { action: 'reconcile', host: name }, values);
    const { task } = await startTask(runner, values.detach, (follow) =>
      runner.call('host.reconcile', { host: name, plan, ...follow }),
    );
    return followOrDetach(runner, task, ctx.io, { detach: values.detach, json: false });
  }
  return inspectionExitCode(i);
}

export async function cablingCommand(argv: readonly string[], ctx: CommandContext): Promise<number> {
  const { values, name } = parse(argv, CABLING_USAGE, []);
  if (values.help) return (println(ctx.io, CABLING_USAGE), 0);
  const c = await (await ctx.runner()).call('rack.cabling', { rack: name });
  if (values.json) printJson(ctx.io, c);
  else for (const l of renderCabling(c)) println(ctx.io, l);
  return c.nics.every((n) => n.state === 'ok') ? 0 : 1;
}
