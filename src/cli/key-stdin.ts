/**
 * Ink hands a component each chunk of plain text it reads from the terminal as one input, and
 * isolates only Backspace and Ctrl+C. A name typed and Enter pressed while the dashboard is busy
 * drawing (or sent together by an SSH client over a slow link) arrive as one chunk, "r01-n002\r",
 * which a text field takes as text: the Enter is lost, and the operator's confirmation with it.
 * This stdin gives Ink Enter, newline and Tab as keys of their own, each in a turn of its own.
 */
const ESC = '\u001b';
const OWN_KEYS = new Set(['\r', '\n', '\t']);

/**
 * The chunk cut before and after each Enter, newline and Tab, except one right after ESC (Alt+Enter
 * is one key). Nothing else is cut: an escape sequence never holds these characters, and Ink joins
 * what it reads inside a bracketed paste until the paste ends, however the reads were cut.
 */
export function keyChunks(chunk: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < chunk.length; i++) {
    if (!OWN_KEYS.has(chunk[i]!) || chunk[i - 1] === ESC) continue;
    if (i > from) out.push(chunk.slice(from, i));
    out.push(chunk[i]!);
    from = i + 1;
  }
  if (from < chunk.length) out.push(chunk.slice(from));
  return out;
}

/**
 * `stdin` whose read() answers keyChunks' pieces one event-loop turn apart: Ink emits what one
 * read loop gets in one go, before React renders, so a text field would submit the value it had
 * before the typed text went in. After a piece with more to come, read() answers null until the
 * next turn, then the stream says it is readable again. Everything else is stdin's own.
 */
export function keyByKeyStdin<S extends NodeJS.ReadableStream>(stdin: S): S {
  const queue: string[] = [];
  let held = false;
  const read = (): unknown => {
    if (held) return null;
    while (queue.length === 0) {
      const chunk: unknown = stdin.read();
      if (typeof chunk !== 'string') return chunk; // null: nothing more now; a Buffer as it is
      queue.push(...keyChunks(chunk));
    }
    const piece = queue.shift()!;
    if (queue.length > 0) {
      held = true;
      setImmediate(() => {
        held = false;
        stdin.emit('readable');
      });
    }
    return piece;
  };
  return new Proxy(stdin, {
    get(target, prop) {
      if (prop === 'read') return read;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
