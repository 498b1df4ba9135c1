import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { registerSecret } from '../util/redact.ts';
import type { CommandContext } from './context.ts';
import { followOrDetach, startTask } from './follow.ts';
import { intFlag, parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { printPlan } from './plan.ts';
import { formatTable } from './table.ts';
import { HOST_USAGE, TEMPLATE_USAGE, OFFERING_USAGE, NETWORK_USAGE } from './usage.ts';
import { flagOptions } from './help.ts';
import { confirmAction } from './confirm.ts';

const MAC = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** `host add|rm|ls`: the seed's Add Host (adopt or create in MaaS) and Remove Host (local only). */
export async function hostCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'add':
      return hostAdd(rest, ctx);
    case 'rm':
      return hostRm(rest, ctx);
    case 'ls':
      return hostLs(rest, ctx);
    default:
      throw new UsageError(`unknown host subcommand ${JSON.stringify(sub ?? '')}`, {
        hint: `usage: ${HOST_USAGE}`,
      });
  }
}

async function hostAdd(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    flagOptions('host add'),
    z.object({
      hostname: z
        .string({ error: 'is required: the host name, e.g. --hostname r01-n003' })
        .regex(HOSTNAME, 'a hostname: letters, digits and "-"'),
      mac: z.string().regex(MAC, 'a MAC address like 00:18:8b:52:79:80').optional(),
      ipmi: z
        .string()
        .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'HOST or HOST:PORT of the BMC')
        .refine((v) => !v.includes(':') || Number(v.split(':')[1]) <= 65535, 'the port is at most 65535')
        .optional(),
      'ipmi-user': z.string().min(1).max(32).optional(),
      'ipmi-password-stdin': z.boolean().optional(),
      cores: requiredInt('CPU cores, e.g. --cores 8', 1, 4096),
      mhz: requiredInt('CPU speed in MHz, e.g. --mhz 2400', 1, 100_000),
      memory: requiredInt('memory in MB, e.g. --memory 32768', 1, 1 << 24),
      rack: z.string().regex(NAME).optional(),
      plan: z.boolean().optional(),
      yes: z.boolean().optional(),
      confirm: z.string().min(1).max(253).optional(),
      detach: z.boolean().optional(),
      json: z.boolean().optional(),
    }),
    HOST_USAGE,
  );
  const password = values['ipmi-password-stdin']
    ? passwordFromStdin()
    : ctx.envValue('RACKPILOT_IPMI_PASSWORD');
  registerSecret(password);
  const [address, portText] = values.ipmi?.split(':') ?? [];
  const runner = await ctx.runner();
  const req = {
    hostname: values.hostname.toLowerCase(),
    ...(values.mac && { mac: values.mac.toLowerCase().replace(/-/g, ':') }),
    ...(address && { ipmi: { address, ...(portText && { port: Number(portText) }) } }),
    ...(values['ipmi-user'] && { ipmiUser: values['ipmi-user'] }),
    ...(password && { ipmiPassword: password }),
    cores: values.cores,
    mhz: values.mhz,
    memory: values.memory,
    ...(values.rack && { rack: values.rack }),
  };
  if (values.plan)
    return printPlan(ctx.io, (await runner.call('host.add', { ...req, plan: true })).plan!, values.json);
  // Planned, shown and confirmed like every change; the runner refuses the add if the plan moved.
  const confirmed = await confirmAction(ctx.io, runner, { action: 'host-add', ...req }, values);
  const { task } = await startTask(runner, values.detach, (follow) =>
    runner.call('host.add', { ...req, confirmed, ...follow }),
  );
  return followOrDetach(runner, task, ctx.io, values);
}

/** The first line of standard input; an empty one is refused, not sent to MaaS as no password. */
function passwordFromStdin(): string {
  const line = readFileSync(0, 'utf8').split('\n')[0]!.replace(/\r$/, '');
  if (!line)
    throw new UsageError('--ipmi-password-stdin: standard input is empty: no password was given', {
      hint: 'printf %s "$PASSWORD" | rackpilot host add … --ipmi-password-stdin, or set RACKPILOT_IPMI_PASSWORD',
    });
  return line;
}

