/**
 * `rackpilot switch show SWITCH [PORT] [--json]`   VLAN table, or one port's membership
 * `rackpilot switch mac SWITCH MAC [--json]`       which port the switch learned a MAC on
 * `rackpilot switch plan SWITCH PORT OP [VLAN] [PORT OP [VLAN]]… [--live] [--json]`
 *     the exact CLI lines a change would send (OP: access, tag-add, tag-remove, reset);
 *     nothing is sent. Ports are assumed on the PXE VLAN unless --live reads them first.
 * The switches and every read of them come from the reader (the runner's, which logs in with the
 * rack file's credentials: they never reach this process); a plan is made here, from the switch's
 * description, and sends nothing. Credentials are never taken from argv.
 */
import { planScript } from '../gear/switch/changes.ts';
import { compressPortNumbers, formatVlanList } from '../gear/switch/ranges.ts';
import type { PortChange, PortVlans } from '../gear/switch/target.ts';
import type { SwitchInfo } from '../protocol/switch-reads.ts';
import type { Result } from '../protocol/messages.ts';
import type { RunnerClient } from '../client/runner-client.ts';
import { describeError } from '../util/errors.ts';
import { eprintln, printJson, println, processIo, type CommandIo } from './io.ts';
import { SWITCH_USAGE } from './usage.ts';

/** The switches of the site and the reads `rackpilot switch` makes of them. */
export interface SwitchReader {
  list(): Promise<SwitchInfo[]>;
  showPort(name: string, port: string): Promise<Result<'switch.port'>>;
  showVlans(name: string): Promise<Result<'switch.vlans'>['vlans']>;
  findMac(name: string, mac: string): Promise<Result<'switch.mac'>['entry']>;
}

export interface SwitchCommandContext {
  reader: SwitchReader;
  io?: CommandIo;
}

const OPS: Record<string, PortChange['op']> = {
  access: 'access',
  'tag-add': 'tagAdd',
  'tag-remove': 'tagRemove',
  reset: 'resetPxe',
};

class Usage extends Error {}

function parseChanges(words: string[]): PortChange[] {
  const out: PortChange[] = [];
  for (let i = 0; i < words.length;) {
    const port = words[i++]!;
    const opWord = words[i++];
    const op = opWord === undefined ? undefined : OPS[opWord];
    if (!op)
      throw new Usage(
        `expected an operation after port ${JSON.stringify(port)}: access, tag-add, tag-remove or reset`,
      );
    if (op === 'resetPxe') {
      out.push({ port, op });
      continue;
    }
    const v = words[i++];
    if (v === undefined || !/^\d{1,4}$/.test(v))
      throw new Usage(`${opWord} needs a VLAN id (1-4094), got ${JSON.stringify(v ?? '')}`);
    out.push({ port, op, vlan: Number(v) });
  }
  if (out.length === 0) throw new Usage('plan needs at least one PORT OP [VLAN]');
  return out;
}

function describeVlans(p: PortVlans): string {
  const tagged = p.tagged.length ? formatVlanList(p.tagged) : 'none';
  return `untagged ${p.untagged ?? 'none'}, tagged ${tagged}`;
}

