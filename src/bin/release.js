#!/usr/bin/env node
// `npm run release`: rackpilot as one executable for linux-x64 and one for linux-arm64 (Node's single
// executable application: a Node 22 binary with the program injected by postject), and a tarball
// beside each: the executable, the man page, the completions, .env.example, a sample rack file and
// SHA256SUMS; release/SHA256SUMS covers both tarballs. Everything lands in release/.
import { execFile, execFileSync } from 'node:child_process';
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
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { inject } from 'postject';
import { ROOT } from './bundle.js';
import { baseOptions, buildInfo, REQUIRE_BANNER } from './esbuild-base.js';
import { nodeFor, TARGETS } from './release-node.js';

const root = fileURLToPath(ROOT);
const out = join(root, 'release');
const work = join(out, 'work');
const info = buildInfo();
if (process.platform !== 'linux' || !TARGETS.includes(process.arch)) {
  console.error(
    `rackpilot release: builds on linux-${TARGETS.join(' or linux-')}, not ${process.platform}-${process.arch}`,
  );
  process.exit(1);
}
/** A target's Node, or the reason there is none (an unpinned version, a wrong integrity) and exit. */
function nodeOrExit(arch, dir) {
  try {
    return nodeFor(root, arch, dir);
  } catch (err) {
    console.error(err.message);
    process.exit(1);
  }
}
const stageName = (arch) => `rackpilot-${info.version}-linux-${arch}`;
// The node binary that makes the blob: the `node` devDependency's (Node 22), never the system's.
const NODE = nodeOrExit(process.arch, work);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(work, 'app'), { recursive: true });

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

// 3. The executables: each target's node with the same blob injected. The blob holds neither code
// cache nor snapshot (both bound to the CPU that made them), so one blob serves both.
const blob = readFileSync(join(out, 'sea-prep.blob'));
const stages = [];
for (const arch of [process.arch, ...TARGETS.filter((a) => a !== process.arch)]) {
  const stage = join(out, stageName(arch));
  mkdirSync(join(stage, 'completions'), { recursive: true });
  const exe = join(stage, 'rackpilot');
  copyFileSync(nodeOrExit(arch, join(work, `node-${arch}`)), exe);
  chmodSync(exe, 0o755);
  await inject(exe, 'NODE_SEA_BLOB', blob, {
    sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  });
  stages.push({ arch, stage, exe });
}

// 4. What goes beside each: man page and completions (written by this machine's executable, the
// same for every target), settings example, a sample rack file, checksums.
const docFiles = {
  'rackpilot.1': ['__man'],
  'completions/rackpilot.bash': ['completion', 'bash'],
  'completions/_rackpilot': ['completion', 'zsh'],
  'completions/rackpilot.fish': ['completion', 'fish'],
};
const docs = Object.entries(docFiles).map(([file, args]) => [
  file,
  execFileSync(stages[0].exe, args, { env: { ...process.env, RACKPILOT_ENV_FILE: '' } }),
]);
const sha256 = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');
for (const { stage } of stages) {
  for (const [file, text] of docs) writeFileSync(join(stage, file), text);
  copyFileSync(join(root, '.env.example'), join(stage, '.env.example'));
  copyFileSync(join(root, 'test/fixtures/rack/extended.json'), join(stage, 'rack.sample.json'));
  const sums = [];
  const sumWalk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) sumWalk(p);
      else sums.push(`${sha256(p)}  ${relative(stage, p)}`);
    }
  };
  sumWalk(stage);
  writeFileSync(join(stage, 'SHA256SUMS'), sums.join('\n') + '\n');
}

// 5. The tarballs (compressed side by side: gzip takes one core each) and their checksums.
const tarballs = stages.map(({ arch }) => `${stageName(arch)}.tar.gz`);
await Promise.all(
  stages.map(({ arch }, i) =>
    promisify(execFile)('tar', ['-czf', tarballs[i], stageName(arch)], { cwd: out }),
  ),
);
writeFileSync(
  join(out, 'SHA256SUMS'),
  tarballs.map((t) => `${sha256(join(out, t))}  ${t}`).join('\n') + '\n',
);
rmSync(work, { recursive: true, force: true });
const mb = (p) => (statSync(p).size / 1024 / 1024).toFixed(1);
for (const [i, { exe }] of stages.entries()) {
  const tgz = join(out, tarballs[i]);
  console.log(
    `rackpilot: ${relative(process.cwd(), exe)} (${mb(exe)} MB), ${relative(process.cwd(), tgz)} (${mb(tgz)} MB)`,
  );
}
