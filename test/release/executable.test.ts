import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The single executable `npm run release` builds (CI builds it before the tests; elsewhere these
 * tests run when release/ holds one). Run as a jump host would: no node on PATH, an empty HOME
 * and no network (a network namespace of its own, which needs root).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const RELEASE = join(ROOT, 'release');
const stage = existsSync(RELEASE)
  ? readdirSync(RELEASE).find((d) => /^rackpilot-.+-linux-[a-z0-9]+$/.test(d))
  : undefined;
const exe = stage && join(RELEASE, stage, 'rackpilot');
const built = exe !== undefined && existsSync(exe);
const root = process.getuid?.() === 0;
// In CI a missing executable is a failure, never a skip.
const runs = built || !!process.env.CI;
const work = mkdtempSync(join(tmpdir(), 'rackpilot-release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(runs)('the release', () => {
  it('is an executable with the man page, completions, settings example, rack sample and checksums', () => {
    expect(built, 'npm run release built release/rackpilot-VERSION-linux-ARCH/rackpilot').toBe(true);
    const dir = join(RELEASE, stage!);
    const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n');
    const named = sums.map((l) => l.split('  ')[1]);
    expect(named.sort()).toEqual(
      [
        '.env.example',
        'completions/_rackpilot',
        'completions/rackpilot.bash',
        'completions/rackpilot.fish',
        'rack.sample.json',
        'rackpilot',
        'rackpilot.1',
      ].sort(),
    );
    for (const l of sums) {
      const [sum, file] = l.split('  ');
      expect(
        createHash('sha256')
          .update(readFileSync(join(dir, file!)))
          .digest('hex'),
        file,
      ).toBe(sum);
    }
    const listed = execFileSync('tar', ['-tzf', join(RELEASE, `${stage}.tar.gz`)], { encoding: 'utf8' });
    for (const f of named) expect(listed).toContain(`${stage}/${f}`);
    expect(readFileSync(join(dir, 'rackpilot.1'), 'utf8')).toMatch(/^\.TH RACKPILOT 1 "\d{4}-\d\d-\d\d"/);
  });

  it.runIf(root || !!process.env.CI)(
    'with no node, an empty HOME and no network: starts the lab, deploys and destroys through the runner, opens the dashboard',
    () => {
      const r = spawnSync(
        'unshare',
        ['-n', join(ROOT, 'test/release/offline-run.sh'), exe!, work, `i23-jumphost-release-${process.pid}`],
        { encoding: 'utf8', timeout: 300_000, env: { PATH: process.env.PATH } },
      );
      const out = `${r.stdout}\n${r.stderr}`;
      expect(out).toMatch(/^step: version rackpilot \d+\.\d+\.\d+ \(commit \w+/m);
      expect(out).toMatch(/^step: listed offline-vm1 +running +r\d\d-n\d+ /m);
      expect(out).toContain('step: destroyed');
      expect(out).toMatch(/^frame: .*http:\/\/127\.0\.0\.1:\d+\/MAAS \[lab\]/m);
      expect(out).toMatch(/^frame: .*r01-n001 .* Ready /m);
      expect(out).toContain('step: dashboard');
      expect(r.status, out).toBe(0);
    },
    320_000,
  );
});
