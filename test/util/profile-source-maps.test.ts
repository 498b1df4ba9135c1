import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { sourceMapResolver } from '../../bench/profile/source-maps.ts';
import { profileShares } from '../../bench/profile/shares.ts';

describe("a profile's bundle frames", () => {
  it('are named by the source file they were bundled from, through the map beside the bundle', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-srcmap-'));
    const out = transformSync('export function hot(n: number): number {\n  return n * 2;\n}\n', {
      loader: 'ts',
      format: 'esm',
      sourcemap: 'external',
      sourcefile: '../src/runner/hot.ts',
    });
    const bundle = join(dir, 'dist', 'runner-ABC.js');
    mkdirSync(join(dir, 'dist'));
    writeFileSync(bundle, out.code);
    writeFileSync(`${bundle}.map`, out.map);
    const line = out.code.split('\n').findIndex((l) => l.includes('function hot'));
    const frame = { functionName: 'hot', url: `file://${bundle}`, lineNumber: line, columnNumber: 0 };
    const resolve = sourceMapResolver();
    expect(resolve(frame).url).toBe(join(dir, 'src', 'runner', 'hot.ts'));
    // A frame without a map beside its file, and Node's own, stay as they were.
    expect(resolve({ ...frame, url: 'node:internal/streams/writable' })).toEqual({
      ...frame,
      url: 'node:internal/streams/writable',
    });
    const shares = profileShares(
      [{ nodes: [{ id: 1, callFrame: frame }], samples: [1, 1], timeDeltas: [1000, 1000] }],
      'package',
      dir,
      resolve,
    );
    expect(shares.rows).toEqual([{ where: 'src/runner', ms: 2, share: 1 }]);
  });
});
