import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { missingPasswordEnv } from '../config/rack/passwords.ts';
import { loadRackFile } from '../config/rack/parse.ts';
import { quote } from '../config/rack/quote.ts';
import { Topology } from '../config/rack/topology.ts';
import { multicastMacWarning } from '../config/rack/mac.ts';
import { describeError } from '../util/errors.ts';
import { eprintln, parseCommandArgs, printJson, println, UsageError, type CommandIo } from './io.ts';
import { RACK_USAGE } from './usage.ts';

/**
 * `rackpilot rack validate FILE [--json]`: check a rack file before rackpilot touches a switch.
 * Exit 0 valid, 1 invalid, 2 wrong usage. Errors go to stdout one per line (`path: message`),
 * so a script can read them; the one-line verdict goes to stderr.
 */

const flagsSchema = z.strictObject({ json: z.boolean().optional(), help: z.boolean().optional() });

const subcommandSchema = z.literal('validate', {
  error: (iss) => `unknown subcommand ${quote(iss.input)} (known: validate)`,
});
const positionalSchema = z.tuple([subcommandSchema, z.string().min(1, { error: 'FILE is empty' })]);

function parseArgs(argv: readonly string[]): { file: string; json: boolean; help: boolean } {
  const { values, positionals } = parseCommandArgs(
    argv,
    { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    flagsSchema,
    RACK_USAGE,
  );
  if (values.help) return { file: '', json: false, help: true };
  if (positionals.length === 0)
    throw new UsageError('which subcommand? (known: validate)', { hint: `usage: ${RACK_USAGE}` });
  const usage = { hint: `usage: ${RACK_USAGE}` };
  const sub = subcommandSchema.safeParse(positionals[0]);
  if (!sub.success) throw new UsageError(sub.error.issues[0]!.message, usage);
  if (positionals.length === 1) throw new UsageError('FILE is missing', usage);
  if (positionals.length > 2) throw new UsageError(`unexpected argument ${quote(positionals[2])}`, usage);
  const r = positionalSchema.safeParse(positionals);
  if (!r.success) throw new UsageError(r.error.issues[0]!.message, usage);
  return { file: r.data[1], json: values.json ?? false, help: false };
}

export type { CommandIo };

export async function rackCommand(
  argv: readonly string[],
  io: CommandIo,
  opts: { env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<number> {
  const out = (s: string) => println(io, s);
  const err = (s: string) => eprintln(io, s);
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv);
  } catch (e) {
    eprintln(io, `rackpilot rack: ${describeError(e)}`);
    return 2;
  }
  if (args.help) {
    out(`usage: ${RACK_USAGE}`);
    out("  Checks a rack file (the seed's rack.conf JSON, with rackpilot's optional fields) and prints");
    out('  a summary, or every problem as "path: message". Exit 0 valid, 1 invalid, 2 wrong usage.');
    return 0;
  }
  const { file, json } = args;
  const result = await loadRackFile(file);

  if (!result.ok) {
    if (json) printJson(io, { ok: false, file, errors: result.errors });
    else {
      for (const e of result.errors) out(`${e.path}: ${e.message}`);
      const n = result.errors.length;
      err(`${file}: ${n} problem${n === 1 ? '' : 's'}, rack file refused`);
    }
    return 1;
  }

  const topo = new Topology(result.rack);
  const summary = topo.summary();
  const warnings = [
    ...missingPasswordEnv(result.rack, opts.env ?? process.env),
    ...result.rack.nics.flatMap((n) => {
      const w = multicastMacWarning(n.mac);
      return w ? [{ path: `${n.path}.mac`, message: w }] : [];
    }),
  ];
  const inline =
    result.rack.switches.some((s) => s.password !== undefined) ||
    result.rack.nics.some((n) => n.bmc?.password);
  if (inline && ((await stat(file)).mode & 0o077) !== 0) {
    warnings.push({
      path: '$',
      message: `the file holds passwords and other users can read it: chmod 600 ${file}, or name variables with "passwordEnv"`,
    });
  }
  const switches = result.rack.switches.map((s) => ({
    name: s.name,
    type: s.type,
    dialect: s.dialect,
    address: s.ip,
    sshPort: s.sshPort,
    nics: topo.nicsOnSwitch(s.name).length,
    ...(s.pxeVlan !== undefined && { pxeVlan: s.pxeVlan }),
    hostKeyPinned: s.hostKey !== undefined,
  }));
  if (json) {
    printJson(io, { ok: true, file, summary, switches, warnings });
    return 0;
  }
  const unnamed = summary.unnamedNics ? ` (${summary.unnamedNics} without hostname)` : '';
  out(`${file}: valid`);
  out(
    `  racks ${summary.racks} · switches ${summary.switches} · hosts ${summary.hosts}${unnamed} · NICs ${summary.nics} · bondable hosts ${summary.bondableHosts}`,
  );
  for (const s of switches) {
    const pxe = s.pxeVlan === undefined ? '' : ` · PXE VLAN ${s.pxeVlan}`;
    out(
      `  ${s.name}  ${s.type} at ${s.address}:${s.sshPort} · ${s.nics} NICs${pxe}${s.hostKeyPinned ? ' · host key pinned' : ''}`,
    );
  }
  for (const w of warnings) err(`warning: ${w.path}: ${w.message}`);
  return 0;
}
