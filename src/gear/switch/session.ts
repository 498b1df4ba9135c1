import ssh2 from 'ssh2';
import type { ClientChannel, ConnectConfig } from 'ssh2';
import { connectCorkedEachTurn } from '../../util/cork-each-turn.ts';
import { formatSeconds } from '../../util/deadline.ts';
import { redact } from '../../util/redact.ts';
import type { Dialect } from './dialects/types.ts';
import { SwitchError } from './errors.ts';
import { checkHostKey, type HostKeyVerdict } from './hostkeys.ts';
import type { SwitchTarget } from './target.ts';
import { assertSafeCliLine } from './validate.ts';
import { parseAnswer, splitAnswers, type CommandResult } from './answers.ts';

export type { CommandResult };

const { Client } = ssh2;

export interface SessionOptions {
  /** The whole login: TCP, SSH handshake, authentication, banners and enable up to the first prompt. */
  connectTimeoutMs?: number;
  /** The setting named when the login outlasts it; default RACKPILOT_SWITCH_TIMEOUT. */
  connectTimeoutSetting?: string;
  commandTimeoutMs?: number;
  /** Known-hosts file for trust on first use when the target pins no fingerprint. */
  knownHostsPath?: string | undefined;
  /** Every line sent and every switch error, redacted. */
  log?: (line: string) => void;
  /**
   * Send a block of lines in one write and split the replies at the prompts (default on). Switch
   * CLIs read typed-ahead input; turn this off for a CLI that drops it.
   */
  pipeline?: boolean;
}

