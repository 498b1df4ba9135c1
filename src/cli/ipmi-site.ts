import type { Result } from '../protocol/messages.ts';
import { OperatorError } from '../util/errors.ts';
import type { CommandContext } from './context.ts';
import { followOrDetach, startTask, type StartedTask } from './follow.ts';
import { ipmiCommand, type BmcReader } from './ipmi.ts';
import { println } from './io.ts';
import { confirmAction, type ConfirmFlags } from './confirm.ts';
import type { RunnerClient } from '../client/runner-client.ts';
import type { IpmiChange } from './ipmi.ts';

/**
 * `rackpilot ipmi` on a site: reads (power status, bootdev show, info) are runner requests,
 * answered through the runner's BMC sessions with the password it holds (store, rack file env),
 * which never reaches this process; changes are tasks in the runner, holding the host like any
 * other task, so a power-off cannot land in the middle of a deploy unless the operator says
 * --force (and the journal says so).
 */
export async function ipmiViaRunner(argv: string[], ctx: CommandContext): Promise<number> {
  return ipmiCommand(argv, {
    io: ctx.io,
    change: async (change, opts) => {
      const runner = await ctx.runner();
      const task = await startChange(ctx, runner, change, opts);
      const taskId = task.id;
      const code = await followOrDetach(runner, task, ctx.io, { json: opts.json, detach: opts.detach });
      if (code === 0 && !opts.json && !opts.detach)
        println(
          ctx.io,
          `${change.host}: ${change.verb === 'power' ? `power ${change.action}` : `boot device ${change.device}`} done (task ${taskId})`,
        );
      return code;
    },
    reader: runnerBmcReader(ctx),
  });
}

/** The runner's BMC reads; the wait line and the RACKPILOT_BMC_TIMEOUT deadline hang on its client. */
function runnerBmcReader(ctx: CommandContext): BmcReader {
  return {
    power: async (host) => (await runnerRead(ctx, host, 'power')).power,
    bootdev: async (host) => withoutTag(await runnerRead(ctx, host, 'bootdev')),
    info: async (host) => withoutTag(await runnerRead(ctx, host, 'info')),
  };
}

function withoutTag<T extends { read: string }>(r: T): Omit<T, 'read'> {
  const { read: _read, ...rest } = r;
  return rest;
}

async function runnerRead<R extends 'power' | 'bootdev' | 'info'>(
  ctx: CommandContext,
  host: string,
  read: R,
): Promise<Extract<Result<'host.bmcRead'>, { read: R }>> {
  const r = await (await ctx.runner()).call('host.bmcRead', { host, read, ipmiOnly: true });
  if (r.read !== read) throw new OperatorError(`the runner answered a ${r.read} read to a ${read} read`);
  return r as Extract<Result<'host.bmcRead'>, { read: R }>;
}

/** A power or boot-device change as the runner plans it, shown, confirmed, started with its digest. */
async function startChange(
  ctx: CommandContext,
  runner: RunnerClient,
  change: IpmiChange,
  opts: ConfirmFlags & { force: boolean; detach?: boolean | undefined },
): Promise<StartedTask> {
  if (change.verb === 'power') {
    const { host, action } = change;
    const plan = await confirmAction(ctx.io, runner, { action: 'power', host, op: action }, opts);
    const { task } = await startTask(runner, opts.detach, (follow) =>
      runner.call('host.power', { host, action, force: opts.force, plan, ...follow }),
    );
    return task;
  }
  const { verb: _v, ...boot } = change;
  const plan = await confirmAction(ctx.io, runner, { action: 'bootdev', ...boot }, opts);
  const { task } = await startTask(runner, opts.detach, (follow) =>
    runner.call('host.bootdev', { ...boot, force: opts.force, plan, ...follow }),
  );
  return task;
}
