import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { OperatorError } from '../util/errors.ts';
import { registerSecret } from '../util/redact.ts';
import { resolveBmcPassword } from '../rack/passwords.ts';
import { imageMatches } from '../workflows/instance-create.ts';
import type { CommandContext } from './context.ts';
import { afterTaskHint, exitCodeFor, followTask, taskSummary } from './follow.ts';
import { eprintln, intFlag, parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { formatTable } from './table.ts';
import { planWorkflow } from '../workflows/index.ts';

const MAC = /^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const HOST_USAGE = `rackpilot host add --hostname NAME [--mac MAC] [--ipmi HOST[:PORT]] [--ipmi-user USER]
                   --cores N --mhz N --memory MB [--rack NAME] [--plan] [--json]
         (IPMI password: RACKPILOT_IPMI_PASSWORD, --ipmi-password-stdin, or the rack file's bmc entry)
       rackpilot host rm HOST [--json]
       rackpilot host ls [--json]`;

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
    {
      hostname: { type: 'string' },
      mac: { type: 'string' },
      ipmi: { type: 'string' },
      'ipmi-user': { type: 'string' },
      'ipmi-password-stdin': { type: 'boolean' },
      cores: { type: 'string' },
      mhz: { type: 'string' },
      memory: { type: 'string' },
      rack: { type: 'string' },
      plan: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    z.object({
      hostname: z.string().regex(HOSTNAME, 'a hostname: letters, digits and "-"'),
      mac: z.string().regex(MAC, 'a MAC address like 00:18:8b:52:79:80').optional(),
      ipmi: z
        .string()
        .regex(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'HOST or HOST:PORT of the BMC')
        .optional(),
      'ipmi-user': z.string().min(1).max(32).optional(),
      'ipmi-password-stdin': z.boolean().optional(),
      cores: intFlag(1, 4096),
      mhz: intFlag(1, 100_000),
      memory: intFlag(1, 1 << 24),
      rack: z.string().regex(NAME).optional(),
      plan: z.boolean().optional(),
      json: z.boolean().optional(),
    }),
    HOST_USAGE,
  );
  const wb = await ctx.workbench();
  const site = await ctx.site();
  const hostname = values.hostname.toLowerCase();
  const rackHost = site.topology.host(hostname);
  const mac = (values.mac ?? rackHost?.nics[0]?.mac)?.toLowerCase().replace(/-/g, ':');
  if (!mac) {
    throw new OperatorError(
      `no MAC given for ${hostname}, and the rack file has no entry with that hostname`,
      {
        hint: 'pass --mac MAC (the host MAC, as the seed asks)',
      },
    );
  }
  const macs = [
    ...new Set([
      mac,
      ...site.topology.nicsForMacs([mac]).map((n) => n.mac),
      ...(rackHost?.nics.map((n) => n.mac) ?? []),
    ]),
  ];
  const bmc = rackHost?.bmc;
  const [address, portText] = (values.ipmi ?? (bmc ? `${bmc.address}:${bmc.port}` : '')).split(':');
  if (!address)
    throw new OperatorError(`no BMC address for ${hostname}`, {
      hint: 'pass --ipmi HOST[:PORT] or add a bmc entry to the rack file',
    });
  const username = values['ipmi-user'] ?? bmc?.username;
  if (!username) throw new OperatorError(`no IPMI user for ${hostname}`, { hint: 'pass --ipmi-user USER' });
  const password = values['ipmi-password-stdin']
    ? readFileSync(0, 'utf8').split('\n')[0]!
    : (ctx.envValue('RACKPILOT_IPMI_PASSWORD') ??
      (bmc ? resolveBmcPassword(bmc, hostname, site.env) : undefined));
  if (!password) {
    throw new OperatorError(`no IPMI password for ${hostname}`, {
      hint: 'set RACKPILOT_IPMI_PASSWORD, pipe it with --ipmi-password-stdin, or reference it from the rack file (bmc.passwordEnv); never on the command line',
    });
  }
  registerSecret(password);
  const record = {
    hostname,
    mac,
    macs,
    ipmi: { address, ...(portText && { port: Number(portText) }), username, password },
    cpuCores: values.cores,
    cpuMhz: values.mhz,
    memoryMb: values.memory,
    ...(values.rack && { rack: values.rack }),
  };
  if (values.plan) {
    const draft = { ...record, id: 'host-planned', addedAt: new Date().toISOString() };
    const plan = planWorkflow(withDraft(wb.deps, 'hosts', draft), 'host.add', { hostId: draft.id });
    return printPlan(ctx, plan, values.json);
  }
  if (wb.store.hosts.find((h) => h.hostname === hostname || h.mac === mac)) {
    throw new OperatorError(`host ${hostname} (or MAC ${mac}) is already in the local store`, {
      hint: '`rackpilot host ls`',
    });
  }
  const host = await wb.store.hosts.insert(record);
  const id = await wb.engine.start('host.add', { hostId: host.id, hostname }, { hostId: host.id });
  const task = await followTask(wb.engine, id, ctx.io);
  if (values.json)
    printJson(ctx.io, { host: publicHost(wb.store.hosts.get(host.id) ?? host), task: taskSummary(task) });
  else if (task.state === 'done')
    println(ctx.io, `host ${hostname} added (MaaS ${wb.store.hosts.get(host.id)?.maasSystemId})`);
  afterTaskHint(task, ctx.io);
  return exitCodeFor(task);
}

