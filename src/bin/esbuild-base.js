// What the checkout's bundle (build.js) and the single executable (release.js) are both built
// with: the command line's entry, Node 22, the version record `rackpilot --version` prints.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROOT } from './bundle.js';

const root = fileURLToPath(ROOT);

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    });
    return dirty.trim() ? `${commit}+changes` : commit;
  } catch {
    return process.env.RACKPILOT_COMMIT ?? 'unknown';
  }
}

/** `rackpilot --version`: what was built, from which commit, when. */
export function buildInfo(builtAt = Date.now()) {
  return {
    version: JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).version,
    commit: gitCommit(),
    date: new Date(builtAt).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/** esbuild options both builds share. */
export function baseOptions(info) {
  return {
    absWorkingDir: root,
    // Named cli: the entry point (bundle.js) and the single executable (sea-main.cjs) load cli.js.
    entryPoints: { cli: 'src/cli/index.tsx' },
    bundle: true,
    // Each command and each lazily loaded part (the lab, SSH, etcd) stays its own chunk, loaded
    // only when used: the dashboard does not carry them.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    tsconfig: 'tsconfig.json',
    metafile: true,
    logLevel: 'warning',
    define: { __RACKPILOT_BUILD__: JSON.stringify(info) },
  };
}

/** CommonJS packages inside an ES module bundle still call require(). */
export const REQUIRE_BANNER =
  "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);";
