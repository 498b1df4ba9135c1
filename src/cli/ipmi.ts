/**
 * `rackpilot ipmi HOST power status|on|off|soft|cycle|reset`
 * `rackpilot ipmi HOST bootdev pxe|disk|bios|show [--persistent] [--efi]`
 * `rackpilot ipmi HOST info`
 * with `--json` for scripts. Reads are answered by the reader (the runner's, which holds the BMC
 * passwords and sessions); changes are handed to `change` (a task in the runner). This process
 * never talks to a BMC, and passwords are never taken from argv.
 */
import { z } from 'zod';
import { bootDeviceLabel } from '../gear/ipmi/commands.ts';
import type { Result } from '../protocol/messages.ts';
import { describeError, OperatorError } from '../util/errors.ts';
import { eprintln, printJson, println, processIo, type CommandIo } from './io.ts';
import { IPMI_USAGE } from './usage.ts';

export interface IpmiCommandContext {
  io?: CommandIo;
  /** Power and boot-device changes, run as a task holding the host. Returns the exit code. */
  change: (
    change: IpmiChange,
    opts: { json: boolean; force: boolean; detach: boolean; yes: boolean; confirm?: string | undefined },
  ) => Promise<number>;
  /** The reads (power status, bootdev show, info), answered without the BMC's password. */
  reader: BmcReader;
}

type BmcReadResult<R> = Omit<Extract<Result<'host.bmcRead'>, { read: R }>, 'read'>;

/** The three reads `rackpilot ipmi` offers, as the runner answers them. */
export interface BmcReader {
  power(host: string): Promise<'on' | 'off'>;
  bootdev(host: string): Promise<BmcReadResult<'bootdev'>>;
  /** Get Device ID, every field of it (`--json` prints them all). */
  info(host: string): Promise<BmcReadResult<'info'>>;
}

export type IpmiChange =
  | { host: string; verb: 'power'; action: 'on' | 'off' | 'soft' | 'cycle' | 'reset' }
  | { host: string; verb: 'bootdev'; device: 'pxe' | 'disk' | 'bios'; persistent: boolean; efi: boolean };

/** Host names and rack-file ids: letters, digits, dot, dash, underscore; nothing a shell would read. */
const hostName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'not a valid host name');

const Args = z.discriminatedUnion('verb', [
  z.object({
    host: hostName,
    verb: z.literal('power'),
    action: z.enum(['status', 'on', 'off', 'soft', 'cycle', 'reset']),
  }),
  z.object({
    host: hostName,
    verb: z.literal('bootdev'),
    device: z.enum(['pxe', 'disk', 'bios', 'show']),
    persistent: z.boolean(),
    efi: z.boolean(),
  }),
  z.object({ host: hostName, verb: z.literal('info') }),
]);
type Args = z.infer<typeof Args>;

const SECRET_FLAGS = /^(-P|-E|--pass(word)?(=.*)?|-k)$/;

type Parsed = { args: Args; json: boolean; force: boolean; detach: boolean; yes: boolean; confirm?: string };

/** `--confirm NAME` or `--confirm=NAME` taken out of the words (its value is not an argument). */
function takeConfirm(argv: string[]): { rest: string[]; confirm?: string } | { error: string } {
  const at = argv.findIndex((a) => a === '--confirm' || a.startsWith('--confirm='));
  if (at < 0) return { rest: argv };
  const inline = argv[at]!.startsWith('--confirm=') ? argv[at]!.slice('--confirm='.length) : undefined;
  const value = inline ?? argv[at + 1];
  if (!value || value.startsWith('-')) return { error: '--confirm needs the name the plan asks for' };
  return { rest: [...argv.slice(0, at), ...argv.slice(at + (inline === undefined ? 2 : 1))], confirm: value };
}

