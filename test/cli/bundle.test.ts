import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { bundleIsFresh, ENTRY } from '../../src/bin/bundle.js';

const record = (builtAt: number, inputs: string[]) => () => JSON.stringify({ builtAt, inputs });
const mtimes = (m: Record<string, number>) => (url: URL) => {
  const file = Object.keys(m).find((f) => url.pathname.endsWith(`/${f}`));
  if (file === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  return { mtimeMs: m[file]! };
};

describe('the bundle in dist/', () => {
  it('runs only while every file it was built from is older than the build', () => {
    const files = { 'src/cli/index.tsx': 900, 'components/HostTable.tsx': 950 };
    expect(bundleIsFresh(record(1000, Object.keys(files)), mtimes(files))).toBe(true);
    // A source edited after the build: the sources run instead.
    expect(
      bundleIsFresh(record(1000, Object.keys(files)), mtimes({ ...files, 'src/cli/index.tsx': 1001 })),
    ).toBe(false);
    // A source moved or deleted since.
    expect(bundleIsFresh(record(1000, [...Object.keys(files), 'src/gone.ts']), mtimes(files))).toBe(false);
  });

  it('is stale when never built or its record is damaged', () => {
    const missing = () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    expect(bundleIsFresh(missing, mtimes({}))).toBe(false);
    expect(bundleIsFresh(() => '{"builtAt":', mtimes({}))).toBe(false);
    expect(bundleIsFresh(() => '{"builtAt":1000,"inputs":[]}', mtimes({}))).toBe(false);
    expect(bundleIsFresh(() => '{"inputs":["src/cli/index.tsx"]}', mtimes({ 'src/cli/index.tsx': 1 }))).toBe(
      false,
    );
  });

  // `npm ci` builds it (prepare): in CI every test that starts the command line runs the bundle,
  // as operators do, not the sources.
  it.runIf(process.env['CI'])('is built and fresh after npm ci, and runs', () => {
    expect(bundleIsFresh()).toBe(true);
    const out = execFileSync(process.execPath, [ENTRY.pathname, '--help'], { encoding: 'utf8' });
    expect(out).toContain('rackpilot [--read-only]');
  });
});
