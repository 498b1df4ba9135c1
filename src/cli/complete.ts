import type { CommandContext } from './context.ts';
import { println } from './io.ts';
import { COMMANDS } from './registry.ts';
import { allFlags, positionals, resolvePath } from './resolve.ts';
import { flagsOf, GLOBAL_FLAGS, visible, type CommandSpec, type FlagSpec, type ValueKind } from './spec.ts';

/**
 * `rackpilot __complete WORD…`: what may come next on a command line, for the bash, zsh and fish
 * scripts (completion.ts). The words are every word after `rackpilot`, the last one being the word
 * under the cursor (empty after a space). Commands, subcommands, flags and choices come from the
 * registry; host names, task ids and the like from the site's runner if one runs (never started
 * for a key press, and given a deadline), else from the rack file.
 */

/** The last line when the shell should complete file names instead. */
export const FILES = ':files';

/** Time the runner gets to answer a completion before the rack file is used. */
export const RUNNER_DEADLINE_MS = 1500;

export type ValueSource = (kind: ValueKind) => Promise<string[]>;

export interface Completion {
  candidates: string[];
  files: boolean;
}

const none: Completion = { candidates: [], files: false };

function flagNames(flags: readonly FlagSpec[]): string[] {
  return flags.map((f) => `--${f.name}`);
}

async function valuesOf(
  what: { choices?: readonly string[]; complete?: ValueKind },
  source: ValueSource,
): Promise<Completion> {
  if (what.choices) return { candidates: [...what.choices], files: false };
  if (what.complete === 'file') return { candidates: [], files: true };
  if (what.complete) return { candidates: await source(what.complete), files: false };
  return none;
}

/** What may replace the last word of `words`. Pure but for `source`. */
export async function completions(
  words: readonly string[],
  source: ValueSource,
  commands: readonly CommandSpec[] = COMMANDS,
): Promise<Completion> {
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1);
  const keep = (c: Completion): Completion => ({
    candidates: [...new Set(c.candidates)].filter((w) => w.startsWith(current)).sort(),
    files: c.files,
  });
  if (before.length === 0) {
    if (current.startsWith('-'))
      return keep({ candidates: [...flagNames(GLOBAL_FLAGS), '--version'], files: false });
    return keep({ candidates: visible(commands).map((c) => c.name), files: false });
  }
  let path: CommandSpec[];
  let used: number;
  try {
    ({ path, used } = resolvePath(before, commands));
  } catch {
    return none;
  }
  const leaf = path[path.length - 1]!;
  const flags = flagsOf(path);
  const previous = before[before.length - 1]!;
  const valueOf = [...flags, ...allFlags(path[0]!)].find(
    (f) => f.type === 'string' && (previous === `--${f.name}` || (f.short && previous === `-${f.short}`)),
  );
  if (valueOf && before.length > 1) return keep(await valuesOf(valueOf, source));
  if (current.startsWith('-')) return keep({ candidates: flagNames(flags), files: false });
  if (leaf.name === 'help' && path.length === 1) {
    const named = before.slice(1);
    if (!named.length) return keep({ candidates: visible(commands).map((c) => c.name), files: false });
    try {
      const sub = resolvePath(named, commands).path.at(-1)!;
      return keep({ candidates: visible(sub.subcommands).map((s) => s.name), files: false });
    } catch {
      return none;
    }
  }
  const index = positionals(before.slice(1), [...allFlags(path[0]!), ...GLOBAL_FLAGS]).words.length;
  const at = used + (leaf.lead?.length ?? 0);
  if (leaf.subcommands && index === at)
    return keep({ candidates: visible(leaf.subcommands).map((s) => s.name), files: false });
  const expected = [
    ...path.flatMap((s) => [...(s.lead ?? []), ...(s === leaf ? [] : [null])]),
    ...(leaf.args ?? []),
  ];
  const last = expected[expected.length - 1];
  const arg = expected[index] ?? (last?.variadic ? last : undefined);
  return arg ? keep(await valuesOf(arg, source)) : none;
}

/** Values from the runner when one answers within the deadline, else from the rack file. */
export function siteValues(ctx: CommandContext, deadlineMs = RUNNER_DEADLINE_MS): ValueSource {
  return async (kind) => {
    const fromRunner = await withDeadline(runnerValues(ctx, kind), deadlineMs).catch(() => undefined);
    if (fromRunner?.length) return fromRunner;
    return rackFileValues(ctx, kind).catch(() => []);
  };
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((done) => {
    timer = setTimeout(() => done(undefined), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function runnerValues(ctx: CommandContext, kind: ValueKind): Promise<string[] | undefined> {
  const runner = await ctx.runnerIfRunning();
  if (!runner) return undefined;
  switch (kind) {
    case 'host':
      return (await runner.call('hosts.list', {})).map((h) => h.hostname);
    case 'rack':
      return (await runner.call('hosts.list', {})).flatMap((h) => (h.rack ? [h.rack] : []));
    case 'task':
      return (await runner.call('tasks.list', { all: false })).map((t) => t.id);
    case 'instance':
      return (await runner.call('instances.list', {})).map((i) => i.name);
    case 'offering':
      return (await runner.call('offerings.list', {})).map((o) => o.name);
    case 'template':
      return (await runner.call('templates.list', {})).map((t) => t.name);
    case 'network':
      return (await runner.call('networks.list', {})).networks.map((n) => n.name);
    default:
      return undefined;
  }
}

async function rackFileValues(ctx: CommandContext, kind: ValueKind): Promise<string[]> {
  const file = ctx.config().rackFile;
  if (!file) return [];
  const { loadRackFile } = await import('../config/rack/parse.ts');
  const r = await loadRackFile(file);
  if (!r.ok) return [];
  switch (kind) {
    case 'host':
      return r.rack.nics.flatMap((n) => (n.hostname ? [n.hostname] : []));
    case 'rack':
      return r.rack.racks.flatMap((k) => (k.name ? [k.name] : []));
    case 'switch':
      return r.rack.switches.map((s) => s.name);
    default:
      return [];
  }
}

export async function completeCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const words = argv[0] === '--' ? argv.slice(1) : argv;
  const { candidates, files } = await completions(words.length ? words : [''], siteValues(ctx));
  for (const c of candidates) println(ctx.io, c);
  if (files) println(ctx.io, FILES);
  return 0;
}