export async function switchCommand(argv: string[], ctx: SwitchCommandContext): Promise<number> {
  const io = ctx.io ?? processIo;
  const json = argv.includes('--json');
  const live = argv.includes('--live');
  const bad = argv.find((a) => a.startsWith('-') && a !== '--json' && a !== '--live');
  const words = argv.filter((a) => !a.startsWith('-'));
  const [verb, name, ...rest] = words;
  const usage = (msg: string) => {
    eprintln(io, `rackpilot switch: ${msg}\n${SWITCH_USAGE}`);
    return 2;
  };
  if (bad) {
    return usage(
      /pass|^-p$/i.test(bad)
        ? 'passwords are never taken from the command line: use the rack file passwordEnv variable'
        : `unknown option ${bad}`,
    );
  }
  if (verb === undefined || !['show', 'plan', 'mac'].includes(verb))
    return usage(`unknown command ${verb ?? '(none)'}`);
  if (name === undefined) return usage('which switch?');
  if (live && verb !== 'plan') return usage('--live applies to plan only');

  try {
    const known = await ctx.reader.list();
    const target = known.find((t) => t.name === name);
    if (!target) {
      const names = known.map((t) => t.name).join(', ') || 'none';
      eprintln(io, `rackpilot switch: no switch ${name} in the rack file (known: ${names})`);
      return 1;
    }
    if ('invalid' in target) {
      eprintln(io, `rackpilot switch: switch ${name} in the rack file is invalid: ${target.invalid}`);
      return 1;
    }
    const reader = ctx.reader;
    if (verb === 'show') {
      if (rest.length > 1) return usage(`unexpected argument ${rest[1]}`);
      const port = rest[0];
      if (port !== undefined) {
        const view = await reader.showPort(target.name, port);
        if (json) printJson(io, { switch: target.name, ...view });
        else {
          const mode = view.layer2 ? describeVlans(view) : 'routed port (not Layer-2)';
          println(io, `${target.name} port ${port} (${view.iface}): ${mode}`);
        }
        return 0;
      }
      const vlans = await reader.showVlans(target.name);
      if (json) {
        printJson(io, { switch: target.name, vlans });
        return 0;
      }
      println(io, `${target.name}  (PXE VLAN ${target.pxeVlan})`);
      println(io, `${'VLAN'.padEnd(6)}${'NAME'.padEnd(18)}${'STATUS'.padEnd(10)}PORTS`);
      for (const v of vlans) {
        const group = (mode: string) =>
          compressPortNumbers(v.ports.filter((p) => p.mode === mode).map((p) => p.port));
        const parts = [
          ...group('untagged').map((g) => `U ${g}`),
          ...group('tagged').map((g) => `T ${g}`),
          ...group('member').map((g) => g),
        ];
        println(
          io,
          `${String(v.id).padEnd(6)}${v.name.slice(0, 17).padEnd(18)}${v.status.slice(0, 9).padEnd(10)}${parts.join(' ')}`,
        );
      }
      return 0;
    }

    if (verb === 'mac') {
      if (rest.length !== 1) return usage('mac needs exactly one MAC address');
      const entry = await reader.findMac(target.name, rest[0]!);
      if (json) printJson(io, { switch: target.name, mac: rest[0], entry });
      else if (entry)
        println(io, `${entry.mac} is on ${target.name} port ${entry.port} (VLAN ${entry.vlan})`);
      else println(io, `${rest[0]} is not in the MAC address table of ${target.name}`);
      return entry ? 0 : 1;
    }

    let changes: PortChange[];
    try {
      changes = parseChanges(rest);
    } catch (e) {
      if (e instanceof Usage) return usage(e.message);
      throw e;
    }
    const current: Record<string, PortVlans> = {};
    if (live) {
      for (const port of new Set(changes.map((c) => c.port))) {
        const v = await reader.showPort(target.name, port);
        current[port] = { untagged: v.untagged, tagged: v.tagged };
      }
    }
    const lines = planScript(target, changes, current);
    if (json) {
      printJson(io, {
        switch: target.name,
        dialect: target.dialect,
        assumed: live ? 'live' : 'pxe',
        changes,
        lines,
      });
    } else {
      eprintln(
        io,
        `# ${target.name} (${target.dialect}): ${lines.length ? 'lines a change would send' : 'nothing to change'}; ` +
          (live
            ? 'from the ports as the switch reports them now'
            : `assuming the ports are on PXE VLAN ${target.pxeVlan}`) +
          '. Nothing was sent.',
      );
      for (const l of lines) println(io, l);
    }
    return 0;
  } catch (e) {
    eprintln(io, `rackpilot switch: ${describeError(e)}`);
    return 1;
  }
}

/**
 * The runner's reads: each switch through its one session, queue and step lock in the runner (a
 * read waits for a task's switch step rather than logging in beside it). The command's wait line
 * and its RACKPILOT_SWITCH_TIMEOUT deadline hang on the runner client (CommandContext.observe).
 */
export function runnerSwitchReader(runner: () => Promise<RunnerClient>): SwitchReader {
  return {
    list: async () => (await (await runner()).call('switch.list', {})).switches,
    showPort: async (name, port) => (await runner()).call('switch.port', { switch: name, port }),
    showVlans: async (name) => (await (await runner()).call('switch.vlans', { switch: name })).vlans,
    findMac: async (name, mac) => (await (await runner()).call('switch.mac', { switch: name, mac })).entry,
  };
}
