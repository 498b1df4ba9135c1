import { COMMANDS } from './registry.ts';
import {
  flagsOf,
  GLOBAL_FLAGS,
  parseOptions,
  visible,
  type ArgSpec,
  type CommandSpec,
  type FlagSpec,
} from './spec.ts';

/** Usage lines, help pages and the top-level usage text, all written from the registry. */

export const FOOTER = `Every task runs in the site's runner, a background process the first command starts: closing the
terminal does not stop a task (Ctrl-C detaches; \`rackpilot task follow ID\` watches it again).
Settings come from the environment or .env (see .env.example). Secrets never go on the command line.`;

function argText(a: ArgSpec): string {
  const word = a.variadic ? `${a.name}…` : a.name;
  return a.optional ? `[${word}]` : word;
}

function flagText(f: FlagSpec): string {
  const word = f.type === 'string' ? `--${f.name} ${f.value ?? 'VALUE'}` : `--${f.name}`;
  if (f.multiple) return f.required ? `${word} [${word} …]` : `[${word} …]`;
  return f.required ? word : `[${word}]`;
}

/** `rackpilot ipmi HOST power ACTION [--force] …`: one line for one command or subcommand. */
export function usageLine(path: readonly CommandSpec[]): string {
  const words = ['rackpilot'];
  for (const s of path) words.push(s.name, ...(s.lead ?? []).map(argText));
  const leaf = path[path.length - 1]!;
  words.push(...(leaf.args ?? []).map(argText), ...(leaf.flags ?? []).map(flagText));
  if (leaf.subcommands && !leaf.args && !leaf.flags) words.push('SUBCOMMAND');
  return words.join(' ');
}

/** The usage lines of a command: its own, or one for each of its subcommands. */
export function usageLines(path: readonly CommandSpec[]): string[] {
  const leaf = path[path.length - 1]!;
  const subs = visible(leaf.subcommands);
  const own = !subs.length || leaf.flags || leaf.args ? [usageLine(path)] : [];
  return [...own, ...subs.flatMap((s) => usageLines([...path, s]))];
}

/** A command's path from its words, e.g. "task follow"; throws on a name the registry lacks. */
export function specPath(words: string, commands: readonly CommandSpec[] = COMMANDS): CommandSpec[] {
  const path: CommandSpec[] = [];
  let level = commands;
  for (const w of words.split(' ')) {
    const s = level.find((c) => c.name === w);
    if (!s) throw new Error(`no command "${words}" in the registry`);
    path.push(s);
    level = s.subcommands ?? [];
  }
  return path;
}

/** A command's flags as node:util parseArgs options: the types come from the registry. */
export function flagOptions(words: string) {
  return parseOptions(specPath(words).at(-1)!.flags ?? []);
}

/** Usage text for an error hint: "usage: a\n       b". */
export function usageOf(words: string): string {
  return usageLines(specPath(words)).join('\n       ');
}

function table(rows: [string, string][], indent = '  '): string[] {
  const width = Math.min(28, Math.max(...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) =>
    a.length > width
      ? `${indent}${a}\n${indent}${' '.repeat(width + 2)}${b}`
      : `${indent}${a.padEnd(width + 2)}${b}`,
  );
}

const note = (words: (string | false | undefined)[]) => {
  const kept = words.filter(Boolean);
  return kept.length ? ` (${kept.join(', ')})` : '';
};

export function flagRows(flags: readonly FlagSpec[]): [string, string][] {
  return flags.map((f) => [
    `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`,
    f.description + note([f.required && 'required', f.multiple && 'repeatable']),
  ]);
}

/** `rackpilot help task follow`, `rackpilot task follow --help`. */
export function helpText(path: readonly CommandSpec[]): string {
  const leaf = path[path.length - 1]!;
  const name = ['rackpilot', ...path.map((s) => s.name)].join(' ');
  const out = [`${name} — ${leaf.summary}`, ''];
  const lines = usageLines(path);
  out.push(`usage: ${lines.join('\n       ')}`);
  if (leaf.description) out.push('', leaf.description);
  const args = [...path.flatMap((s) => s.lead ?? []), ...(leaf.args ?? [])];
  if (args.length) out.push('', 'arguments:', ...table(args.map((a) => [a.name, a.description])));
  const subs = visible(leaf.subcommands);
  if (subs.length) out.push('', 'subcommands:', ...table(subs.map((s) => [s.name, s.summary])));
  out.push('', 'flags:', ...table(flagRows(flagsOf(path))));
  const examples = leaf.examples ?? subs.flatMap((s) => s.examples?.slice(0, 1) ?? []);
  if (examples.length)
    out.push('', 'examples:', ...examples.flatMap((e) => [`  ${e.command}`, `      ${e.says}`]));
  if (subs.length) out.push('', `\`${name} SUBCOMMAND --help\` for a subcommand's flags and examples.`);
  return out.join('\n');
}

/** `rackpilot --help`: every command with what it does. */
export function mainHelp(commands: readonly CommandSpec[] = COMMANDS): string {
  return [
    'rackpilot — provision and troubleshoot baremetal through MaaS, ToR switches and IPMI',
    '',
    'usage: rackpilot [--read-only]           the dashboard (the lab when no MaaS is configured)',
    '       rackpilot COMMAND [ARGS] [FLAGS]',
    '       rackpilot --version',
    '',
    'commands:',
    ...table(visible(commands).map((c) => [c.name, c.summary])),
    '',
    'flags of every command:',
    ...table([...flagRows(GLOBAL_FLAGS), ['-V, --version', 'version, commit and build date']]),
    '',
    '`rackpilot help COMMAND` or `rackpilot COMMAND --help`: its usage, flags and examples.',
    '',
    FOOTER,
  ].join('\n');
}