async function hostRm(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { json: { type: 'boolean' } },
    z.object({ json: z.boolean().optional() }),
    HOST_USAGE,
  );
  const name = positionals[0];
  if (!name) throw new UsageError('which host?', { hint: `usage: ${HOST_USAGE}` });
  const wb = await ctx.workbench();
  const host = wb.store.hosts.find((h) => h.hostname === name || h.id === name);
  if (!host) throw new OperatorError(`no host ${name} in the local store`, { hint: '`rackpilot host ls`' });
  const inst = wb.store.instances.find((i) => i.hostId === host.id);
  if (inst) {
    throw new OperatorError(`host ${host.hostname} runs instance ${inst.name}`, {
      target: host.hostname,
      hint: `destroy it first: \`rackpilot destroy ${inst.name}\``,
    });
  }
  const busy = wb.engine.holderOf({ hostId: host.id });
  if (busy) throw new OperatorError(`task ${busy} is working on ${host.hostname}`, { target: host.hostname });
  await wb.store.hosts.remove(host.id);
  if (values.json) printJson(ctx.io, { removed: host.hostname, maasSystemId: host.maasSystemId ?? null });
  else
    println(
      ctx.io,
      `host ${host.hostname} removed from rackpilot; MaaS still has it${host.maasSystemId ? ` (${host.maasSystemId})` : ''}`,
    );
  return 0;
}

async function hostLs(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    { json: { type: 'boolean' } },
    z.object({ json: z.boolean().optional() }),
    HOST_USAGE,
  );
  const wb = await ctx.workbench();
  const hosts = wb.store.hosts.list();
  const instances = wb.store.instances.list();
  if (values.json) {
    printJson(
      ctx.io,
      hosts.map((h) => ({
        ...publicHost(h),
        instance: instances.find((i) => i.hostId === h.id)?.name ?? null,
      })),
    );
    return 0;
  }
  println(
    ctx.io,
    formatTable(
      ['HOST', 'MAC', 'BMC', 'CORES', 'MHZ', 'MEMORY', 'MAAS', 'INSTANCE'],
      hosts.map((h) => [
        h.hostname,
        h.mac,
        `${h.ipmi.address}${h.ipmi.port ? `:${h.ipmi.port}` : ''}`,
        String(h.cpuCores),
        String(h.cpuMhz),
        String(h.memoryMb),
        h.maasSystemId ?? '-',
        instances.find((i) => i.hostId === h.id)?.name ?? '-',
      ]),
    ),
  );
  return 0;
}

