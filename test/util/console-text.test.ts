import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consoleText, ConsoleTextFilter, lastLines } from '../../src/util/console-text.ts';

/** Nothing that a terminal acts on: ESC, C1 controls, BEL and the other C0 controls but newline and tab. */
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

describe('console text filter: a host cannot reach the operator terminal', () => {
  it('drops title changes, clipboard writes, DCS, cursor moves and screen clears, keeping the text', () => {
    const hostile = Buffer.from(
      [
        '\x1b]0;pwned title\x07login banner\r\n',
        '\x1b]52;c;cm0gLXJmIH4K\x1b\\clipboard\r\n',
        '\x1bP1$r0m\x1b\\dcs\r\n',
        '\x1b[2J\x1b[H\x1b[999;999Hcursor\x1b[6n\r\n',
        '\x1b]8;;http://evil/\x07link\x1b]8;;\x07\r\n',
        '\x9b2J\x9d0;eight-bit\x9cc1\r\n',
        '\x1bcreset\x1b7saved\r\n',
        'bell\x07\x0e\x0fshift\r\n',
      ].join(''),
    );
    expect(consoleText(hostile)).toEqual([
      'login banner',
      'clipboard',
      'dcs',
      'cursor',
      'link',
      'c1',
      'resetsaved',
      'bellshift',
    ]);
  });

  it('recognises a sequence split across two chunks', () => {
    const f = new ConsoleTextFilter();
    const out =
      f.push(Buffer.from('a\x1b]0;ti')) +
      f.push(Buffer.from('tle\x07b\x1b[')) +
      f.push(Buffer.from('31mc\n'));
    expect(out).toBe('abc\n');
  });

  it('applies carriage returns and backspaces to their line', () => {
    expect(consoleText(Buffer.from('progress 10%\rprogress 99%\r\nr01 login: rooo\b \bt\r\n'))).toEqual([
      'progress 99%',
      'r01 login: root',
    ]);
  });

  it('never lets a control through, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const f = new ConsoleTextFilter();
        let out = '';
        for (const c of chunks) out += f.push(Buffer.from(c));
        out += f.partial;
        return !TERMINAL_CONTROL.test(out);
      }),
      { numRuns: 500 },
    );
  });

  it('lastLines keeps the last n lines and a partial prompt', () => {
    const b = Buffer.from('one\r\ntwo\r\nthree\r\nlogin: ');
    expect(lastLines(b, 2).toString()).toBe('three\r\nlogin: ');
    expect(lastLines(Buffer.from('a\nb\n'), 1).toString()).toBe('b\n');
    expect(lastLines(b, 0).length).toBe(0);
  });
});
