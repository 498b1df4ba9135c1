import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm install` from a checkout with the system's older Node (Debian 12's Node 20): npm checks each
 * package's `engines` against the Node that runs npm, not the Node 22 rackpilot runs on, and the
 * project's .npmrc hides its warnings. This keeps what is hidden known: exactly these packages
 * (README: "Installing from a checkout on an older system Node" says why each), and nothing new
 * hidden unseen. npm reads the engines from the lockfile: `npm ci --dry-run --offline`, no network.
 */
const NEED_NODE_22: Record<string, string> = {
  ink: 'Ink 8 calls Promise.withResolvers (Node 22) and goes with React 19.3',
  chalk: "Ink 8's own dependency",
  'ansi-styles': "Ink 8's own dependency",
  'cli-truncate': "Ink 8's own dependency",
  'slice-ansi': "Ink 8's own dependency (through cli-truncate)",
  ky: 'ky 2, the MaaS HTTP client',
  vitest: 'vitest 5, the test runner (development only)',
};

const ROOT = resolve(import.meta.dirname, '../..');
const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p));
const systemNpm = ['/usr/bin/npm', '/usr/local/bin/npm'].find((p) => existsSync(p));
const systemMajor = systemNode
  ? Number(spawnSync(systemNode, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.split('.')[0])
  : NaN;
const older = systemNode !== undefined && systemNpm !== undefined && systemMajor < 22;
if (!older) console.warn('install engine test skipped: no system node and npm older than Node 22 here');

const work = mkdtempSync(join(tmpdir(), 'rackpilot-engines-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
for (const f of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(ROOT, f), join(work, f));

/** The system npm on the system Node, as a user's `npm ci`, with no npm settings from this run. */
function npmCi(...flags: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  const npmCli = join(dirname(realpathSync(systemNpm!)), 'npm-cli.js');
  const r = spawnSync(
    systemNode!,
    [npmCli, 'ci', '--dry-run', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ...flags],
    { cwd: work, encoding: 'utf8', timeout: 60_000, env: { ...env, PATH: `${dirname(systemNode!)}:/bin` } },
  );
  expect(r.status, r.stderr).toBe(0);
  return `${r.stdout}\n${r.stderr}`;
}

describe.runIf(older)(`npm ci on the system Node ${systemMajor}`, () => {
  it('warns that exactly the known packages need Node 22, and of nothing else', () => {
    const out = npmCi('--loglevel=warn');
    const warned = [...out.matchAll(/^npm warn EBADENGINE +package: '(.+)@[^@']+'/gm)].map((m) => m[1]);
    expect(warned.sort()).toEqual(Object.keys(NEED_NODE_22).sort());
    expect(out.split('\n').filter((l) => /^npm warn/.test(l) && !/^npm warn EBADENGINE /.test(l))).toEqual(
      [],
    );
  });

  it("prints no warning with the project's .npmrc", () => {
    expect(npmCi()).not.toMatch(/^npm warn/m);
  });
});