/** A host record without its IPMI password, for output. */
export function publicHost(h: { ipmi: { password: string } } & Record<string, unknown>) {
  const { ipmi, ...rest } = h;
  const { password: _password, ...ipmiPublic } = ipmi;
  return { ...rest, ipmi: ipmiPublic };
}

/** The workflows read records through the store; a plan reads a draft record that is never saved. */
export function withDraft<D extends { store: object }>(
  deps: D,
  collection: 'hosts' | 'instances',
  draft: { id: string },
): D {
  const store = deps.store as unknown as Record<string, { get(id: string): unknown }>;
  const real = store[collection]!;
  const overlay = Object.create(real) as { get(id: string): unknown };
  overlay.get = (id: string) => (id === draft.id ? structuredClone(draft) : real.get(id));
  const storeOverlay = Object.create(deps.store) as Record<string, unknown>;
  storeOverlay[collection] = overlay;
  return { ...deps, store: storeOverlay };
}

export function printPlan(
  ctx: CommandContext,
  plan: { step: string; actions: string[] }[],
  json: boolean | undefined,
): number {
  if (json) {
    printJson(ctx.io, plan);
    return 0;
  }
  plan.forEach((s, i) => {
    println(ctx.io, `${i + 1}. ${s.step}`);
    for (const a of s.actions) println(ctx.io, `     ${a}`);
  });
  eprintln(ctx.io, '(plan only: nothing was changed)');
  return 0;
}

export const TEMPLATE_USAGE = `rackpilot template add NAME --image MAAS_IMAGE [--description TEXT] [--json]
       rackpilot template rm NAME
       rackpilot template ls [--json]`;

