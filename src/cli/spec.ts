import type { ParseArgsConfig } from 'node:util';
import type { CommandContext } from './context.ts';

/**
 * The shape of one entry of the command registry (registry.ts): everything the help, the usage
 * text, the argument checks, the man page and the shell completions say about a command comes
 * from here, so they cannot disagree with each other.
 */

/** Where the shell completion finds the values of an argument or a flag. */
export type ValueKind =
  'host' | 'task' | 'instance' | 'offering' | 'template' | 'network' | 'rack' | 'switch' | 'file';

export interface FlagSpec {
  name: string;
  type: 'string' | 'boolean';
  short?: string;
  /** Given more than once (string flags): --network A --network B. */
  multiple?: boolean;
  required?: boolean;
  /** The value's name in usage lines, e.g. FILE. */
  value?: string;
  description: string;
  choices?: readonly string[];
  complete?: ValueKind;
}

export interface ArgSpec {
  name: string;
  description: string;
  optional?: boolean;
  /** Takes every remaining word (switch plan's PORT OP [VLAN]…). */
  variadic?: boolean;
  choices?: readonly string[];
  complete?: ValueKind;
}

export interface Example {
  command: string;
  says: string;
}

export interface CommandSpec {
  name: string;
  /** One line, for lists. */
  summary: string;
  /** More, for the command's own help and the man page. */
  description?: string;
  /** Words before the subcommand's word (`ipmi HOST power on`: HOST). */
  lead?: ArgSpec[];
  args?: ArgSpec[];
  flags?: FlagSpec[];
  subcommands?: CommandSpec[];
  examples?: Example[];
  /** Left out of lists, the man page and the completions (the runner's own `runner serve`). */
  hidden?: boolean;
  /** Runs the command with every word after the top-level command's name; loaded lazily. */
  run?: (argv: string[], ctx: CommandContext) => Promise<number>;
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', description: 'this help, for any command or subcommand' },
  {
    name: 'read-only',
    type: 'boolean',
    description: 'this client only looks: the runner refuses its changes (also RACKPILOT_READ_ONLY=1)',
  },
];

/** node:util parseArgs options for a list of flags. */
export function parseOptions(flags: readonly FlagSpec[]): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    flags.map((f) => [
      f.name,
      { type: f.type, ...(f.short && { short: f.short }), ...(f.multiple && { multiple: true }) },
    ]),
  );
}

export function visible(specs: readonly CommandSpec[] | undefined): CommandSpec[] {
  return (specs ?? []).filter((s) => !s.hidden);
}

/** Every command and subcommand, depth first, with its path of names. */
export function* walk(
  specs: readonly CommandSpec[],
  parents: readonly CommandSpec[] = [],
): Generator<CommandSpec[]> {
  for (const s of visible(specs)) {
    const path = [...parents, s];
    yield path;
    if (s.subcommands) yield* walk(s.subcommands, path);
  }
}

/** The flags a command on this path accepts (a subcommand's own, else its command's). */
export function flagsOf(path: readonly CommandSpec[]): FlagSpec[] {
  const leaf = path[path.length - 1];
  return [...(leaf?.flags ?? []), ...GLOBAL_FLAGS];
}
