/**
 * The console pane's screen: a headless terminal emulator (@xterm/headless, xterm.js's parser and
 * buffer without a renderer) of the pane's size. The host's bytes act on this screen only: cursor
 * moves stay inside it, title changes, OSC, DCS and every other sequence are consumed by the
 * emulator, and the pane shows the cells' characters, never the bytes the host sent.
 */
import xtermHeadless from '@xterm/headless';

const { Terminal } = xtermHeadless;

/** Characters a cell may hold that would still act on the operator's terminal or reorder its line. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;

export class ConsoleScreen {
  private readonly term: InstanceType<typeof Terminal>;

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.term = new Terminal({
      cols: Math.max(2, cols),
      rows: Math.max(1, rows),
      scrollback: 0,
      allowProposedApi: true,
    });
  }

  /** Feed the host's bytes; `done` runs once they are on the screen (the emulator parses in slices). */
  write(bytes: Uint8Array, done?: () => void): void {
    this.term.write(bytes, done);
  }

  /** The screen's rows as plain text. */
  lines(): string[] {
    const buf = this.term.buffer.active;
    const out: string[] = [];
    for (let y = 0; y < this.rows; y++) {
      const line = buf.getLine(buf.viewportY + y);
      out.push((line?.translateToString(true) ?? '').replace(UNSAFE, ''));
    }
    return out;
  }

  dispose(): void {
    this.term.dispose();
  }
}
