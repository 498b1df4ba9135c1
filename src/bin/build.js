#!/usr/bin/env node
// `npm run build`: bundles the command line into dist/ (see bundle.js). Starting from one bundle
// instead of compiling ~200 TypeScript files at each start halves the time to the first screen
// and leaves the TypeScript loader's thread out of every dashboard and runner.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DIST, INPUTS, ROOT } from './bundle.js';

const root = fileURLToPath(ROOT);
const dist = fileURLToPath(DIST);
const builtAt = Date.now();
// `rackpilot --version`: what was built, from which commit, when.
const buildInfo = {
  version: JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')).version,
  commit: gitCommit(),
  date: new Date(builtAt).toISOString().replace(/\.\d+Z$/, 'Z'),
};

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
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.tsx'],
  outdir: dist,
  bundle: true,
  // Each command and each lazily loaded part (the lab, SSH, etcd) stays its own chunk, loaded
  // only when used: the dashboard does not carry them.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  tsconfig: 'tsconfig.json',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  define: { __RACKPILOT_BUILD__: JSON.stringify(buildInfo) },
  // Loaded from node_modules at run time: native add-ons (ssh2's optional cpu-features), gRPC's
  // protobuf files (etcd3), and Ink's optional developer tools.
  external: ['ssh2', 'etcd3', 'cpu-features', 'react-devtools-core'],
  // CommonJS packages inside an ES module bundle still call require().
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
});
const inputs = Object.keys(result.metafile.inputs)
  .filter((f) => !f.startsWith('<'))
  .map((f) => relative(root, new URL(f, ROOT).pathname));
writeFileSync(INPUTS, JSON.stringify({ builtAt, inputs }) + '\n');
console.log(`rackpilot: bundled ${inputs.length} files into ${relative(process.cwd(), dist) || dist}`);
