import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TARGETS } from '../../src/bin/release-node.js';

const VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

/**
 * The single executables `npm run release` builds, linux-x64 and linux-arm64 (CI builds them before
 * the tests; elsewhere these tests run when release/ holds them). This machine's one is run as a
 * jump host would: no node on PATH, an empty HOME and no network (a network namespace of its own,
 * which needs root); the arm64 one runs under emulation in arm64.test.ts.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const RELEASE = join(ROOT, 'release');
const stageOf = (arch: string) => `rackpilot-${VERSION}-linux-${arch}`;
const exe = join(RELEASE, stageOf(process.arch), 'rackpilot');
const built = existsSync(exe);
/** ELF's e_machine of each target: the executable really is for that CPU. */
const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 };

/** Each `SUM  FILE` line of a SHA256SUMS file matches FILE under dir. */
function expectSums(dir: string, lines: string[]): void {
  for (const l of lines) {
    const [sum, file] = l.split('  ');
    expect(
      createHash('sha256')
        .update(readFileSync(join(dir, file!)))
        .digest('hex'),
      file,
    ).toBe(sum);
  }
}

function elfMachine(file: string): number {
  const head = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  expect(head.subarray(0, 4).toString('latin1'), `${file} is an ELF file`).toBe('\x7fELF');
  return head.readUInt16LE(18);
}
const root = process.getuid?.() === 0;
// In CI a missing executable is a failure, never a skip.
const runs = built || !!process.env.CI;
const work = mkdtempSync(join(tmpdir(), 'rackpilot-release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(runs)('the release', () => {
  it.each(TARGETS)(
    'linux-%s: an executable with the man page, completions, settings example, rack sample and checksums',
    (arch) => {
      const stage = stageOf(arch);
      const dir = join(RELEASE, stage);
      expect(existsSync(join(dir, 'rackpilot')), `npm run release built release/${stage}/rackpilot`).toBe(
        true,
      );
      expect(elfMachine(join(dir, 'rackpilot'))).toBe(ELF_MACHINE[arch]);
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
      expectSums(dir, sums);
      const listed = execFileSync('tar', ['-tzf', join(RELEASE, `${stage}.tar.gz`)], { encoding: 'utf8' });
      for (const f of named) expect(listed).toContain(`${stage}/${f}`);
      expect(readFileSync(join(dir, 'rackpilot.1'), 'utf8')).toMatch(/^\.TH RACKPILOT 1 "\d{4}-\d\d-\d\d"/);
    },
  );

  it('release/SHA256SUMS covers both tarballs', () => {
    const sums = readFileSync(join(RELEASE, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums.map((l) => l.split('  ')[1]).sort()).toEqual(
      TARGETS.map((a) => `${stageOf(a)}.tar.gz`).sort(),
    );
    expectSums(RELEASE, sums);
  });

  it.runIf(root || !!process.env.CI)(
    'with no node, an empty HOME and no network: starts the lab, deploys and destroys through the runner, opens the dashboard',
    () => {
      const r = spawnSync(
        'unshare',
        ['-n', join(ROOT, 'test/release/offline-run.sh'), exe, work, `i23-jumphost-release-${process.pid}`],
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
