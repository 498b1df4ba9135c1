#!/usr/bin/env node
// `npm run release`: rackpilot as one executable for linux-x64 (Node's single executable
// application: the node binary of the `node` devDependency with the program injected by postject),
// and a tarball beside it: the executable, the man page, the completions, .env.example, a sample
// rack file and SHA256SUMS. Everything lands in release/.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { inject } from 'postject';
import { ROOT } from './bundle.js';
import { baseOptions, buildInfo, REQUIRE_BANNER } from './esbuild-base.js';

const root = fileURLToPath(ROOT);
const out = join(root, 'release');
const work = join(out, 'work');
const info = buildInfo();
const arch = process.arch === 'x64' ? 'x64' : process.arch;
const name = `rackpilot-${info.version}-linux-${arch}`;
const stage = join(out, name);
// The node binary the executable is made of: the `node` devDependency's (Node 22), never the system's.
const NODE = join(root, 'node_modules/node/bin/node');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(work, 'app'), { recursive: true });
mkdirSync(stage, { recursive: true });

// 1. The program, every dependency inside (ssh2 and etcd3 too). Native add-ons stay out: ssh2
// uses its JavaScript crypto when its optional binding is absent.
await build({
  ...baseOptions(info),
  outdir: join(work, 'app'),
  minify: true,
  external: ['*.node', 'cpu-features', 'react-devtools-core'],
  banner: {
    js: `${REQUIRE_BANNER} import { fileURLToPath as __rpPath } from 'node:url'; const __filename = __rpPath(import.meta.url); const __dirname = __rpPath(new URL('.', import.meta.url));`,
  },
});
// etcd3 reads its gRPC protocol from ../proto beside its code: beside the app here.
cpSync(join(root, 'node_modules/etcd3/proto'), join(work, 'proto'), { recursive: true });
copyFileSync(join(root, 'src/bin/sea-load.cjs'), join(work, 'load.cjs'));

// 2. The assets and their digest: the executable unpacks them once per build, by this id.
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else files.push(relative(work, p));
  }
};
walk(work);
files.sort();
const digest = createHash('sha256');
for (const f of files)
  digest
    .update(f)
    .update('\0')
    .update(readFileSync(join(work, f)));
const id = `${info.version}-${digest.digest('hex').slice(0, 16)}`;
writeFileSync(join(out, 'manifest.json'), JSON.stringify({ id, files }));
const seaConfig = {
  main: join(root, 'src/bin/sea-main.cjs'),
  output: join(out, 'sea-prep.blob'),
  disableExperimentalSEAWarning: true,
  useCodeCache: false,
  assets: {
    'manifest.json': join(out, 'manifest.json'),
    ...Object.fromEntries(files.map((f) => [f, join(work, f)])),
  },
};
writeFileSync(join(out, 'sea-config.json'), JSON.stringify(seaConfig, null, 2));
execFileSync(NODE, ['--experimental-sea-config', join(out, 'sea-config.json')], { stdio: 'inherit' });

// 3. The executable: node with the blob injected.
const exe = join(stage, 'rackpilot');
copyFileSync(NODE, exe);
chmodSync(exe, 0o755);
await inject(exe, 'NODE_SEA_BLOB', readFileSync(join(out, 'sea-prep.blob')), {
  sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
});

// 4. What goes beside it: man page and completions (from the executable itself), settings example,
// a sample rack file, checksums.
const docs = (args, file) =>
  writeFileSync(
    join(stage, file),
    execFileSync(exe, args, { env: { ...process.env, RACKPILOT_ENV_FILE: '' } }),
  );
mkdirSync(join(stage, 'completions'));
docs(['__man'], 'rackpilot.1');
docs(['completion', 'bash'], 'completions/rackpilot.bash');
docs(['completion', 'zsh'], 'completions/_rackpilot');
docs(['completion', 'fish'], 'completions/rackpilot.fish');
copyFileSync(join(root, '.env.example'), join(stage, '.env.example'));
copyFileSync(join(root, 'test/fixtures/rack/extended.json'), join(stage, 'rack.sample.json'));
const sums = [];
const sumWalk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sumWalk(p);
    else sums.push(`${createHash('sha256').update(readFileSync(p)).digest('hex')}  ${relative(stage, p)}`);
  }
};
sumWalk(stage);
writeFileSync(join(stage, 'SHA256SUMS'), sums.join('\n') + '\n');
execFileSync('tar', ['-czf', `${name}.tar.gz`, name], { cwd: out });
rmSync(work, { recursive: true, force: true });
const mb = (p) => (statSync(p).size / 1024 / 1024).toFixed(1);
console.log(
  `rackpilot: ${relative(process.cwd(), exe)} (${mb(exe)} MB), ${relative(process.cwd(), join(out, `${name}.tar.gz`))} (${mb(join(out, `${name}.tar.gz`))} MB)`,
);
