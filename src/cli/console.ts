/**
 * `rackpilot console HOST`: the host's serial console (IPMI Serial-over-LAN) through the runner,
 * which holds the one SOL session and shares it. Prints the last lines of its scrollback (or of
 * a task's recording), filtered so that nothing the host sends acts on this terminal; --follow
 * keeps printing; --keyboard takes the keyboard and sends keys (Ctrl-] gives it back and quits).
 * --raw writes the host's bytes unfiltered, to a file or a pipe only.
 */
import { z } from 'zod';
import {
  CONSOLE_DATA_NOTIFICATION,
  CONSOLE_STATE_NOTIFICATION,
  consoleDataSchema,
  consoleStateSchema,
  type ConsoleState,
} from '../protocol/console.ts';
import { ConsoleTextFilter, lastLines } from '../util/console-text.ts';
import type { CommandContext } from './context.ts';
import { eprintln, intFlag, parseCommandArgs, UsageError } from './io.ts';
import { CONSOLE_USAGE } from './usage.ts';

const QUIT_KEY = 0x1d; // Ctrl-]

export interface ConsoleTerminal {
  isTTY: boolean;
  /** Keys typed (only read with --keyboard). */
  stdin?: NodeJS.ReadStream;
  rawOut?: { write(b: Buffer): unknown };
}

export async function consoleCommand(
  argv: string[],
  ctx: CommandContext,
  term: ConsoleTerminal = {
    isTTY: Boolean(process.stdout.isTTY),
    stdin: process.stdin,
    rawOut: process.stdout,
  },
): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      follow: { type: 'boolean', short: 'f' },
      lines: { type: 'string', short: 'n' },
      task: { type: 'string' },
      raw: { type: 'boolean' },
      keyboard: { type: 'boolean' },
    },
    z.object({
      follow: z.boolean().optional(),
      lines: intFlag(0, 100_000).optional(),
      task: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a task id like t-1a2b3c4d')
        .optional(),
      raw: z.boolean().optional(),
      keyboard: z.boolean().optional(),
    }),
    CONSOLE_USAGE,
  );
  const host = positionals[0];
  if (!host || positionals.length > 1)
    throw new UsageError('name one host', { hint: `usage: ${CONSOLE_USAGE}` });
  if (values.raw && term.isTTY) {
    throw new UsageError("--raw writes the host's bytes unfiltered: redirect it to a file or a pipe", {
      hint: `e.g. rackpilot console ${host} --raw > ${host}.console`,
    });
  }
  if (values.task && (values.follow || values.keyboard)) {
    throw new UsageError('--task reads a finished recording: it takes neither --follow nor --keyboard');
  }
  if (values.keyboard && !values.follow) throw new UsageError('--keyboard needs --follow');
  const lines = values.lines ?? 50;
  const runner = await ctx.runner();
  const filter = new ConsoleTextFilter();
  const show = (data: Buffer) => {
    if (values.raw) term.rawOut?.write(data);
    else ctx.io.stdout.write(filter.push(data));
  };

  if (!values.follow) {
    const r = await runner.call('console.read', { host, ...(values.task && { task: values.task }) });
    show(lastLines(Buffer.from(r.data, 'base64'), lines));
    if (!values.raw && filter.partial) ctx.io.stdout.write(filter.partial + '\n');
    return 0;
  }

  return new Promise<number>((resolve, reject) => {
    let lastState: ConsoleState | undefined;
    const offData = runner.onNotification(CONSOLE_DATA_NOTIFICATION, (raw) => {
      const p = consoleDataSchema.safeParse(raw);
      if (!p.success) return;
      for (const item of p.data.items) if (item.host === host) show(Buffer.from(item.data, 'base64'));
    });
    const offState = runner.onNotification(CONSOLE_STATE_NOTIFICATION, (raw) => {
      const p = consoleStateSchema.safeParse(raw);
      if (p.success && p.data.host === host) lastState = reportState(ctx, p.data, lastState);
    });
    const offClose = runner.onClose((why) => finish(1, `the runner went away: ${why}`));
    let stdinOff = () => {};
    const finish = (code: number, why?: string) => {
      offData();
      offState();
      offClose();
      stdinOff();
      if (why) eprintln(ctx.io, why);
      resolve(code);
    };
    process.once('SIGINT', () => finish(0));
    runner
      .call('console.open', { host })
      .then(async (r) => {
        show(lastLines(Buffer.from(r.scrollback, 'base64'), lines));
        lastState = reportState(ctx, r.state, lastState);
        if (!values.keyboard) return;
        await runner.call('console.keyboard', { host, take: true });
        stdinOff = typeKeys(
          term,
          (keys) => {
            void runner
              .call('console.input', { host, data: keys.toString('base64') })
              .catch((err: unknown) => eprintln(ctx.io, `[console: ${(err as Error).message}]`));
          },
          () => finish(0),
        );
        eprintln(ctx.io, '[console: you have the keyboard; Ctrl-] gives it back and quits]');
      })
      .catch(reject);
  });
}

/** Keys from the terminal in raw mode until Ctrl-]; returns the function that restores it. */
function typeKeys(term: ConsoleTerminal, send: (keys: Buffer) => void, quit: () => void): () => void {
  const stdin = term.stdin;
  if (!stdin) return () => {};
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const onData = (d: Buffer) => {
    const q = d.indexOf(QUIT_KEY);
    if (q >= 0) {
      if (q > 0) send(d.subarray(0, q));
      quit();
      return;
    }
    send(d);
  };
  stdin.on('data', onData);
  stdin.resume();
  return () => {
    stdin.off('data', onData);
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    stdin.pause();
  };
}

/** Console state changes as bracketed lines on stderr (stdout carries only the host's text). */
function reportState(ctx: CommandContext, s: ConsoleState, before: ConsoleState | undefined): ConsoleState {
  if (before?.state !== s.state || before?.error !== s.error) {
    const what =
      s.state === 'unavailable' || s.state === 'elsewhere'
        ? `${s.state === 'unavailable' ? 'unavailable: ' : ''}${s.error ?? 'no reason given'}${s.hint ? ` (${s.hint})` : ''}`
        : s.state;
    eprintln(ctx.io, `[console of ${s.host}: ${what}]`);
  }
  if (before && before.keyboard !== s.keyboard && s.keyboard === 'other')
    eprintln(ctx.io, `[console of ${s.host}: another viewer has the keyboard]`);
  return s;
}
