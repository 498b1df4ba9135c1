import { z } from 'zod';
import { countByStatus } from '../../state/live.ts';
import { OperatorError } from '../util/errors.ts';
import type { CommandContext } from './context.ts';
import { parseCommandArgs, printJson, println } from './io.ts';
import { formatTable } from './table.ts';
import { HOSTS_USAGE } from './usage.ts';
import { flagOptions } from './help.ts';

/** `hosts`: the dashboard's inventory (one MaaS list call merged with the rack file), for scripts. */
export async function hostsCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    flagOptions('hosts'),
    z.object({ json: z.boolean().optional() }),
    HOSTS_USAGE,
  );
  const snap = await (await ctx.runner()).call('inventory.snapshot', {});
  if (snap.error) throw new OperatorError(snap.error);
  const rows = snap.rows.map((r) => ({
    hostname: r.hostname,
    rack: r.rack,
    switch: r.switchName,
    ports: r.ports,
    macs: r.macs,
    systemId: r.systemId,
    status: r.status,
    statusName: r.statusName,
    statusMessage: r.statusMessage,
    powerState: r.powerState,
  }));
  if (values.json) {
    printJson(ctx.io, {
      endpoint: snap.endpoint,
      site: ctx.config().lab ? 'lab' : snap.site,
      counts: Object.fromEntries(countByStatus(snap.rows)),
      hosts: rows,
    });
    return 0;
  }
  println(
    ctx.io,
    formatTable(
      ['HOST', 'RACK', 'SWITCH', 'PORTS', 'MACS', 'STATUS', 'POWER'],
      rows.map((r) => [
        r.hostname,
        r.rack ?? '-',
        r.switch ?? '-',
        r.ports.join(',') || '-',
        r.macs.join(','),
        r.statusName,
        r.powerState,
      ]),
    ),
  );
  return 0;
}