function parse(all: string[]): Parsed | { error: string } {
  const taken = takeConfirm(all);
  if ('error' in taken) return taken;
  const argv = taken.rest;
  const flags = new Set(argv.filter((a) => a.startsWith('-')).map((a) => (a === '-y' ? '--yes' : a)));
  const words = argv.filter((a) => !a.startsWith('-'));
  for (const f of flags) {
    if (SECRET_FLAGS.test(f)) {
      return {
        error:
          'passwords are never taken from the command line: store them, or set the rack file passwordEnv variable',
      };
    }
    if (!['--json', '--persistent', '--efi', '--force', '--detach', '--yes'].includes(f))
      return { error: `unknown option ${f}` };
  }
  const [host, verb, sub, ...rest] = words;
  if (rest.length > 0) return { error: `unexpected argument ${rest[0]}` };
  const raw =
    verb === 'bootdev'
      ? { host, verb, device: sub, persistent: flags.has('--persistent'), efi: flags.has('--efi') }
      : verb === 'power'
        ? { host, verb, action: sub }
        : verb === 'info' && sub === undefined
          ? { host, verb }
          : { host, verb: verb ?? '' };
  if (verb !== 'bootdev' && (flags.has('--persistent') || flags.has('--efi'))) {
    return { error: '--persistent and --efi apply to bootdev only' };
  }
  const r = Args.safeParse(raw);
  if (!r.success)
    return {
      error: r.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; '),
    };
  return {
    args: r.data,
    json: flags.has('--json'),
    force: flags.has('--force'),
    detach: flags.has('--detach'),
    yes: flags.has('--yes'),
    ...(taken.confirm !== undefined && { confirm: taken.confirm }),
  };
}

export async function ipmiCommand(argv: string[], ctx: IpmiCommandContext): Promise<number> {
  const io = ctx.io ?? processIo;
  const err = (t: string) => eprintln(io, t);
  const parsed = parse(argv);
  if ('error' in parsed) {
    err(`rackpilot ipmi: ${parsed.error}\n${IPMI_USAGE}`);
    return 2;
  }
  const { args, json } = parsed;
  const { force, detach, yes, confirm } = parsed;
  const flags = { json, force, detach, yes, confirm };
  if (args.verb === 'power' && args.action !== 'status')
    return ctx.change({ host: args.host, verb: 'power', action: args.action }, flags);
  if (args.verb === 'bootdev' && args.device !== 'show')
    return ctx.change({ ...args, device: args.device }, flags);
  const reader = ctx.reader;
  const emit = (obj: Record<string, unknown>, text: string) =>
    json ? printJson(io, obj) : println(io, text);
  try {
    switch (args.verb) {
      case 'power': {
        const power = await reader.power(args.host);
        emit({ host: args.host, power }, `${args.host}: power ${power}`);
        break;
      }
      case 'bootdev': {
        const f = await reader.bootdev(args.host);
        const text =
          `${args.host}: boot device ${bootDeviceLabel(f.device)}${f.valid ? '' : ' (override not set)'}, ` +
          `${f.persistent ? 'persistent' : 'next boot only'}, ${f.efi ? 'EFI' : 'legacy'}`;
        emit(
          { host: args.host, bootDevice: f.device, valid: f.valid, persistent: f.persistent, efi: f.efi },
          text,
        );
        break;
      }
      case 'info': {
        const d = await reader.info(args.host);
        emit(
          { host: args.host, ...d },
          `${args.host}: IPMI ${d.ipmiVersion}, firmware ${d.firmware}, manufacturer ${d.manufacturerId}, product ${d.productId}`,
        );
        break;
      }
    }
    return 0;
  } catch (e) {
    if (json) {
      // The BMC client's kind of failure (timeout, auth…), as the runner passed it on.
      const kind = (e instanceof OperatorError && e.failure) || 'error';
      printJson(io, { host: args.host, error: describeError(e), kind });
    } else err(`rackpilot ipmi: ${describeError(e)}`);
    return 1;
  }
}
