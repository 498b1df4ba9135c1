import { readStore } from '../../state/store.ts';
import { ipmiTargetFor } from '../site/adapters.ts';
import { resolveBmcPassword } from '../rack/passwords.ts';
import type { CommandContext } from './context.ts';
import { followOrDetach } from './follow.ts';
import { ipmiCommand } from './ipmi.ts';
import { println } from './io.ts';

/**
 * `rackpilot ipmi` on a site: reads (power status, bootdev show, info) go straight to the BMC;
 * changes are tasks in the runner, holding the host like any other task, so a power-off cannot
 * land in the middle of a deploy unless the operator says --force (and the journal says so).
 */
export async function ipmiViaRunner(argv: string[], ctx: CommandContext): Promise<number> {
  const site = await ctx.site();
  return ipmiCommand(argv, {
    io: ctx.io,
    client: site.ipmi,
    change: async (change, opts) => {
      const runner = await ctx.runner();
      const { taskId } =
        change.verb === 'power'
          ? await runner.call('host.power', { host: change.host, action: change.action, force: opts.force })
          : await runner.call('host.bootdev', {
              host: change.host,
              device: change.device,
              persistent: change.persistent,
              efi: change.efi,
              force: opts.force,
            });
      const code = await followOrDetach(runner, taskId, ctx.io, { json: opts.json, detach: opts.detach });
      if (code === 0 && !opts.json && !opts.detach)
        println(
          ctx.io,
          `${change.host}: ${change.verb === 'power' ? `power ${change.action}` : `boot device ${change.device}`} done (task ${taskId})`,
        );
      return code;
    },
    resolveTarget: async (name) => {
      // The rack file's bmc entry first (its password from the environment), then a host record
      // added with `host add` (read-only from the store file: the runner owns it).
      const rh = site.topology.host(name);
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
      const data = await readStore(site.config.store).catch(() => null);
      const h = data?.hosts.find((x) => x.hostname === name || x.id === name);
      return h ? ipmiTargetFor(h) : undefined;
    },
  });
}
