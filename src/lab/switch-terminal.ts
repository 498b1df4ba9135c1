import type { SwitchCli } from './switch-emulator.ts';

export interface TerminalIo {
  write(text: string): void;
  /** Orderly end of session (after `exit`). */
  close(): void;
  /** Fault: the link dies without a goodbye. */
  drop(): void;
}

const MORE = ' --More-- ';
/** What a switch prints to wipe the pager prompt before the next page: CR, blanks, CR. */
const ERASE_MORE = `\r${' '.repeat(MORE.length)}\r`;

/**
 * The byte side of a switch CLI session: echo, line assembly, backspace, the `--More--` pager,
 * and the timing faults. Everything vendor-specific stays in SwitchCli.
 */
export class CliTerminal {
  private buf = '';
  private pending: string[] = [];
  private busy = false;
  private paging: string[] | null = null;
  private closed = false;
  private lastWasCr = false;
  private timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly cli: SwitchCli,
    private readonly io: TerminalIo,
    private readonly opts: { echo?: boolean } = {},
  ) {}

  start(): void {
    this.write(this.cli.greeting());
  }

  input(data: string): void {
    if (this.closed) return;
    // Everything one chunk of input produces leaves as one write: echo plus the answer, as a
    // switch's TTY driver does, instead of a packet per echoed character.
    const outer = this.held === null;
    if (outer) this.held = [];
    try {
      this.inputChars(data);
    } finally {
      if (outer) this.flush();
    }
  }

  private held: string[] | null = null;

  private flush(): void {
    const text = (this.held ?? []).join('');
    this.held = null;
    if (text) this.io.write(text);
  }

  private inputChars(data: string): void {
    for (const ch of data) {
      // CR LF is one Enter, wherever it lands (the LF must not page on).
      if (ch === '\n' && this.lastWasCr) {
        this.lastWasCr = false;
        continue;
      }
      this.lastWasCr = ch === '\r';
      if (this.paging) {
        this.pagerKey(ch);
        continue;
      }
      if (this.busy) {
        // A switch reads ahead while it works; keep the bytes for when it is ready.
        this.pending.push(ch);
        continue;
      }
      this.key(ch);
    }
  }

  stop(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private key(ch: string): void {
    if (ch === '\r' || ch === '\n') {
      const line = this.buf;
      this.buf = '';
      if (this.opts.echo !== false) this.write('\r\n');
      this.run(line);
      return;
    }
    if (ch === '\x7f' || ch === '\b') {
      if (this.buf.length > 0) {
        this.buf = this.buf.slice(0, -1);
        if (this.opts.echo !== false) this.write('\b \b');
      }
      return;
    }
    if (ch === '\x03') {
      this.buf = '';
      this.write(`^C\r\n${this.cli.prompt()}`);
      return;
    }
    if (ch < ' ') return;
    this.buf += ch;
    if (this.opts.echo !== false) this.write(ch);
  }

  private run(line: string): void {
    const reply = this.cli.line(line);
    const finish = () => {
      if (this.closed) return;
      if (reply.drop) {
        // A dropped link still delivered whatever was already on the wire.
        if (reply.output) this.write(crlf(reply.output));
        this.flush();
        this.closed = true;
        this.io.drop();
        return;
      }
      const lines = crlf(reply.output).split('\r\n');
      if (lines.at(-1) === '') lines.pop();
      const page = this.cli.pagerLines;
      if (reply.pageable && page > 0 && lines.length > page - 1) {
        this.write(lines.slice(0, page - 1).join('\r\n') + '\r\n' + MORE);
        this.paging = lines.slice(page - 1);
        this.afterReply(reply.close ?? false, true);
        return;
      }
      if (lines.length) this.write(lines.join('\r\n') + '\r\n');
      this.afterReply(reply.close ?? false, false);
    };
    if (reply.delayMs && reply.delayMs > 0) {
      this.busy = true;
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.busy = false;
        finish();
        this.drain();
      }, reply.delayMs);
      this.timers.add(t);
    } else finish();
  }

  private afterReply(close: boolean, paged: boolean): void {
    if (close) {
      this.flush();
      this.closed = true;
      this.io.close();
      return;
    }
    if (!paged) this.write(this.cli.prompt());
  }

  private pagerKey(ch: string): void {
    const rest = this.paging!;
    const page = this.cli.pagerLines;
    this.write(ERASE_MORE);
    if (ch === 'q' || ch === 'Q' || ch === '\x03') {
      this.paging = null;
      this.write(this.cli.prompt());
      return;
    }
    // Space: next page; Enter: next line, as on the real pager.
    const n = ch === '\r' || ch === '\n' ? 1 : Math.max(1, page - 1);
    const now = rest.slice(0, n);
    const later = rest.slice(n);
    if (now.length) this.write(now.join('\r\n') + '\r\n');
    if (later.length) {
      this.paging = later;
      this.write(MORE);
    } else {
      this.paging = null;
      this.write(this.cli.prompt());
    }
  }

  private drain(): void {
    const chars = this.pending;
    this.pending = [];
    this.input(chars.join(''));
  }

  private write(text: string): void {
    if (this.closed) return;
    if (this.held) this.held.push(text);
    else this.io.write(text);
  }
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
