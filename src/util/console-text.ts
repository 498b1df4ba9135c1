/**
 * A host's serial console as plain text for the operator's terminal: every escape sequence the
 * host sent (CSI cursor moves and colours, OSC title changes and hyperlinks, DCS, SOS/PM/APC
 * strings, single-character escapes, 8-bit C1 controls) is dropped, as are C0 controls other than
 * newline and tab; carriage returns and backspaces are applied to the line they act on. Nothing
 * the host sends can reach the operator's terminal as a control. Streaming: a sequence split
 * across two chunks is still recognised. Pure.
 */
import { StringDecoder } from 'node:string_decoder';

type Mode = 'text' | 'esc' | 'csi' | 'string' | 'string-esc';

export class ConsoleTextFilter {
  private readonly decoder = new StringDecoder('utf8');
  private mode: Mode = 'text';
  /** The line being built (what a carriage return or backspace acts on). */
  private line = '';

  /** Feed bytes; returns the complete lines they finished, each ending in '\n'. */
  push(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    let out = '';
    for (const ch of text) {
      const code = ch.codePointAt(0)!;
      switch (this.mode) {
        case 'esc':
          if (ch === '[') this.mode = 'csi';
          else if (ch === ']' || ch === 'P' || ch === 'X' || ch === '^' || ch === '_') this.mode = 'string';
          else this.mode = 'text'; // a two-character escape (ESC 7, ESC c, ESC =…): dropped
          continue;
        case 'csi':
          // Parameters and intermediates run 0x20–0x3F; the final byte 0x40–0x7E ends the sequence.
          if (code >= 0x40 && code <= 0x7e) this.mode = 'text';
          else if (code < 0x20 || code > 0x7e) this.mode = 'text'; // a broken sequence ends here
          continue;
        case 'string':
          // OSC ends with BEL or ST (ESC \); DCS, SOS, PM, APC with ST.
          if (code === 0x07) this.mode = 'text';
          else if (code === 0x1b) this.mode = 'string-esc';
          else if (code === 0x9c) this.mode = 'text';
          continue;
        case 'string-esc':
          this.mode = ch === '\\' ? 'text' : 'string';
          continue;
        case 'text':
          break;
      }
      if (code === 0x1b) {
        this.mode = 'esc';
      } else if (code === 0x9b) {
        this.mode = 'csi'; // 8-bit CSI
      } else if (code === 0x9d || code === 0x90 || code === 0x98 || code === 0x9e || code === 0x9f) {
        this.mode = 'string'; // 8-bit OSC, DCS, SOS, PM, APC
      } else if (ch === '\n') {
        out += this.line + '\n';
        this.line = '';
        this.pendingReturn = false;
      } else if (ch === '\r') {
        this.pendingReturn = true;
      } else if (ch === '\b' || code === 0x7f) {
        this.line = [...this.line].slice(0, -1).join('');
      } else if (ch === '\t') {
        this.write(ch);
      } else if (code < 0x20 || (code >= 0x80 && code < 0xa0) || isInvisibleFormatting(code)) {
        // Other controls (bell, shift in/out…) and C1 codes: dropped.
      } else {
        this.write(ch);
      }
    }
    return out;
  }

  /** The unfinished last line (a prompt such as `login: `), filtered. */
  get partial(): string {
    return this.line;
  }

  /** A carriage return not yet followed by anything: CR LF ends a line; CR then text rewrites it. */
  private pendingReturn = false;

  private write(ch: string): void {
    if (this.pendingReturn) {
      this.line = '';
      this.pendingReturn = false;
    }
    this.line += ch;
  }
}

/** Bidirectional overrides and isolates: they reorder the operator's line, so they go too. */
function isInvisibleFormatting(code: number): boolean {
  return (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

/** Console bytes as filtered text lines (the unfinished last line included when not empty). */
export function consoleText(data: Buffer): string[] {
  const f = new ConsoleTextFilter();
  const lines = f.push(data).split('\n');
  lines.pop();
  if (f.partial) lines.push(f.partial);
  return lines;
}

/** The last `n` lines of console bytes (a partial last line counts), as the bytes that hold them. */
export function lastLines(data: Buffer, n: number): Buffer {
  if (n <= 0) return Buffer.alloc(0);
  let end = data.length;
  // A trailing newline ends the last line rather than starting an empty one.
  if (end > 0 && data[end - 1] === 0x0a) end--;
  let seen = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (data[i] === 0x0a && ++seen === n) return data.subarray(i + 1);
  }
  return data;
}
