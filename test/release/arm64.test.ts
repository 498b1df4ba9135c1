import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_NETWORKS, LAB_TEMPLATES } from '../../src/runner/lab-site.ts';

/**
 * The linux-arm64 single executable, run on this x64 machine under QEMU's user-mode emulation
 * (Debian's qemu-user, with the arm64 C and C++ libraries of libc6-arm64-cross and
 * libstdc++6-arm64-cross as its root: `.ci/run` installs all three). As on a jump host: no node on
 * PATH, an empty HOME and no network (a network namespace of its own, which needs root).
 */
const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const exe = join(ROOT, 'release', `rackpilot-${VERSION}-linux-arm64`, 'rackpilot');
const SYSROOT = '/usr/aarch64-linux-gnu';
const CI = !!process.env.CI;
const qemu = spawnSync('sh', ['-c', 'command -v qemu-aarch64'], { encoding: 'utf8' }).stdout.trim();
const missing = [
  !existsSync(exe) && `${exe} (npm run release)`,
  !qemu && 'qemu-aarch64 (apt-get install qemu-user)',
  !existsSync(join(SYSROOT, 'lib/ld-linux-aarch64.so.1')) && `${SYSROOT} (apt-get install libc6-arm64-cross)`,
  !existsSync(join(SYSROOT, 'lib/libstdc++.so.6')) &&
    `libstdc++ in ${SYSROOT} (apt-get install libstdc++6-arm64-cross)`,
  process.getuid?.() !== 0 && 'root, for a network namespace of its own',
].filter((m): m is string => typeof m === 'string');
// In CI nothing may be missing: the test then fails on it instead of being skipped.
if (missing.length && !CI) console.warn(`linux-arm64 emulation test skipped: missing ${missing.join('; ')}`);

const work = mkdtempSync(join(tmpdir(), 'rackpilot-arm64-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.runIf(missing.length === 0 || CI)('the linux-arm64 executable under qemu-aarch64', () => {
  it('with no node, an empty HOME and no network: --version, help, the lab runner, check, deploy, destroy, the dashboard', () => {
    expect(missing, 'what the arm64 run needs').toEqual([]);
    const x64 = spawnSync(
      join(ROOT, 'release', `rackpilot-${VERSION}-linux-x64`, 'rackpilot'),
      ['--version'],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: work },
      },
    );
    const r = spawnSync(
      'unshare',
      [
        '-n',
        join(ROOT, 'test/release/arm64-run.sh'),
        exe,
        SYSROOT,
        work,
        LAB_TEMPLATES[0].name,
        LAB_NETWORKS[0].name,
        `jumphost-arm64-${process.pid}`,
      ],
      { encoding: 'utf8', timeout: 280_000, env: { PATH: process.env.PATH } },
    );
    const out = `${r.stdout}\n${r.stderr}`;
    // The same program as the x64 executable: one blob, injected into both Nodes.
    expect(out).toContain(`step: version ${x64.stdout.trim()}`);
    expect(out).toContain('step: help');
    expect(out).toMatch(/^step: runner .* serving lab \(http:\/\/127\.0\.0\.1:\d+\/MAAS\/\)/m);
    // MaaS over HTTP, each switch over SSH (ssh2's JavaScript crypto), the BMCs over IPMI.
    expect(out).toMatch(/^check: ok +switch tor-r01: login/m);
    expect(out).toMatch(/^check: ok +BMC of r01-n001 answers/m);
    expect(out).toMatch(/^check: all \d+ passed$/m);
    expect(out).toMatch(/^step: listed arm-vm1 +running +r\d\d-n\d+ /m);
    expect(out).toContain('step: destroyed');
    // The dashboard (Ink, yoga's WebAssembly) shows this run's lab, from the runner started above.
    const lab = /^step: runner .* serving lab \((http:\/\/127\.0\.0\.1:\d+\/MAAS)\/\)/m.exec(out)?.[1];
    expect(lab).toBeDefined();
    expect(out).toContain(`${lab} [lab]`);
    expect(out).toMatch(/^frame: .*r01-n001 .* Ready /m);
    expect(out).toContain('step: dashboard');
    expect(r.status, out).toBe(0);
  }, 300_000);
});
