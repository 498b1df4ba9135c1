import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { until } from '../e2e/helpers.ts';
import { keyByKeyStdin, keyChunks } from '../../src/cli/key-stdin.ts';

describe('keys read in one chunk', () => {
  it('cuts Enter, newline and Tab out of typed text, and nothing else', () => {
    expect(keyChunks('r01-n002\r')).toEqual(['r01-n002', '\r']);
    expect(keyChunks('ab\tcd\r\r')).toEqual(['ab', '\t', 'cd', '\r', '\r']);
    expect(keyChunks('\n')).toEqual(['\n']);
    expect(keyChunks('jjj')).toEqual(['jjj']);
    // An arrow key's escape sequence stays whole; Alt+Enter (ESC CR) is one key.
    expect(keyChunks('\u001b[Bab\r')).toEqual(['\u001b[Bab', '\r']);
    expect(keyChunks('\u001b\r')).toEqual(['\u001b\r']);
  });

  it('a stdin that answers the pieces one event-loop turn apart, the rest of the stream untouched', async () => {
    const raw = new PassThrough();
    raw.setEncoding('utf8');
    const stdin = keyByKeyStdin(raw);
    const turns: unknown[][] = [];
    // As Ink reads: everything read() answers, until null, on each 'readable'.
    const readAll = () => {
      const reads: unknown[] = [];
      for (let r = stdin.read(); r !== null; r = stdin.read()) reads.push(r);
      if (reads.length) turns.push(reads);
    };
    stdin.on('readable', readAll);
    raw.write('r01-n00\rx');
    await until(() => turns.flat().length === 3, 'three pieces read', 5_000);
    expect(turns).toEqual([['r01-n00'], ['\r'], ['x']]);
    // Methods are the stream's own, bound to it.
    expect(stdin.listenerCount('readable')).toBe(1);
    stdin.off('readable', readAll);
    expect(raw.listenerCount('readable')).toBe(0);
  });
});