async function hostRm(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    flagOptions('host rm'),
    z.object({ json: z.boolean().optional() }),
    HOST_USAGE,
  );
  const name = positionals[0];
  if (!name) throw new UsageError('which host?', { hint: `usage: ${HOST_USAGE}` });
  const r = await (await ctx.runner()).call('host.remove', { host: name });
  if (values.json) printJson(ctx.io, r);
  else
    println(
      ctx.io,
      `host ${r.removed} removed from rackpilot; MaaS still has it${r.maasSystemId ? ` (${r.maasSystemId})` : ''}`,
    );
  return 0;
}

async function hostLs(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    flagOptions('host ls'),
    z.object({ json: z.boolean().optional() }),
    HOST_USAGE,
  );
  const hosts = await (await ctx.runner()).call('hosts.list', {});
  if (values.json) {
    printJson(ctx.io, hosts);
    return 0;
  }
  println(
    ctx.io,
    formatTable(
      ['HOST', 'MAC', 'BMC', 'CORES', 'MHZ', 'MEMORY', 'MAAS', 'INSTANCE'],
      hosts.map((h) => [
        h.hostname,
        h.mac,
        `${h.ipmi.address}${h.ipmi.port ? `:${h.ipmi.port}` : ''}${h.ipmi.source ? ` (${h.ipmi.source})` : ''}`,
        String(h.cpuCores),
        String(h.cpuMhz),
        String(h.memoryMb),
        h.maasSystemId ?? '-',
        h.instance ?? '-',
      ]),
    ),
  );
  return 0;
}

/** Templates name a MaaS image (the seed's URL field); nothing is downloaded. */
export async function templateCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const { values, positionals } = parseCommandArgs(
      rest,
      flagOptions('template add'),
      z.object({
        image: z
          .string({ error: 'is required: the MaaS image, e.g. --image ubuntu/jammy' })
          .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/, 'a MaaS image name like ubuntu/jammy or centos7'),
        description: z.string().max(200).optional(),
        json: z.boolean().optional(),
      }),
      TEMPLATE_USAGE,
    );
    const name = nameArg(positionals, TEMPLATE_USAGE);
    const t = await (
      await ctx.runner()
    ).call('template.add', {
      name,
      image: values.image,
      ...(values.description && { description: values.description }),
    });
    if (values.json) printJson(ctx.io, t);
    else println(ctx.io, `template ${name} → MaaS image ${values.image}`);
    return 0;
  }
  if (sub === 'rm') {
    const name = nameArg(rest, TEMPLATE_USAGE);
    await (await ctx.runner()).call('template.remove', { name });
    println(ctx.io, `template ${name} deleted (the MaaS image is untouched)`);
    return 0;
  }
  if (sub === 'ls') {
    const rows = await (await ctx.runner()).call('templates.list', {});
    if (rest.includes('--json')) printJson(ctx.io, rows);
    else
      println(
        ctx.io,
        formatTable(
          ['NAME', 'IMAGE', 'DESCRIPTION'],
          rows.map((t) => [t.name, t.image, t.description ?? '']),
        ),
      );
    return 0;
  }
  throw new UsageError(`unknown template subcommand ${JSON.stringify(sub ?? '')}`, {
    hint: `usage: ${TEMPLATE_USAGE}`,
  });
}

