import { resolveBmcPassword } from '../config/rack/passwords.ts';
import type { Result } from '../protocol/messages.ts';
import { OperatorError } from '../util/errors.ts';
import type { CommandContext } from './context.ts';
import { followOrDetach } from './follow.ts';
import { ipmiCommand } from './ipmi.ts';
import { println } from './io.ts';
import { onWaitLine } from './wait-line.ts';
import { confirmAction, type ConfirmFlags } from './confirm.ts';
import type { RunnerClient } from '../client/runner-client.ts';
import type { IpmiChange } from './ipmi.ts';

const bmc = (t: { name?: string }) => `waiting for the ${t.name ?? 'BMC'}`;

/**
 * `rackpilot ipmi` on a site: reads (power status, bootdev show, info) go straight to the BMC;
 * changes are tasks in the runner, holding the host like any other task, so a power-off cannot
 * land in the middle of a deploy unless the operator says --force (and the journal says so).
 */
export async function ipmiViaRunner(argv: string[], ctx: CommandContext): Promise<number> {
  const site = await ctx.site();
  return ipmiCommand(argv, {
    io: ctx.io,
    client: onWaitLine(site.ipmi, ctx.waitLine, {
      powerStatus: bmc,
      getBootDevice: bmc,
      deviceId: bmc,
      power: bmc,
      setBootDevice: bmc,
    }),
    change: async (change, opts) => {
      const runner = await ctx.runner();
      const { taskId } = await startChange(ctx, runner, change, opts);
      const code = await followOrDetach(runner, taskId, ctx.io, { json: opts.json, detach: opts.detach });
      if (code === 0 && !opts.json && !opts.detach)
        println(
          ctx.io,
          `${change.host}: ${change.verb === 'power' ? `power ${change.action}` : `boot device ${change.device}`} done (task ${taskId})`,
        );
      return code;
    },
    // A host known from `host add` only: the runner holds its BMC password (in the store, or in
    // etcd with several jump hosts) and does the read; the password never leaves it.
    remote: {
      power: async (host) => (await runnerRead(ctx, host, 'power')).power,
      bootdev: async (host) => runnerRead(ctx, host, 'bootdev'),
      info: async (host) => runnerRead(ctx, host, 'info'),
    },
    resolveTarget: async (name) => {
      // The rack file's bmc entry, its password from the environment; else the runner reads.
      const rh = site.topology.host(name);
      if (rh?.bmc?.protocol === 'redfish') {
        throw new OperatorError(`${rh.hostname} has a Redfish BMC (rack file), not IPMI`, {
          target: rh.hostname,
          hint: `use \`rackpilot power ${rh.hostname} status\` and \`rackpilot boot ${rh.hostname} pxe\`, which speak both`,
        });
      }
      if (rh?.bmc?.username) {
        const password = resolveBmcPassword(rh.bmc, rh.hostname, site.env);
        if (password !== undefined)
          return {
            host: rh.bmc.address,
            port: rh.bmc.port,
            username: rh.bmc.username,
            password,
            name: `BMC of ${rh.hostname}`,
          };
      }
      return undefined;
    },
  });
}

async function runnerRead<R extends 'power' | 'bootdev' | 'info'>(
  ctx: CommandContext,
  host: string,
  read: R,
): Promise<Extract<Result<'host.bmcRead'>, { read: R }>> {
  const r = await (await ctx.runner()).call('host.bmcRead', { host, read });
  if (r.read !== read) throw new OperatorError(`the runner answered a ${r.read} read to a ${read} read`);
  return r as Extract<Result<'host.bmcRead'>, { read: R }>;
}

/** A power or boot-device change as the runner plans it, shown, confirmed, started with its digest. */
async function startChange(
  ctx: CommandContext,
  runner: RunnerClient,
  change: IpmiChange,
  opts: ConfirmFlags & { force: boolean },
): Promise<{ taskId: string }> {
  if (change.verb === 'power') {
    const { host, action } = change;
    const plan = await confirmAction(ctx.io, runner, { action: 'power', host, op: action }, opts);
    return runner.call('host.power', { host, action, force: opts.force, plan });
  }
  const { verb: _v, ...boot } = change;
  const plan = await confirmAction(ctx.io, runner, { action: 'bootdev', ...boot }, opts);
  return runner.call('host.bootdev', { ...boot, force: opts.force, plan });
}
