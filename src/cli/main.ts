import { ConfigError } from '../config/index.ts';
import { describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import { versionText } from '../util/version.ts';
import { CommandContext } from './context.ts';
import { helpText, mainHelp } from './help.ts';
import { eprintln, println, UsageError, type CommandIo } from './io.ts';
import { COMMANDS } from './registry.ts';
import { pathByNames, resolveCommand } from './resolve.ts';

/** `rackpilot --help`: generated from the command registry. */
export const USAGE = mainHelp();

/** Runs one command line; returns the exit code. Errors are printed for operators, never as stacks. */
export async function main(
  argv: readonly string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  // --read-only anywhere on the line: this client only looks (the runner refuses its changes).
  const readOnly = argv.includes('--read-only');
  const ctx = new CommandContext(io, env, { kind: 'cli', readOnly, json: argv.includes('--json') });
  const words = argv.filter((a) => a !== '--read-only');
  const [cmd] = words;
  try {
    if (cmd === '--version' || cmd === '-V') {
      println(io, versionText());
      return 0;
    }
    if (cmd === '--help' || cmd === '-h') {
      println(io, USAGE);
      return 0;
    }
    if (cmd === 'help' && !words.includes('--help') && !words.includes('-h')) {
      const rest = words.slice(1).filter((w) => !w.startsWith('-'));
      println(io, rest.length ? helpText(pathByNames(rest)) : USAGE);
      return 0;
    }
    // The completion scripts' question: its words are a line being typed, not one to check.
    if (cmd === '__complete')
      return await (await import('./complete.ts')).completeCommand(words.slice(1), ctx);
    const { path, argv: rest, help } = resolveCommand(cmd === undefined ? ['dashboard'] : words);
    if (help) {
      println(io, helpText(path));
      return 0;
    }
    const runner = [...path].reverse().find((s) => s.run);
    if (!runner?.run) throw new UsageError(`nothing runs ${JSON.stringify(cmd)}`, { hint: 'rackpilot help' });
    return await runner.run(rest, ctx);
  } catch (err) {
    if (err instanceof ConfigError) {
      eprintln(io, err.message);
      eprintln(io, `  → ${err.hint}`);
      return 2;
    }
    eprintln(
      io,
      `rackpilot${cmd && COMMANDS.some((c) => c.name === cmd) ? ` ${cmd}` : ''}: ${describeError(err)}`,
    );
    if (env.RACKPILOT_DEBUG && err instanceof Error && err.stack) eprintln(io, redact(err.stack));
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await ctx.close();
  }
}