/** Offerings are the host dimensions the planner matches (the seed's BareMetalPlanner). */
export async function offeringCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const { values, positionals } = parseCommandArgs(
      rest,
      flagOptions('offering add'),
      z.object({
        cores: requiredInt('CPU cores, e.g. --cores 8', 1, 4096),
        mhz: requiredInt('CPU speed in MHz, e.g. --mhz 2400', 1, 100_000),
        memory: requiredInt('memory in MB, e.g. --memory 32768', 1, 1 << 24),
        json: z.boolean().optional(),
      }),
      OFFERING_USAGE,
    );
    const name = nameArg(positionals, OFFERING_USAGE);
    const o = await (
      await ctx.runner()
    ).call('offering.add', {
      name,
      cores: values.cores,
      mhz: values.mhz,
      memory: values.memory,
    });
    if (values.json) printJson(ctx.io, o);
    else println(ctx.io, `offering ${name}: ${o.cpuCores} cores × ${o.cpuMhz} MHz, ${o.memoryMb} MB`);
    return 0;
  }
  if (sub === 'rm') {
    const name = nameArg(rest, OFFERING_USAGE);
    await (await ctx.runner()).call('offering.remove', { name });
    println(ctx.io, `offering ${name} deleted`);
    return 0;
  }
  if (sub === 'ls') {
    const rows = await (await ctx.runner()).call('offerings.list', {});
    if (rest.includes('--json')) printJson(ctx.io, rows);
    else
      println(
        ctx.io,
        formatTable(
          ['NAME', 'CORES', 'MHZ', 'MEMORY'],
          rows.map((o) => [o.name, String(o.cpuCores), String(o.cpuMhz), String(o.memoryMb)]),
        ),
      );
    return 0;
  }
  throw new UsageError(`unknown offering subcommand ${JSON.stringify(sub ?? '')}`, {
    hint: `usage: ${OFFERING_USAGE}`,
  });
}

/** Tenant networks are VLANs; the PXE VLAN is per switch, in the rack file. */
export async function networkCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'add') {
    const { values, positionals } = parseCommandArgs(
      rest,
      flagOptions('network add'),
      z.object({
        vlan: requiredInt('the VLAN id, e.g. --vlan 101', 1, 4094),
        description: z.string().max(200).optional(),
        json: z.boolean().optional(),
      }),
      NETWORK_USAGE,
    );
    const name = nameArg(positionals, NETWORK_USAGE);
    const n = await (
      await ctx.runner()
    ).call('network.add', {
      name,
      vlan: values.vlan,
      ...(values.description && { description: values.description }),
    });
    if (values.json) printJson(ctx.io, n);
    else println(ctx.io, `network ${name}: VLAN ${n.vlan}`);
    return 0;
  }
  if (sub === 'rm') {
    const name = nameArg(rest, NETWORK_USAGE);
    await (await ctx.runner()).call('network.remove', { name });
    println(ctx.io, `network ${name} deleted`);
    return 0;
  }
  if (sub === 'ls') {
    const { networks, pxeVlans } = await (await ctx.runner()).call('networks.list', {});
    if (rest.includes('--json')) {
      printJson(ctx.io, { networks, pxeVlans });
      return 0;
    }
    println(
      ctx.io,
      formatTable(
        ['NAME', 'VLAN', 'DESCRIPTION'],
        networks.map((n) => [n.name, String(n.vlan), n.description ?? '']),
      ),
    );
    println(ctx.io, '');
    println(
      ctx.io,
      formatTable(
        ['SWITCH', 'PXE VLAN'],
        pxeVlans.map((s) => [s.switch, s.pxeVlan === null ? '-' : String(s.pxeVlan)]),
      ),
    );
    return 0;
  }
  throw new UsageError(`unknown network subcommand ${JSON.stringify(sub ?? '')}`, {
    hint: `usage: ${NETWORK_USAGE}`,
  });
}

/** An integer flag that must be given: its absence names the flag and what it is. */
function requiredInt(what: string, min: number, max: number) {
  return z.string({ error: `is required: ${what}` }).pipe(intFlag(min, max));
}

function nameArg(positionals: readonly string[], usage: string): string {
  const name = positionals.find((p) => !p.startsWith('-'));
  if (!name) throw new UsageError('NAME is missing', { hint: `usage: ${usage}` });
  if (!NAME.test(name))
    throw new UsageError(`NAME ${JSON.stringify(name)}: letters, digits, . _ - (at most 63)`, {
      hint: `usage: ${usage}`,
    });
  return name;
}
