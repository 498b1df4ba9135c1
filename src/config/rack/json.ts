import { quote } from './quote.ts';

/**
 * A strict JSON reader for hand-edited files. JSON.parse is not used because its messages quote
 * the surrounding text (which may hold a password) and often omit the position, and because it
 * silently keeps the last of two identical keys, hiding a typo such as a port written twice.
 */

export type JsonResult =
  | { ok: true; value: unknown; duplicates: { path: (string | number)[]; line: number; column: number }[] }
  | { ok: false; line: number; column: number; message: string };

const MAX_DEPTH = 64;

class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

/**
 * The characters from `start` to `end` as a string of their own. A slice of 13 characters or more
 * is a view into the whole text in V8, which keeps the text alive for as long as the value lives:
 * a runner kept two copies of a 4.3 MB rack file of 10,000 hosts through its MAC addresses alone.
 */
function copyOut(text: string, start: number, end: number): string {
  return end - start < 13 ? text.slice(start, end) : Buffer.from(text.slice(start, end)).toString();
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The reader's place in the text, the path to the value being read, the keys written twice. */
class JsonReader {
  pos = 0;
  readonly path: (string | number)[] = [];
  readonly duplicates: { path: (string | number)[]; pos: number }[] = [];

  constructor(readonly text: string) {}

  describe(p: number): string {
    if (p >= this.text.length) return 'the end of the file';
    const ch = this.text[p]!;
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).padStart(4, '0')})`;
    if (code > 0x7e) return `the character U+${code.toString(16).padStart(4, '0')}`;
    return `'${ch}'`;
  }
  fail(what: string, p = this.pos): never {
    throw new JsonSyntaxError(`${what}, found ${this.describe(p)}`, p);
  }
  ws(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  str(): string {
    const start = this.pos;
    let escaped = false;
    this.pos++; // opening quote
    while (true) {
      if (this.pos >= this.text.length)
        throw new JsonSyntaxError('unterminated string (missing closing ")', start);
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x22) break;
      if (c === 0x0a || c === 0x0d)
        throw new JsonSyntaxError('line break inside a string (missing closing "?)', this.pos);
      if (c < 0x20) this.fail('control character inside a string (write it as a \\u escape)');
      if (c === 0x5c) {
        escaped = true;
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6)))
            this.fail('bad \\u escape in string', this.pos);
          this.pos += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e))
          this.fail('bad escape in string (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', this.pos + 1);
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    this.pos++; // closing quote
    return escaped
      ? (JSON.parse(this.text.slice(start, this.pos)) as string)
      : copyOut(this.text, start + 1, this.pos - 1);
  }

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.str();
    if (c === 't' && this.text.startsWith('true', this.pos)) return ((this.pos += 4), true);
    if (c === 'f' && this.text.startsWith('false', this.pos)) return ((this.pos += 5), false);
    if (c === 'n' && this.text.startsWith('null', this.pos)) return ((this.pos += 4), null);
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(this.text);
    if (m) {
      this.pos += m[0].length;
      return Number(m[0]);
    }
    if (c === "'") this.fail('expected a value (JSON strings use double quotes)');
    return this.fail('expected a value');
  }

  object(depth: number): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.pos++;
    this.ws();
    if (this.text[this.pos] === '}') return (this.pos++, obj);
    while (true) {
      this.ws();
      if (this.text[this.pos] !== '"') {
        if (this.text[this.pos] === '}') throw new JsonSyntaxError('trailing comma before }', this.pos);
        this.fail('expected a field name in double quotes');
      }
      const keyPos = this.pos;
      const key = this.str();
      this.ws();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after field name`);
      this.pos++;
      this.path.push(key);
      const v = this.value(depth + 1);
      if (seen.has(key)) this.duplicates.push({ path: [...this.path], pos: keyPos });
      this.path.pop();
      seen.add(key);
      // defineProperty only for "__proto__", so it stays an ordinary (and then unknown) field
      // instead of replacing the prototype; plain assignment keeps objects fast for the rest.
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      } else obj[key] = v;
      this.ws();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.text[this.pos] === '}') return (this.pos++, obj);
      this.fail(`expected ',' or '}' after the value of ${quote(key, 32)}`);
    }
  }

  array(depth: number): unknown[] {
    const arr: unknown[] = [];
    this.pos++;
    this.ws();
    if (this.text[this.pos] === ']') return (this.pos++, arr);
    while (true) {
      this.ws();
      if (this.text[this.pos] === ']') throw new JsonSyntaxError('trailing comma before ]', this.pos);
      this.path.push(arr.length);
      arr.push(this.value(depth + 1));
      this.path.pop();
      this.ws();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      if (this.text[this.pos] === ']') return (this.pos++, arr);
      this.fail(`expected ',' or ']' in list`);
    }
  }
}

export function parseJson(text: string): JsonResult {
  const r = new JsonReader(text);
  try {
    r.ws();
    if (r.pos >= text.length) throw new JsonSyntaxError('the file is empty', r.pos);
    const v = r.value(0);
    r.ws();
    if (r.pos < text.length) r.fail('text after the end of the JSON value');
    return {
      ok: true,
      value: v,
      duplicates: r.duplicates.map((d) => ({ path: d.path, ...lineColumn(text, d.pos) })),
    };
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return { ok: false, message: err.message, ...lineColumn(text, err.pos) };
  }
}
