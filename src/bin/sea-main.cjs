// The first code the single executable runs (Node's single-executable-application main script,
// which may only require Node's own modules). The program itself is embedded as assets: written
// once to a private cache directory named after their digest, then loaded as ordinary ES modules,
// so its lazily imported parts (the lab, SSH, etcd) stay lazy and etcd's protocol files are files.
'use strict';
const { getAsset } = require('node:sea');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');

const manifest = JSON.parse(getAsset('manifest.json', 'utf8'));

function cacheRoots() {
  const roots = [];
  if (process.env.XDG_CACHE_HOME) roots.push(process.env.XDG_CACHE_HOME);
  if (process.env.HOME) roots.push(path.join(process.env.HOME, '.cache'));
  roots.push(path.join(os.tmpdir(), `rackpilot-${process.getuid?.() ?? 'user'}`));
  return roots.map((r) => path.join(r, 'rackpilot', manifest.id));
}

function unpack(dir) {
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.mkdirSync(path.dirname(dir), { recursive: true, mode: 0o700 });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  for (const name of manifest.files) {
    const file = path.join(tmp, name);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, new Uint8Array(getAsset(name)), { mode: 0o600 });
  }
  fs.writeFileSync(path.join(tmp, '.complete'), manifest.id + '\n', { mode: 0o600 });
  try {
    fs.renameSync(tmp, dir);
  } catch (err) {
    // Another rackpilot unpacked the same build first: its copy is as good as this one.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, '.complete'))) throw err;
  }
  return dir;
}

let dir;
const failures = [];
for (const candidate of cacheRoots()) {
  try {
    dir = unpack(candidate);
    break;
  } catch (err) {
    failures.push(`${candidate}: ${err.message}`);
  }
}
if (!dir) {
  process.stderr.write(
    `rackpilot: cannot unpack itself:\n  ${failures.join('\n  ')}\n  → set XDG_CACHE_HOME to a writable directory\n`,
  );
  process.exit(70);
}

process.env.NODE_ENV ??= 'production';
// The runner returns the memory of a large machine list at once (a runner started by a checkout
// gets the same through node's --expose-gc, which an executable cannot take on its command line).
if (process.argv[2] === 'runner' && process.argv[3] === 'serve') {
  require('node:v8').setFlagsFromString('--expose-gc');
  globalThis.gc = require('node:vm').runInNewContext('gc');
}
// A file module may import(); this script may not.
createRequire(path.join(dir, 'load.cjs'))('./load.cjs')(pathToFileURL(path.join(dir, 'app', 'cli.js')).href);
