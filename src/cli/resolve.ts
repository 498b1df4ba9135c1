import { parseArgs } from 'node:util';
import { UsageError } from './io.ts';
import { COMMANDS } from './registry.ts';
import { flagsOf, parseOptions, visible, type CommandSpec, type FlagSpec } from './spec.ts';
import { didYouMean } from './suggest.ts';

/**
 * A command line read against the registry: which command and subcommand it names, and whether
 * its flags and arguments are ones that command takes. Everything wrong is a UsageError naming
 * the word and, when one is close, the word meant.
 */
export interface ResolvedCommand {
  path: CommandSpec[];
  /** The words after the top-level command's name. */
  argv: string[];
  /** --help or -h was on the line. */
  help: boolean;
}

const hint = (path: readonly CommandSpec[]) => `rackpilot help ${path.map((s) => s.name).join(' ')}`.trim();

/** Every flag of a command and of its subcommands: to tell a flag's value from an argument. */
export function allFlags(spec: CommandSpec): FlagSpec[] {
  return [...(spec.flags ?? []), ...(spec.subcommands ?? []).flatMap(allFlags)];
}

/** The words of a command line that are not flags or flag values, and the flags no command knows. */
export function positionals(
  argv: readonly string[],
  flags: readonly FlagSpec[],
): { words: string[]; unknown: string[] } {
  const known = dedupe(flags);
  const { tokens } = parseArgs({
    args: [...argv],
    options: parseOptions(known),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  return {
    words: tokens.flatMap((t) => (t.kind === 'positional' ? [t.value] : [])),
    unknown: tokens.flatMap((t) =>
      t.kind === 'option' && !known.some((f) => f.name === t.name) ? [t.rawName] : [],
    ),
  };
}

function dedupe(flags: readonly FlagSpec[]): FlagSpec[] {
  const seen = new Map<string, FlagSpec>();
  for (const f of flags) seen.set(f.name, f);
  return [...seen.values()];
}

export function findCommand(name: string, commands: readonly CommandSpec[] = COMMANDS): CommandSpec {
  const spec = commands.find((c) => c.name === name);
  if (spec) return spec;
  throw new UsageError(
    `unknown command ${JSON.stringify(name)}${didYouMean(
      name,
      visible(commands).map((c) => c.name),
    )}`,
    { hint: 'rackpilot help lists every command' },
  );
}

/** `rackpilot help task follow`: a path by its names alone (no arguments between them). */
export function pathByNames(
  names: readonly string[],
  commands: readonly CommandSpec[] = COMMANDS,
): CommandSpec[] {
  const path = [findCommand(names[0]!, commands)];
  for (const word of names.slice(1)) {
    const spec = path[path.length - 1]!;
    const sub = spec.subcommands?.find((s) => s.name === word);
    if (!sub) {
      const known = visible(spec.subcommands).map((s) => s.name);
      throw new UsageError(
        `${path.map((s) => s.name).join(' ')} has no subcommand ${JSON.stringify(word)}${didYouMean(word, known)}`,
        { hint: hint(path) },
      );
    }
    path.push(sub);
  }
  return path;
}

/** The command and subcommands the words name; on an unknown one, a UsageError. */
export function resolvePath(argv: readonly string[], commands: readonly CommandSpec[] = COMMANDS) {
  const [name, ...rest] = argv;
  const path = [findCommand(name!, commands)];
  let used = 0;
  for (;;) {
    const spec = path[path.length - 1]!;
    if (!spec.subcommands) break;
    const { words, unknown } = positionals(rest, [...allFlags(spec), ...flagsOf(path)]);
    const at = used + (spec.lead?.length ?? 0);
    const word = words[at];
    if (word === undefined) break;
    const sub = spec.subcommands.find((s) => s.name === word);
    // `tasks --limit x`: the flag is what is wrong, not x.
    if (!sub && unknown.length) {
      const names = [...allFlags(spec), ...flagsOf(path)].map((f) => `--${f.name}`);
      throw new UsageError(`no flag ${unknown[0]}${didYouMean(unknown[0]!, names)}`, { hint: hint(path) });
    }
    if (!sub) {
      const names = visible(spec.subcommands).map((s) => s.name);
      const label = path.map((s) => s.name).join(' ');
      // `ipmi HOST`: a word before the subcommand's may be a name the operator meant as the subcommand.
      throw new UsageError(
        `unknown ${label} subcommand ${JSON.stringify(word)}${didYouMean(word, names) || ` (known: ${names.join(', ')})`}`,
        { hint: hint(path) },
      );
    }
    path.push(sub);
    used = at + 1;
  }
  return { path, rest, used };
}

/** Reads a command line (without the global --read-only) against the registry. */
export function resolveCommand(
  argv: readonly string[],
  commands: readonly CommandSpec[] = COMMANDS,
): ResolvedCommand {
  const help = argv.includes('--help') || argv.includes('-h');
  const { path, rest } = resolvePath(argv, commands);
  if (help) return { path, argv: rest, help };
  const leaf = path[path.length - 1]!;
  const flags = flagsOf(path);
  let words: string[];
  try {
    words = parseArgs({
      args: rest,
      options: parseOptions(flags),
      allowPositionals: true,
      strict: true,
    }).positionals;
  } catch (err) {
    throw flagError(err, flags, path);
  }
  const expected = [
    ...path.flatMap((s) => [...(s.lead ?? []), ...(s === leaf ? [] : [null])]),
    ...(leaf.args ?? []),
  ];
  const variadic = expected.some((a) => a?.variadic);
  if (!variadic && words.length > expected.length)
    throw new UsageError(`unexpected argument ${JSON.stringify(words[expected.length])}`, {
      hint: hint(path),
    });
  if (leaf.subcommands && !leaf.args && !leaf.flags && words.length === expected.length)
    throw new UsageError(
      `${path.map((s) => s.name).join(' ')} needs a subcommand: ${visible(leaf.subcommands)
        .map((s) => s.name)
        .join(', ')}`,
      { hint: hint(path) },
    );
  expected.forEach((a, i) => {
    const w = words[i];
    if (a?.choices && w !== undefined && !a.choices.includes(w))
      throw new UsageError(
        `${a.name} ${JSON.stringify(w)}: one of ${a.choices.join(', ')}${didYouMean(w, a.choices)}`,
        { hint: hint(path) },
      );
  });
  return { path, argv: rest, help };
}

function flagError(err: unknown, flags: readonly FlagSpec[], path: readonly CommandSpec[]): UsageError {
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  const label = `rackpilot ${path.map((s) => s.name).join(' ')}`;
  const names = flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);
  const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const suggestion = didYouMean(unknown, names);
    const where = path.length > 1 ? ` (${label})` : '';
    return new UsageError(`no flag ${unknown}${where}${suggestion}`, { hint: hint(path) });
  }
  const missing = /Option '(-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message)?.[2];
  if (missing) return new UsageError(`${missing} needs a value`, { hint: hint(path) });
  const noValue = /Option '(--[\w-]+)' does not take an argument/.exec(message)?.[1];
  if (noValue) return new UsageError(`${noValue} takes no value`, { hint: hint(path) });
  return new UsageError(message.replace(/^TypeError \[[A-Z_]+\]: /, ''), { hint: hint(path) });
}
