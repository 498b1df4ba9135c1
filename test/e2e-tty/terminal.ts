import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO } from '../e2e/helpers.ts';
import { testRunMark } from '../runner/cli-process.ts';

/**
 * A real terminal for end-to-end tests: the program runs in a tmux pane (a pseudo-terminal with a
 * terminal emulator behind it), keys go in with `send-keys` and the screen is read back with
 * `capture-pane`, exactly what an operator's terminal shows. Every terminal has its own tmux server
 * (a private socket, `-L`, in a directory of its own: TMUX_TMPDIR), so parallel tests never share
 * one, and `close()` kills that server and removes its socket.
 */
const run = promisify(execFile);

/** The command line of the rackpilot an operator starts (`rackpilot` on the PATH). */
export function rackpilot(...args: string[]): string[] {
  return [process.execPath, join(REPO, 'src/bin/rackpilot.js'), ...args];
}

export interface Size {
  cols: number;
  rows: number;
}

export interface StartOptions {
  /** The program and its arguments (no shell). */
  cmd: string[];
  /** The program's whole environment besides PATH, LANG and the test run's mark. */
  env: Record<string, string>;
  size?: Size;
  /** Working directory of the program (default: HOME from env). */
  cwd?: string;
}

export interface Terminal {
  readonly name: string;
  /**
   * Sends keys by tmux name: 'j', 'Enter', 'Escape', 'Space', 'C-d', 'BSpace'… one per argument,
   * pausing after Escape so that the next key is not read as alt+key.
   */
  keys(...keys: string[]): Promise<void>;
  /** Types text literally. */
  type(text: string): Promise<void>;
  /** The visible screen, one line per row, trailing spaces trimmed. */
  screen(): Promise<string>;
  /** The visible screen with its SGR escapes (colours, inverse): what plain text cannot show. */
  styledScreen(): Promise<string>;
  /** The last screen read (by screen() or a wait), for failure messages. */
  lastScreen(): string;
  /** Polls the screen (~100 ms) until `re` matches it; fails after `timeoutMs` with the last screen. */
  waitForScreen(re: RegExp, timeoutMs?: number, what?: string): Promise<string>;
  /** Polls until `check(screen)` is true. */
  waitFor(check: (screen: string) => boolean, timeoutMs: number, what: string): Promise<string>;
  /** Resizes the terminal (the program gets SIGWINCH). */
  resize(size: Size): Promise<void>;
  /** Whether the program has exited (the pane stays, showing its last screen). */
  exited(): Promise<boolean>;
  /** Waits until the program has exited; fails after `timeoutMs` with the last screen. */
  waitForExit(timeoutMs?: number): Promise<void>;
  /** Kills the tmux server and with it the program (never the runner: it is detached). */
  close(): Promise<void>;
  /** The process id of the pane's program (or the shell that runs it). */
  pid(): Promise<number>;
}

let counter = 0;
const ESC_PAUSE_MS = 250;
const open = new Set<Terminal>();
/** Socket directory of every server still running, for the exit hook. */
const servers = new Map<string, string>();

// Whatever happens to the test (a timeout, an exception in a hook), no tmux server outlives it.
process.once('exit', () => {
  for (const [name, dir] of servers) {
    try {
      execFileSync('tmux', ['-L', name, 'kill-server'], { env: { TMUX_TMPDIR: dir }, stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function startTerminal(opts: StartOptions): Promise<Terminal> {
  const { cols, rows } = opts.size ?? { cols: 120, rows: 36 };
  const name = `rp-tty-${process.pid}-${++counter}-${randomBytes(3).toString('hex')}`;
  // The tmux server's environment is the environment of the program: nothing from the test
  // process leaks in (no MAAS_URL, no TMUX), and no tmux configuration is read.
  const socketDir = mkdtempSync(join(tmpdir(), 'rp-tmux-'));
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    TMUX_TMPDIR: socketDir,
    LANG: 'C.UTF-8',
    ...testRunMark(),
    ...opts.env,
  };
  const tmux = (...args: string[]) =>
    run('tmux', ['-u', '-L', name, '-f', '/dev/null', ...args], { env, encoding: 'utf8' });
  const cwd = opts.cwd ?? env['HOME'] ?? REPO;
  servers.set(name, socketDir);
  await tmux(
    'new-session',
    '-d',
    '-s',
    'main',
    '-x',
    `${cols}`,
    '-y',
    `${rows}`,
    '-c',
    cwd,
    opts.cmd.map(shellQuote).join(' '),
    // The same command queue, before the program can exit: keep its last screen readable.
    ';',
    'set-option',
    '-t',
    'main',
    'remain-on-exit',
    'on',
  );
  let last = '';
  let closed = false;

  let dead = false;
  // One tmux call reads the screen and whether the program is still running.
  const screen = async () => {
    const { stdout } = await tmux(
      'capture-pane',
      '-p',
      '-t',
      'main',
      ';',
      'display-message',
      '-p',
      '-t',
      'main',
      '#{pane_dead}',
    );
    const lines = stdout.replace(/\n$/, '').split('\n');
    dead = lines.pop() === '1';
    last = lines.join('\n');
    return last;
  };
  const exited = async () => {
    const { stdout } = await tmux('display-message', '-p', '-t', 'main', '#{pane_dead}');
    return stdout.trim() === '1';
  };
  const waitFor = async (check: (s: string) => boolean, timeoutMs: number, what: string) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await screen().catch((e: Error) => `(no screen: ${e.message})`);
      if (check(s)) return s;
      if (dead) throw new Error(`the program exited while waiting for ${what}; the screen:\n${s}`);
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${s}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const term: Terminal = {
    name,
    keys: async (...keys) => {
      for (const key of keys) {
        await tmux('send-keys', '-t', 'main', key);
        // A lone ESC followed at once by a key reads as alt+key (ESC t is meta-t): a terminal
        // tells them apart by time, as a person typing does.
        if (key === 'Escape') await new Promise((r) => setTimeout(r, ESC_PAUSE_MS));
      }
    },
    type: async (text) => {
      await tmux('send-keys', '-t', 'main', '-l', text);
    },
    screen,
    styledScreen: async () => (await tmux('capture-pane', '-p', '-e', '-t', 'main')).stdout,
    lastScreen: () => last,
    waitForScreen: (re, timeoutMs = 30_000, what) => waitFor((s) => re.test(s), timeoutMs, what ?? `${re}`),
    waitFor,
    resize: async ({ cols: x, rows: y }) => {
      await tmux('resize-window', '-t', 'main', '-x', `${x}`, '-y', `${y}`);
    },
    exited,
    waitForExit: async (timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await exited())) {
        if (Date.now() > deadline) {
          throw new Error(`the program did not exit within ${timeoutMs} ms; the screen:\n${await screen()}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    pid: async () => Number((await tmux('display-message', '-p', '-t', 'main', '#{pane_pid}')).stdout.trim()),
    close: async () => {
      if (closed) return;
      closed = true;
      open.delete(term);
      await tmux('kill-server').catch(() => undefined);
      rmSync(socketDir, { recursive: true, force: true });
      servers.delete(name);
    },
  };
  open.add(term);
  return term;
}

/** Closes every terminal still open (for afterEach/afterAll). */
export async function closeAllTerminals(): Promise<void> {
  await Promise.all([...open].map((t) => t.close()));
}
