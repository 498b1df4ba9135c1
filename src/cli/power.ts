/**
 * `rackpilot power HOST status|on|off|soft|cycle [--force] [--detach] [--json]`
 * `rackpilot boot HOST pxe|disk [--persistent] [--efi|--legacy] [--force] [--detach] [--json]`
 *
 * The same on IPMI and Redfish hosts: reads are answered by the runner (it holds the BMC
 * credentials, from the store or the rack file), changes are tasks holding the host, as every
 * change is. `rackpilot ipmi …` stays the IPMI-specific tool (raw reads, Get Device ID).
 */
import { z } from 'zod';
import { bootDeviceLabel } from '../gear/ipmi/commands.ts';
import type { CommandContext } from './context.ts';
import { followOrDetach, startTask } from './follow.ts';
import { parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { BOOT_USAGE, POWER_USAGE } from './usage.ts';
import { describeBmcOrigin } from '../protocol/messages.ts';
import { confirmAction } from './confirm.ts';

/** Host names: letters, digits, dot, dash, underscore; nothing a shell or a BMC would read. */
const hostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'not a host name');
const POWER_WORDS = ['status', 'on', 'off', 'soft', 'cycle'] as const;
const BOOT_WORDS = ['pxe', 'disk'] as const;

const common = {
  force: { type: 'boolean' },
  detach: { type: 'boolean' },
  json: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  confirm: { type: 'string' },
} as const;
const commonSchema = {
  force: z.boolean().optional(),
  detach: z.boolean().optional(),
  json: z.boolean().optional(),
  yes: z.boolean().optional(),
  confirm: z.string().min(1).max(253).optional(),
};

function positionals<W extends readonly string[]>(
  args: string[],
  words: W,
  usage: string,
): { host: string; word: W[number] } {
  const [host, word, extra] = args;
  if (extra !== undefined)
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`, { hint: `usage: ${usage}` });
  const h = hostName.safeParse(host ?? '');
  if (!h.success)
    throw new UsageError(host ? `${JSON.stringify(host)} is not a host name` : 'which host?', {
      hint: `usage: ${usage}`,
    });
  if (!word || !(words as readonly string[]).includes(word)) {
    throw new UsageError(
      word ? `${JSON.stringify(word)} is not one of ${words.join(', ')}` : `what? (${words.join(', ')})`,
      {
        hint: `usage: ${usage}`,
      },
    );
  }
  return { host: h.data, word: word as W[number] };
}

export async function powerCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals: args } = parseCommandArgs(argv, common, z.object(commonSchema), POWER_USAGE);
  const { host, word } = positionals(args, POWER_WORDS, POWER_USAGE);
  const runner = await ctx.runner();
  if (word === 'status') {
    if (values.force || values.detach || values.yes || values.confirm !== undefined)
      throw new UsageError('--force, --detach, --yes and --confirm apply to changes only', {
        hint: `usage: ${POWER_USAGE}`,
      });
    const [p, b] = await Promise.all([
      runner.call('host.bmcRead', { host, read: 'power' }),
      runner.call('host.bmcRead', { host, read: 'bootdev' }),
    ]);
    const power = p.read === 'power' ? p.power : undefined;
    const boot = b.read === 'bootdev' ? b : undefined;
    const origin = p.origin ?? b.origin;
    if (values.json) {
      printJson(ctx.io, {
        host,
        ...(origin && { bmc: { address: origin.label, source: origin.source ?? null } }),
        power,
        ...(boot && {
          boot: { device: boot.device, valid: boot.valid, persistent: boot.persistent, efi: boot.efi },
        }),
      });
    } else {
      const bootText = !boot
        ? ''
        : boot.valid
          ? `, boot override ${bootDeviceLabel(boot.device)} (${boot.persistent ? 'persistent' : 'next boot only'}, ${boot.efi ? 'EFI' : 'legacy'})`
          : ', no boot override (BIOS order)';
      println(ctx.io, `${host}: power ${power}${bootText}`);
      if (origin) println(ctx.io, `  BMC ${describeBmcOrigin(origin)}`);
    }
    return 0;
  }
  const plan = await confirmAction(ctx.io, runner, { action: 'power', host, op: word }, values);
  const { task } = await startTask(runner, values.detach, (follow) =>
    runner.call('host.power', { host, action: word, force: values.force ?? false, plan, ...follow }),
  );
  const taskId = task.id;
  const code = await followOrDetach(runner, task, ctx.io, { json: values.json, detach: values.detach });
  if (code === 0 && !values.json && !values.detach)
    println(ctx.io, `${host}: power ${word} done (task ${taskId})`);
  return code;
}

export async function bootCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals: args } = parseCommandArgs(
    argv,
    { ...common, persistent: { type: 'boolean' }, efi: { type: 'boolean' }, legacy: { type: 'boolean' } },
    z.object({
      ...commonSchema,
      persistent: z.boolean().optional(),
      efi: z.boolean().optional(),
      legacy: z.boolean().optional(),
    }),
    BOOT_USAGE,
  );
  const { host, word } = positionals(args, BOOT_WORDS, BOOT_USAGE);
  if (values.efi && values.legacy)
    throw new UsageError('--efi or --legacy, not both', { hint: `usage: ${BOOT_USAGE}` });
  // Neither: the rack file's bootMethod, else MaaS's bios_boot_method for the machine.
  const efi = values.efi ? true : values.legacy ? false : undefined;
  const runner = await ctx.runner();
  const change = {
    host,
    device: word,
    persistent: values.persistent ?? false,
    ...(efi !== undefined && { efi }),
  };
  const plan = await confirmAction(ctx.io, runner, { action: 'bootdev', ...change }, values);
  const { task } = await startTask(runner, values.detach, (follow) =>
    runner.call('host.bootdev', { ...change, force: values.force ?? false, plan, ...follow }),
  );
  const taskId = task.id;
  const code = await followOrDetach(runner, task, ctx.io, { json: values.json, detach: values.detach });
  if (code === 0 && !values.json && !values.detach)
    println(
      ctx.io,
      `${host}: boot device ${word}${values.persistent ? ', persistent' : ', next boot only'} done (task ${taskId})`,
    );
  return code;
}
