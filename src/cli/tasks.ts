import { z } from 'zod';
import type { CommandContext } from './context.ts';
import { followOrDetach, taskSummary } from './follow.ts';
import { parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { formatTable } from './table.ts';
import { TASK_USAGE } from './usage.ts';
import { flagOptions } from './help.ts';
import { confirmAction } from './confirm.ts';

/** `tasks`: the journal. Unfinished and failed ones first; --all includes finished ones. */
export async function tasksCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    flagOptions('tasks'),
    z.object({ all: z.boolean().optional(), json: z.boolean().optional() }),
    TASK_USAGE,
  );
  const tasks = await (await ctx.runner()).call('tasks.list', { all: values.all ?? false });
  if (values.json) {
    printJson(ctx.io, tasks.map(taskSummary));
    return 0;
  }
  println(
    ctx.io,
    formatTable(
      ['ID', 'KIND', 'TARGET', 'STATE', 'STEP', 'UPDATED'],
      tasks.map((t) => {
        const current = t.steps.findIndex((s) => s.state !== 'done' && s.state !== 'skipped');
        return [
          t.id,
          t.kind,
          t.target.hostname ?? t.target.hostId ?? '-',
          t.state,
          current < 0
            ? `${t.steps.length}/${t.steps.length}`
            : `${current + 1}/${t.steps.length} ${t.steps[current]!.title}`,
          t.updatedAt.replace('T', ' ').slice(0, 19),
        ];
      }),
    ),
  );
  return 0;
}

/** `task show|follow|resume|rollback|cancel ID`. */
export async function taskCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    // Every flag of any task subcommand: the command line was checked against its own already.
    flagOptions('task resume'),
    z.object({
      json: z.boolean().optional(),
      detach: z.boolean().optional(),
      yes: z.boolean().optional(),
      confirm: z.string().min(1).max(253).optional(),
    }),
    TASK_USAGE,
  );
  const [sub, id] = positionals;
  if (!sub || !id)
    throw new UsageError('task needs a subcommand and an ID', { hint: `usage: ${TASK_USAGE}` });
  if (!['show', 'follow', 'resume', 'rollback', 'cancel'].includes(sub))
    throw new UsageError(`unknown task subcommand ${JSON.stringify(sub)}`, { hint: `usage: ${TASK_USAGE}` });
  const runner = await ctx.runner();
  switch (sub) {
    case 'show': {
      const task = await runner.call('tasks.get', { id });
      if (values.json) {
        printJson(ctx.io, { ...taskSummary(task), log: task.log });
        return 0;
      }
      println(ctx.io, `${task.id}  ${task.kind}  ${task.state}  ${task.target.hostname ?? ''}`);
      if (task.error) println(ctx.io, `error: ${task.error}`);
      task.steps.forEach((s, i) => {
        println(
          ctx.io,
          `  ${String(i + 1).padStart(2)}. [${s.state}] ${s.title}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}${s.note ? ` — ${s.note}` : ''}`,
        );
        if (s.error) println(ctx.io, `        ${s.error.split('\n').join('\n        ')}`);
      });
      println(ctx.io, 'log:');
      for (const l of task.log.slice(-40))
        println(ctx.io, `  ${l.at.slice(11, 19)} ${l.level.padEnd(5)} ${l.text}`);
      return 0;
    }
    case 'follow':
      return followOrDetach(runner, id, ctx.io, { json: values.json });
    // Each shows the runner's plan (the steps it re-runs, the undo lines, what a cancel stops), asks,
    // and sends its digest: a task that moved on meanwhile is refused.
    case 'resume': {
      const plan = await confirmAction(ctx.io, runner, { action: 'resume', task: id }, values);
      await runner.call('task.resume', { id, plan });
      return followOrDetach(runner, id, ctx.io, values);
    }
    case 'rollback': {
      const plan = await confirmAction(ctx.io, runner, { action: 'rollback', task: id }, values);
      await runner.call('task.rollback', { id, plan });
      return followOrDetach(runner, id, ctx.io, values);
    }
    case 'cancel': {
      const plan = await confirmAction(ctx.io, runner, { action: 'cancel', task: id }, values);
      const t = await runner.call('task.cancel', { id, plan });
      if (values.json) printJson(ctx.io, taskSummary(t));
      else println(ctx.io, `task ${id} ${t.state}`);
      return 0;
    }
    default:
      throw new UsageError(`unknown task subcommand ${JSON.stringify(sub)}`, {
        hint: `usage: ${TASK_USAGE}`,
      });
  }
}