/** Any hostname, optional `(mode)`, then `#` or `>` at the very end of what the switch sent. */
const ANY_PROMPT = /(?:^|\n)([A-Za-z0-9][A-Za-z0-9._-]{0,62})(\([^()\n]{1,48}\))?([#>]) ?$/;
const MORE = /--More--\s*$|<--- More --->\s*$/i;
const YES_NO = /\[(?:y\/n|yes\/no)\]:?\s*$/i;
const PASSWORD = /password:\s*$/i;

/** Terminal noise → plain text: ANSI escapes, backspaces, pager overwrites (`\r` + blanks + `\r`). */
export function cleanTerminalText(raw: string): string {
  let s = raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\x1b[()][A-Z0-9]/g, '');
  while (/[^\n\x08]\x08/.test(s)) s = s.replace(/[^\n\x08]\x08/g, '');
  s = s.replace(/\x08/g, '');
  // Many NOS (and a pty with ONLCR) end lines with `\r\r\n` or `\n\r`: those are plain newlines.
  return s
    .replace(/\r+\n/g, '\n')
    .replace(/\n\r(?!\n)/g, '\n')
    .split('\n')
    .map((line) => {
      const i = line.lastIndexOf('\r');
      return i >= 0 ? line.slice(i + 1) : line;
    })
    .join('\n');
}

interface Waiter {
  resolve(text: string): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * An interactive CLI session on one switch: login, banner, enable, paging off, then one command
 * at a time with its output collected until the prompt returns.
 */
export class SwitchSession {
  private raw = '';
  private waiter: Waiter | undefined;
  private stream: ClientChannel | undefined;
  private closedError: SwitchError | undefined;
  private promptRe: RegExp = ANY_PROMPT;
  /** When the login must be done by (one deadline for every step of it). */
  private loginBy = 0;
  hostname = '';
  /** The last prompt seen, e.g. `tor-r01(conf)#`. */
  prompt = '';
  readonly address: string;

  private constructor(
    readonly target: SwitchTarget,
    readonly dialect: Dialect,
    private readonly client: InstanceType<typeof Client>,
    private readonly opts: SessionOptions,
  ) {
    this.address = `${target.host}:${target.port}`;
  }

  private get loginMs(): number {
    return this.opts.connectTimeoutMs ?? 15_000;
  }

  /** "15 s (RACKPILOT_SWITCH_TIMEOUT)" */
  private get loginBound(): string {
    return `${formatSeconds(this.loginMs)} (${this.opts.connectTimeoutSetting ?? 'RACKPILOT_SWITCH_TIMEOUT'})`;
  }

  get alive(): boolean {
    return this.closedError === undefined;
  }

  get inConfigMode(): boolean {
    return /\(.+\)#$/.test(this.prompt);
  }

  static async open(
    target: SwitchTarget,
    dialect: Dialect,
    opts: SessionOptions = {},
  ): Promise<SwitchSession> {
    const client = new Client();
    const session = new SwitchSession(target, dialect, client, opts);
    session.loginBy = Date.now() + session.loginMs;
    await session.connect();
    try {
      await session.openShell();
      await session.login();
    } catch (e) {
      session.destroy();
      throw e;
    }
    return session;
  }

  private err(
    kind: SwitchError['kind'],
    detail: string,
    extra: Partial<ConstructorParameters<typeof SwitchError>[2]> = {},
  ) {
    return new SwitchError(kind, detail, { switchName: this.target.name, address: this.address, ...extra });
  }

  /** The SSH connection's settings; `onVerdict` hears what the host key check decided. */
  private sshConfig(onVerdict: (v: HostKeyVerdict) => void): ConnectConfig {
    const t = this.target;
    const config: ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.username,
      readyTimeout: this.loginMs,
      keepaliveInterval: 10_000,
      tryKeyboard: t.password !== undefined,
      hostVerifier: (key: Buffer) => {
        const verdict = checkHostKey({
          host: t.host,
          port: t.port,
          keyBlob: key,
          pinned: t.hostKeyFingerprint,
          knownHostsPath: this.opts.knownHostsPath,
        });
        onVerdict(verdict);
        return verdict.ok;
      },
    };
    if (t.password !== undefined) config.password = t.password;
    if (t.privateKey !== undefined) config.privateKey = t.privateKey;
    if (t.passphrase !== undefined) config.passphrase = t.passphrase;
    return config;
  }

  /** Step 1 of opening: the SSH connection, authenticated, its host key checked. */
  private connect(): Promise<void> {
    const t = this.target;
    let verdict: HostKeyVerdict | undefined;
    const config = this.sshConfig((v) => {
      verdict = v;
    });
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (e: SwitchError) => {
        if (settled) return;
        settled = true;
        this.closedError = e;
        this.client.end();
        reject(e);
      };
      this.client.on('connect', () => {
        (this.client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
      });
      this.client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => {
        finish(prompts.map(() => t.password ?? ''));
      });
      this.client.on('ready', () => {
        settled = true;
        resolve();
      });
      this.client.on('error', (e: Error & { level?: string; code?: string }) => {
        if (!settled) fail(this.connectError(e, verdict));
        else this.onClosed(this.err('closed', `connection lost: ${redact(e.message)}`, { cause: e }));
      });
      this.client.on('close', () => {
        if (!settled) fail(this.err('unreachable', 'connection closed before login completed'));
        else this.onClosed(this.err('closed', 'connection closed by the switch'));
      });
      // ssh2 takes the socket still connecting and bounds it with readyTimeout, as its own.
      this.client.connect({ ...config, sock: connectCorkedEachTurn({ host: t.host, port: t.port }) });
    });
  }

  private connectError(
    e: Error & { level?: string; code?: string },
    verdict: HostKeyVerdict | undefined,
  ): SwitchError {
    if (verdict && !verdict.ok) {
      return this.err(
        'hostkey',
        `host key mismatch — offered ${verdict.fingerprint}, expected ${verdict.expected} (${verdict.source})`,
        {
          hint:
            'The switch may have been replaced or someone is intercepting the connection. Verify the key at ' +
            'the console (`show ip ssh` / `ssh-keygen -l`), then update hostKey in the rack file or remove the ' +
            'old known-hosts entry.',
          cause: e,
        },
      );
    }
    if (e.level === 'client-authentication') {
      return this.err('auth', `login refused for user ${this.target.username}`, {
        hint: 'Check the switch username and password (or passwordEnv / key) in the rack file, and that the account is not locked.',
        cause: e,
      });
    }
    if (e.level === 'client-timeout' || /timed out/i.test(e.message)) {
      return this.err('unreachable', `the SSH login did not finish within ${this.loginBound}`, {
        hint: 'Check the management address and port in the rack file, the management network, and that SSH is enabled on the switch.',
        cause: e,
      });
    }
    return this.err('unreachable', `cannot connect: ${e.code ?? redact(e.message)}`, {
      hint: 'Check the management address and port in the rack file, the management network, and that SSH is enabled on the switch.',
      cause: e,
    });
  }

  /** Step 2: an interactive shell, 250 columns wide so that no answer wraps. */
  private async openShell(): Promise<void> {
    this.stream = await new Promise<ClientChannel>((resolve, reject) => {
      this.client.shell({ term: 'vt100', cols: 250, rows: 24 }, (e, stream) => {
        if (e)
          reject(
            this.err('unreachable', `the switch refused an interactive shell: ${e.message}`, { cause: e }),
          );
        else resolve(stream);
      });
    });
    this.stream.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
    this.stream.stderr.on('data', (d: Buffer) => this.onData(d.toString('utf8')));
    this.stream.on('close', () => this.onClosed(this.err('closed', 'the switch closed the session')));
  }

  /**
   * Step 3: banners, `[y/n]`, enable; then the privileged prompt gives the hostname, and paging is
   * turned off. All of it within the one login deadline, however many steps the switch asks for.
   */
  private async login(): Promise<void> {
    for (let step = 0; step < 8; step++) {
      const text = await this.waitFor(
        (s) => YES_NO.test(s) || PASSWORD.test(s) || ANY_PROMPT.test(s),
        Math.max(1, this.loginBy - Date.now()),
        'login',
        {
          message: `the login did not reach a prompt within ${this.loginBound}`,
          hint: `The switch is slow or stuck at its login (banner, enable); raise ${this.opts.connectTimeoutSetting ?? 'RACKPILOT_SWITCH_TIMEOUT'} if it is only slow.`,
        },
      );
      if (this.answerLoginPrompt(text)) continue;
      await this.run(this.dialect.pagingOff);
      return;
    }
    throw this.err('auth', 'could not reach the privileged prompt', {
      hint: 'The account may lack privilege 15 / network-admin; check the switch user role.',
    });
  }

  /**
   * Answers what the switch asks at login (`[y/n]`, the enable password, enable itself): true when
   * an answer was sent. At the privileged prompt it learns the hostname and the prompt's pattern.
   */
  private answerLoginPrompt(text: string): boolean {
    if (YES_NO.test(text)) {
      this.send('y');
      return true;
    }
    if (PASSWORD.test(text)) {
      if (this.target.password === undefined)
        throw this.err('auth', 'the switch asks for an enable password and none is configured');
      this.send(this.target.password, true);
      return true;
    }
    const m = ANY_PROMPT.exec(text)!;
    this.hostname = m[1]!;
    this.prompt = `${m[1]}${m[2] ?? ''}${m[3]}`;
    if (m[3] === '>') {
      this.send('enable');
      return true;
    }
    const host = this.hostname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.promptRe = new RegExp(`(?:^|\\n)(${host})(\\([^()\\n]{1,48}\\))?([#>]) ?$`);
    return false;
  }

  private onData(text: string): void {
    this.raw += text;
    const w = this.waiter;
    if (!w || !this.check) return;
    const tail = cleanTerminalText(this.raw.slice(-2048));
    if (MORE.test(tail)) {
      // Paging should be off; if a banner or a policy turned it back on, keep reading anyway.
      if (this.moreAnsweredAt !== this.raw.length) {
        this.moreAnsweredAt = this.raw.length;
        this.stream?.write(' ');
      }
      return;
    }
    if (this.check(tail)) {
      this.waiter = undefined;
      this.check = undefined;
      clearTimeout(w.timer);
      const out = this.raw;
      this.raw = '';
      w.resolve(out);
    }
  }

  private check: ((tail: string) => boolean) | undefined;
  private moreAnsweredAt = -1;

  private waitFor(
    pred: (tail: string) => boolean,
    timeoutMs: number,
    what: string,
    late?: { message: string; hint: string },
  ): Promise<string> {
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        const e = this.err(
          'timeout',
          late?.message ?? `no prompt within ${Math.round(timeoutMs / 100) / 10} s after ${what}`,
          {
            hint:
              late?.hint ??
              'The switch is slow or stuck; retry, or raise the command timeout. The session was closed.',
            command: what,
          },
        );
        this.destroy(e);
        reject(e);
      }, timeoutMs);
      this.check = pred;
      this.waiter = { resolve, reject, timer };
      // The answer may already be buffered.
      this.onData('');
    });
  }

  private onClosed(e: SwitchError): void {
    if (!this.closedError) this.closedError = e;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      clearTimeout(w.timer);
      w.reject(this.closedError);
    }
  }

  private send(line: string, secret = false): void {
    if (!secret) this.opts.log?.(redact(`${this.target.name}> ${line}`));
    this.stream!.write(`${line}\n`);
  }

  /** Sends one command; resolves with its output (echo and prompt removed) and any error line. */
  async exec(command: string, timeoutMs?: number): Promise<CommandResult> {
    assertSafeCliLine(command);
    if (this.closedError) {
      throw this.err(this.closedError.kind, this.closedError.detail, {
        command,
        hint: this.closedError.hint ?? '',
      });
    }
    this.raw = '';
    this.send(command);
    let text: string;
    try {
      text = await this.waitFor(
        (s) => this.promptRe.test(s),
        timeoutMs ?? this.opts.commandTimeoutMs ?? 20_000,
        `\`${command}\``,
      );
    } catch (e) {
      if (e instanceof SwitchError && e.kind === 'closed') {
        throw this.err('closed', `connection lost during \`${command}\``, {
          hint: 'The switch or the management link dropped the session; the change may be half applied — check the port with `rackpilot switch show`.',
          command,
          cause: e,
        });
      }
      throw e;
    }
    const lines = cleanTerminalText(text).split('\n');
    const last = lines.pop() ?? '';
    const pm = this.promptRe.exec(`\n${last}`);
    if (pm) this.prompt = `${pm[1]}${pm[2] ?? ''}${pm[3]}`;
    // Drop the echoed command (first line ending in it) and blank edges.
    return this.result(command, lines);
  }

  /**
   * Several commands in one write; one result per command, split at the prompts that follow each.
   * Later commands still run when an earlier one fails, so callers check every result.
   */
  async execMany(
    commands: string[],
    opts: { timeoutMs?: number; stopOnError?: boolean } = {},
  ): Promise<CommandResult[]> {
    const timeoutMs = opts.timeoutMs;
    if (commands.length <= 1 || this.opts.pipeline === false) {
      // One at a time, a failed line can stop the rest (pipelined, the switch already has them).
      const out: CommandResult[] = [];
      for (const c of commands) {
        const r = await this.exec(c, timeoutMs);
        out.push(r);
        if (opts.stopOnError && r.errorLine !== undefined) break;
      }
      return out;
    }
    for (const c of commands) assertSafeCliLine(c);
    if (this.closedError) {
      throw this.err(this.closedError.kind, this.closedError.detail, {
        command: commands[0]!,
        hint: this.closedError.hint ?? '',
      });
    }
    this.raw = '';
    for (const c of commands) this.opts.log?.(redact(`${this.target.name}> ${c}`));
    this.stream!.write(commands.map((c) => `${c}\n`).join(''));
    const promptAt = new RegExp(this.promptRe.source.replace(/ \?\$$/, ''), 'g');
    const count = (s: string) => s.match(promptAt)?.length ?? 0;
    const per = timeoutMs ?? this.opts.commandTimeoutMs ?? 20_000;
    let text: string;
    try {
      text = await this.waitFor(
        (tail) => this.promptRe.test(tail) && count(cleanTerminalText(this.raw)) >= commands.length,
        per + commands.length * 250,
        `\`${commands[0]}\` and ${commands.length - 1} more`,
      );
    } catch (e) {
      if (e instanceof SwitchError && e.kind === 'timeout') {
        // The batch went in one write: the answers that came say which line the switch went
        // silent on (the session is closed already).
        const answered = this.answers(commands, this.raw, promptAt, false);
        const stalled = commands[answered.length] ?? commands.at(-1)!;
        throw this.err(
          'timeout',
          `no prompt within ${Math.round((per + commands.length * 250) / 100) / 10} s after \`${stalled}\` (line ${Math.min(answered.length + 1, commands.length)} of ${commands.length} of a batch; the lines before it were answered)`,
          { hint: e.hint ?? '', command: stalled, cause: e },
        );
      }
      if (e instanceof SwitchError && e.kind === 'closed') {
        // A refused line first, then the session gone: the lines pipelined after it ran outside
        // the mode they needed (an `exit` too many logs out). The refusal is what happened.
        const answered = this.answers(commands, this.raw, promptAt, false);
        const refused = answered.findIndex((r) => r.errorLine !== undefined);
        if (refused >= 0) {
          const errorLine = answered[refused]!.errorLine!;
          throw this.err('cli', `the switch refused \`${commands[refused]}\`: ${errorLine}`, {
            switchLine: errorLine,
            command: commands[refused]!,
            hint: 'The lines sent after it in the same batch ran outside the mode they needed, and the switch then closed the session.',
            cause: e,
          });
        }
        throw this.err(
          'closed',
          `connection lost during \`${commands[0]}\` and ${commands.length - 1} more`,
          {
            hint: 'The switch or the management link dropped the session; the change may be half applied — check the port with `rackpilot switch show`.',
            command: commands[0]!,
            cause: e,
          },
        );
      }
      throw e;
    }
    return this.answers(commands, text, promptAt, true);
  }

  /** The answers of a pipelined batch so far (see splitAnswers); refusals go to the log. */
  private answers(commands: string[], text: string, promptAt: RegExp, complete: boolean): CommandResult[] {
    const { results, prompt } = splitAnswers(
      commands,
      cleanTerminalText(text),
      promptAt,
      complete,
      this.dialect.errorPatterns,
    );
    if (complete && prompt !== undefined) this.prompt = prompt;
    for (const r of results) this.logRefusal(r);
    return results;
  }

  private result(command: string, lines: string[]): CommandResult {
    return this.logRefusal(parseAnswer(command, lines, this.dialect.errorPatterns));
  }

  private logRefusal(r: CommandResult): CommandResult {
    if (r.errorLine) this.opts.log?.(redact(`${this.target.name}! ${r.errorLine}`));
    return r;
  }

  /** Like exec, but a switch error line throws. */
  async run(command: string, timeoutMs?: number): Promise<string> {
    const r = await this.exec(command, timeoutMs);
    if (r.errorLine !== undefined) {
      throw this.err('cli', `the switch refused \`${command}\`: ${r.errorLine}`, {
        switchLine: r.errorLine,
        command,
        hint: "The line above is the switch's own message; check the port and VLAN in the rack file and the switch configuration.",
      });
    }
    return r.output;
  }

  /** Leaves configuration mode and logs out; never throws. */
  async close(): Promise<void> {
    if (this.closedError) return this.destroy();
    try {
      if (this.inConfigMode) await this.exec('end', 5000);
      this.send('exit');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.stream?.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
    } catch {
      // Closing is best effort: the switch may already be gone.
    }
    this.destroy();
  }

  destroy(e?: SwitchError): void {
    this.onClosed(e ?? this.err('closed', 'session closed'));
    this.client.end();
  }
}
