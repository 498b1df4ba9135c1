/**
 * A value from a file or the environment, quoted for an error message: printable ASCII only, so a
 * stray escape sequence or newline in a bad value cannot rewrite the operator's terminal, and
 * shortened so one absurd value does not flood the screen.
 */
export function quote(value: unknown, max = 48): string {
  const text = typeof value === 'string' ? value : String(value);
  const cut = text.length > max ? text.slice(0, max) : text;
  let out = '"';
  for (const ch of cut) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (code >= 0x20 && code < 0x7f) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code <= 0xffff) out += '\\u' + code.toString(16).padStart(4, '0');
    else out += '\\u{' + code.toString(16) + '}';
  }
  return out + '"' + (text.length > max ? '…' : '');
}
