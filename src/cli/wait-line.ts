import yoctoSpinner, { type Spinner } from 'yocto-spinner';
import type { Writable } from 'node:stream';
import { fit } from '../../components/format.ts';
import { formatElapsed } from '../../components/step-progress.ts';

/** A wait shorter than this shows nothing: most answers come sooner, and a flash is noise. */
export const SHOW_AFTER_MS = 300;
const TICK_MS = 250;

/** The line's text for a wait: what is awaited and for how long. */
export function waitText(what: string, elapsedMs: number): string {
  return `${what} (${formatElapsed(elapsedMs)})`;
}

/**
 * Whether a stream gets the wait line: a terminal an operator reads, as the spinner library judges
 * it (not TERM=dumb, not CI), so that it never falls back to printing a line per redraw.
 */
export function waitLineStream(
  stream: { write(s: string): unknown; isTTY?: boolean },
  opts: { json: boolean; env?: Readonly<Record<string, string | undefined>> },
): Writable | null {
  const env = opts.env ?? process.env;
  return stream.isTTY && !opts.json && env['TERM'] !== 'dumb' && !('CI' in env) ? (stream as Writable) : null;
}

/**
 * While a command waits on something (the runner starting, MaaS, a switch's login, a BMC), one line
 * on stderr says so: a spinner, what is awaited and the time so far, redrawn in place and cleared
 * when the wait ends. Only on a terminal: with no stream (stderr piped, --json) nothing is drawn.
 * Nested waits show the innermost one; the line goes when the last ends.
 */
export class WaitLine {
  private readonly waits: { id: number; what: string | (() => string); since: number }[] = [];
  private next = 1;
  private spinner: Spinner | null = null;
  private showTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private readonly restoreCursor = () => this.stream?.write('\u001B[?25h');

  constructor(
    private readonly stream: (Writable & { isTTY?: boolean; columns?: number }) | null,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Starts a wait; the returned function ends it (calling it twice is harmless). A function label is
   * read again at each redraw and says its own times (a followed task's running step).
   */
  begin(what: string | (() => string)): () => void {
    if (!this.stream) return () => undefined;
    const id = this.next++;
    this.waits.push({ id, what, since: this.clock() });
    if (this.spinner) this.redraw();
    else this.showTimer ??= setTimeout(() => this.show(), SHOW_AFTER_MS);
    return () => this.end(id);
  }

  /** Ends every wait and clears the line (the command is over). */
  close(): void {
    this.waits.length = 0;
    this.hide();
  }

  private end(id: number): void {
    const i = this.waits.findIndex((w) => w.id === id);
    if (i < 0) return;
    this.waits.splice(i, 1);
    if (this.waits.length === 0) this.hide();
    else this.redraw();
  }

  private show(): void {
    this.showTimer = null;
    if (this.waits.length === 0 || !this.stream) return;
    // The CLI handles Ctrl-C itself (it detaches from a followed task): the spinner must not exit.
    this.spinner = yoctoSpinner({ stream: this.stream, handleSignals: false, text: this.text() }).start();
    process.once('exit', this.restoreCursor);
    this.tickTimer = setInterval(() => this.redraw(), TICK_MS);
    this.tickTimer.unref();
  }

  private redraw(): void {
    if (this.spinner) this.spinner.text = this.text();
  }

  private text(): string {
    const w = this.waits[this.waits.length - 1];
    if (!w) return '';
    const text = typeof w.what === 'function' ? w.what() : waitText(w.what, this.clock() - w.since);
    // One line, never wrapped: the spinner and a space take two cells.
    return fit(text, Math.max(10, (this.stream?.columns ?? 80) - 3));
  }

  private hide(): void {
    if (this.showTimer) clearTimeout(this.showTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.showTimer = this.tickTimer = null;
    if (!this.spinner) return;
    // stop() clears the line and shows the cursor again.
    this.spinner.stop();
    this.spinner = null;
    process.off('exit', this.restoreCursor);
  }
}
