#!/usr/bin/env node
// `npm run build`: bundles the command line into dist/ (see bundle.js). Starting from one bundle
// instead of compiling ~200 TypeScript files at each start halves the time to the first screen
// and leaves the TypeScript loader's thread out of every dashboard and runner.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DIST, INPUTS, ROOT } from './bundle.js';
import { baseOptions, buildInfo, REQUIRE_BANNER } from './esbuild-base.js';

const root = fileURLToPath(ROOT);
const dist = fileURLToPath(DIST);
const builtAt = Date.now();
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
const result = await build({
  ...baseOptions(buildInfo(builtAt)),
  outdir: dist,
  sourcemap: true,
  // Loaded from node_modules at run time: native add-ons (ssh2's optional cpu-features), gRPC's
  // protobuf files (etcd3), and Ink's optional developer tools.
  external: ['ssh2', 'etcd3', 'cpu-features', 'react-devtools-core'],
  banner: { js: REQUIRE_BANNER },
});
const inputs = Object.keys(result.metafile.inputs)
  .filter((f) => !f.startsWith('<'))
  .map((f) => relative(root, new URL(f, ROOT).pathname));
writeFileSync(INPUTS, JSON.stringify({ builtAt, inputs }) + '\n');
console.log(`rackpilot: bundled ${inputs.length} files into ${relative(process.cwd(), dist) || dist}`);
