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

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJson(text: string): JsonResult {
  let pos = 0;
  const path: (string | number)[] = [];
  const duplicates: { path: (string | number)[]; pos: number }[] = [];

  const describe = (p: number): string => {
    if (p >= text.length) return 'the end of the file';
    const ch = text[p]!;
    const code = ch.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).padStart(4, '0')})`;
    if (code > 0x7e) return `the character U+${code.toString(16).padStart(4, '0')}`;
    return `'${ch}'`;
  };
  const fail = (what: string, p = pos): never => {
    throw new JsonSyntaxError(`${what}, found ${describe(p)}`, p);
  };
  const ws = () => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };

  const str = (): string => {
    const start = pos;
    let escaped = false;
    pos++; // opening quote
    while (true) {
      if (pos >= text.length) throw new JsonSyntaxError('unterminated string (missing closing ")', start);
      const c = text.charCodeAt(pos);
      if (c === 0x22) break;
      if (c === 0x0a || c === 0x0d)
        throw new JsonSyntaxError('line break inside a string (missing closing "?)', pos);
      if (c < 0x20) fail('control character inside a string (write it as a \\u escape)');
      if (c === 0x5c) {
        escaped = true;
        const e = text[pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 2, pos + 6))) fail('bad \\u escape in string', pos);
          pos += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e))
          fail('bad escape in string (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', pos + 1);
        pos += 2;
        continue;
      }
      pos++;
    }
    pos++; // closing quote
    return escaped ? (JSON.parse(text.slice(start, pos)) as string) : text.slice(start + 1, pos - 1);
  };

  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    ws();
    const c = text[pos];
    if (c === '{') return object(depth);
    if (c === '[') return array(depth);
    if (c === '"') return str();
    if (c === 't' && text.startsWith('true', pos)) return ((pos += 4), true);
    if (c === 'f' && text.startsWith('false', pos)) return ((pos += 5), false);
    if (c === 'n' && text.startsWith('null', pos)) return ((pos += 4), null);
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m) {
      pos += m[0].length;
      return Number(m[0]);
    }
    if (c === "'") fail('expected a value (JSON strings use double quotes)');
    return fail('expected a value');
  };

  const object = (depth: number): Record<string, unknown> => {
    const obj: Record<string, unknown> = {};
    const seen = new Set<string>();
    pos++;
    ws();
    if (text[pos] === '}') return (pos++, obj);
    while (true) {
      ws();
      if (text[pos] !== '"') {
        if (text[pos] === '}') throw new JsonSyntaxError('trailing comma before }', pos);
        fail('expected a field name in double quotes');
      }
      const keyPos = pos;
      const key = str();
      ws();
      if (text[pos] !== ':') fail(`expected ':' after field name`);
      pos++;
      path.push(key);
      const v = value(depth + 1);
      if (seen.has(key)) duplicates.push({ path: [...path], pos: keyPos });
      path.pop();
      seen.add(key);
      // defineProperty only for "__proto__", so it stays an ordinary (and then unknown) field
      // instead of replacing the prototype; plain assignment keeps objects fast for the rest.
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
      } else obj[key] = v;
      ws();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === '}') return (pos++, obj);
      fail(`expected ',' or '}' after the value of ${quote(key, 32)}`);
    }
  };

  const array = (depth: number): unknown[] => {
    const arr: unknown[] = [];
    pos++;
    ws();
    if (text[pos] === ']') return (pos++, arr);
    while (true) {
      ws();
      if (text[pos] === ']') throw new JsonSyntaxError('trailing comma before ]', pos);
      path.push(arr.length);
      arr.push(value(depth + 1));
      path.pop();
      ws();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (text[pos] === ']') return (pos++, arr);
      fail(`expected ',' or ']' in list`);
    }
  };

  try {
    ws();
    if (pos >= text.length) throw new JsonSyntaxError('the file is empty', pos);
    const v = value(0);
    ws();
    if (pos < text.length) fail('text after the end of the JSON value');
    return {
      ok: true,
      value: v,
      duplicates: duplicates.map((d) => ({ path: d.path, ...lineColumn(text, d.pos) })),
    };
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    return { ok: false, message: err.message, ...lineColumn(text, err.pos) };
  }
}