/** Templates name a MaaS image (the seed's URL field); nothing is downloaded. */
export async function templateCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  const wb = await ctx.workbench();
  if (sub === 'add') {
    const { values, positionals } = parseCommandArgs(
      rest,
      { image: { type: 'string' }, description: { type: 'string' }, json: { type: 'boolean' } },
      z.object({
        image: z
          .string()
          .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/, 'a MaaS image name like ubuntu/jammy or centos7'),
        description: z.string().max(200).optional(),
        json: z.boolean().optional(),
      }),
      TEMPLATE_USAGE,
    );
    const name = nameArg(positionals, TEMPLATE_USAGE);
    const site = await ctx.site();
    const images = await site.maas.listBootResources();
    if (!images.some((r) => imageMatches(r.name, values.image))) {
      throw new OperatorError(`MaaS has no boot image ${values.image}`, {
        hint: `MaaS has: ${[...new Set(images.map((r) => r.name))].join(', ')}; import the image in MaaS first`,
      });
    }
    const t = await wb.store.templates.insert({
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
    const t = wb.store.templates.find((x) => x.name === name || x.id === name);
    if (!t) throw new OperatorError(`no template ${name}`, { hint: '`rackpilot template ls`' });
    const user = wb.store.instances.find((i) => i.templateId === t.id);
    if (user)
      throw new OperatorError(`template ${name} is used by instance ${user.name}`, {
        hint: 'destroy the instance first',
      });
    await wb.store.templates.remove(t.id);
    println(ctx.io, `template ${name} deleted (the MaaS image is untouched)`);
    return 0;
  }
  if (sub === 'ls') {
    const rows = wb.store.templates.list();
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

export const OFFERING_USAGE = `rackpilot offering add NAME --cores N --mhz N --memory MB [--json]
       rackpilot offering rm NAME
       rackpilot offering ls [--json]`;

/** Offerings are the host dimensions the planner matches (the seed's BareMetalPlanner). */
export async function offeringCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  const wb = await ctx.workbench();
  if (sub === 'add') {
    const { values, positionals } = parseCommandArgs(
      rest,
      {
        cores: { type: 'string' },
        mhz: { type: 'string' },
        memory: { type: 'string' },
        json: { type: 'boolean' },
      },
      z.object({
        cores: intFlag(1, 4096),
        mhz: intFlag(1, 100_000),
        memory: intFlag(1, 1 << 24),
        json: z.boolean().optional(),
      }),
      OFFERING_USAGE,
    );
    const name = nameArg(positionals, OFFERING_USAGE);
    const o = await wb.store.offerings.insert({
      name,
      cpuCores: values.cores,
      cpuMhz: values.mhz,
      memoryMb: values.memory,
    });
    if (values.json) printJson(ctx.io, o);
    else println(ctx.io, `offering ${name}: ${o.cpuCores} cores × ${o.cpuMhz} MHz, ${o.memoryMb} MB`);
    return 0;
  }
  if (sub === 'rm') {
    const name = nameArg(rest, OFFERING_USAGE);
    const o = wb.store.offerings.find((x) => x.name === name || x.id === name);
    if (!o) throw new OperatorError(`no offering ${name}`, { hint: '`rackpilot offering ls`' });
    const user = wb.store.instances.find((i) => i.offeringId === o.id);
    if (user)
      throw new OperatorError(`offering ${name} is used by instance ${user.name}`, {
        hint: 'destroy the instance first',
      });
    await wb.store.offerings.remove(o.id);
    println(ctx.io, `offering ${name} deleted`);
    return 0;
  }
  if (sub === 'ls') {
    const rows = wb.store.offerings.list();
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

export const NETWORK_USAGE = `rackpilot network add NAME --vlan N [--description TEXT] [--json]
       rackpilot network rm NAME
       rackpilot network ls [--json]     (also lists each switch's PXE VLAN)`;

/** Tenant networks are VLANs; the PXE VLAN is per switch, in the rack file. */
export async function networkCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  const wb = await ctx.workbench();
  if (sub === 'add') {
    const { values, positionals } = parseCommandArgs(
      rest,
      { vlan: { type: 'string' }, description: { type: 'string' }, json: { type: 'boolean' } },
      z.object({
        vlan: intFlag(1, 4094),
        description: z.string().max(200).optional(),
        json: z.boolean().optional(),
      }),
      NETWORK_USAGE,
    );
    const name = nameArg(positionals, NETWORK_USAGE);
    const site = await ctx.site();
    const pxe = site.topology.switches().filter((s) => s.pxeVlan === values.vlan);
    if (pxe.length) {
      throw new OperatorError(`VLAN ${values.vlan} is the PXE VLAN of ${pxe.map((s) => s.name).join(', ')}`, {
        hint: "a tenant network on MaaS's PXE VLAN would put instances on the provisioning network",
      });
    }
    const n = await wb.store.networks.insert({
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
    const n = wb.store.networks.find((x) => x.name === name || x.id === name);
    if (!n) throw new OperatorError(`no network ${name}`, { hint: '`rackpilot network ls`' });
    const user = wb.store.instances.find((i) => i.networkIds.includes(n.id));
    if (user)
      throw new OperatorError(`network ${name} is used by instance ${user.name}`, {
        hint: `detach it first: \`rackpilot detach ${user.name} ${name}\``,
      });
    await wb.store.networks.remove(n.id);
    println(ctx.io, `network ${name} deleted`);
    return 0;
  }
  if (sub === 'ls') {
    const rows = wb.store.networks.list();
    const site = await ctx.site();
    if (rest.includes('--json')) {
      printJson(ctx.io, {
        networks: rows,
        pxeVlans: site.topology.switches().map((s) => ({ switch: s.name, pxeVlan: s.pxeVlan ?? null })),
      });
      return 0;
    }
    println(
      ctx.io,
      formatTable(
        ['NAME', 'VLAN', 'DESCRIPTION'],
        rows.map((n) => [n.name, String(n.vlan), n.description ?? '']),
      ),
    );
    println(ctx.io, '');
    println(
      ctx.io,
      formatTable(
        ['SWITCH', 'PXE VLAN'],
        site.topology.switches().map((s) => [s.name, s.pxeVlan === undefined ? '-' : String(s.pxeVlan)]),
      ),
    );
    return 0;
  }
  throw new UsageError(`unknown network subcommand ${JSON.stringify(sub ?? '')}`, {
    hint: `usage: ${NETWORK_USAGE}`,
  });
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
