import type { Key } from 'ink';

/** Ctrl-] gives the console keyboard back (telnet's escape key: no shell or boot loader uses it). */
export function isConsoleRelease(input: string, key: Key): boolean {
  return input === '\x1d' || (key.ctrl && input === ']');
}

/** The bytes a serial terminal (VT100) sends for a key, as Ink reports it. */
export function keysForHost(input: string, key: Key): Buffer {
  if (key.return) return Buffer.from('\r');
  if (key.backspace || key.delete) return Buffer.from('\x7f');
  if (key.escape) return Buffer.from('\x1b');
  if (key.tab) return Buffer.from('\t');
  if (key.upArrow) return Buffer.from('\x1b[A');
  if (key.downArrow) return Buffer.from('\x1b[B');
  if (key.rightArrow) return Buffer.from('\x1b[C');
  if (key.leftArrow) return Buffer.from('\x1b[D');
  if (key.ctrl && /^[a-z]$/i.test(input)) return Buffer.from([input.toLowerCase().charCodeAt(0) - 96]);
  return Buffer.from(input, 'utf8');
}
