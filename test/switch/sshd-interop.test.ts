/**
 * Interop with a real OpenSSH server (Debian `openssh-server`): the test starts sshd on a loopback
 * port with a throw-away host key and the lab switch CLI as ForceCommand, then logs in with the
 * same client rackpilot uses on real switches.
 *
 * Password login needs an account whose password sshd can check: with `UsePAM no` sshd reads
 * /etc/shadow, so the test creates a temporary user (root only) and removes it afterwards.
 * Without root that part cannot run; it is skipped locally and fails in CI.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  chownSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateHostKey, generateKeyPair } from '../../src/lab/switch-server.ts';
import { SwitchError } from '../../src/gear/switch/errors.ts';
import { SwitchService } from '../../src/gear/switch/service.ts';

const REPO = resolve(new URL('../..', import.meta.url).pathname);
const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));
const IS_ROOT = process.getuid?.() === 0;
const CI = Boolean(process.env.CI);

if (!SSHD && !CI) {
  console.warn(
    'sshd interop test skipped: OpenSSH server (sshd) is not installed — apt-get install openssh-server',
  );
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

async function waitForPort(port: number, proc: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`sshd exited (${proc.exitCode}): ${stderr()}`);
    const ok = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on ${port}: ${stderr()}`);
}

describe.skipIf(!SSHD && !CI)('OpenSSH interop: lab switch CLI as ForceCommand behind a real sshd', () => {
  let dir: string;
  let sshd: ChildProcess | undefined;
  let sshdErr = '';
  let port: number;
  let fingerprint: string;
  let user: string;
  let tempUser: string | undefined;
  const password = `Pw-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const clientKeys = generateKeyPair();
  const clientKey = { private: clientKeys.privateKey, public: clientKeys.publicKey };
  let svc: SwitchService;

  beforeAll(async () => {
    if (!SSHD) throw new Error('CI must install openssh-server (.ci/run): sshd not found');
    dir = mkdtempSync(join(tmpdir(), 'rackpilot-sshd-'));
    chmodSync(dir, 0o755);
    const host = generateHostKey();
    fingerprint = host.fingerprint;
    writeFileSync(join(dir, 'host_ed25519'), host.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'authorized_keys'), `${clientKey.public}\n`, { mode: 0o644 });
    const stateDir = join(dir, 'state');
    mkdirSync(stateDir, { mode: 0o777 });
    chmodSync(stateDir, 0o777);

    if (IS_ROOT) {
      tempUser = `rpsw${process.pid % 100000}`;
      spawnSync('userdel', [tempUser], { stdio: 'ignore' });
      const add = spawnSync('useradd', ['-M', '-d', dir, '-s', '/bin/sh', tempUser], { encoding: 'utf8' });
      if (add.status !== 0) throw new Error(`useradd failed: ${add.stderr}`);
      const pw = spawnSync('chpasswd', [], { input: `${tempUser}:${password}\n`, encoding: 'utf8' });
      if (pw.status !== 0) throw new Error(`chpasswd failed: ${pw.stderr}`);
      user = tempUser;
      const uid = Number(spawnSync('id', ['-u', tempUser], { encoding: 'utf8' }).stdout.trim());
      chownSync(stateDir, uid, -1);
      // sshd refuses to run without its privilege separation directory.
      mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    } else {
      user = userInfo().username;
    }

    port = await freePort();
    // The ForceCommand runs as that user, who may not reach this checkout (a clone in a private
    // temporary directory): it gets node and the switch CLI, bundled, in the test's own directory.
    const node = join(dir, 'node');
    try {
      linkSync(process.execPath, node);
    } catch {
      copyFileSync(process.execPath, node);
      chmodSync(node, 0o755);
    }
    const cli = join(dir, 'switch-cli.mjs');
    await build({
      entryPoints: [join(REPO, 'src/lab/switch-cli-stdio.ts')],
      outfile: cli,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      logLevel: 'error',
    });
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'StrictModes no',
      `AllowUsers ${user}`,
      'PermitRootLogin no',
      'X11Forwarding no',
      'AllowTcpForwarding no',
      'LogLevel ERROR',
      `ForceCommand ${node} ${cli} --switch tor-r01 --state ${join(stateDir, 'tor-r01.json')}`,
    ].join('\n');
    writeFileSync(join(dir, 'sshd_config'), `${config}\n`, { mode: 0o644 });
    const check = spawnSync(SSHD, ['-t', '-f', join(dir, 'sshd_config')], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`sshd -t rejected the config: ${check.stderr}`);
    sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    sshd.stderr!.on('data', (d: Buffer) => (sshdErr += d.toString()));
    await waitForPort(port, sshd, () => sshdErr);
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    if (sshd && sshd.exitCode === null) {
      sshd.kill('SIGTERM');
      await new Promise((r) => sshd!.once('exit', r));
    }
    if (tempUser) spawnSync('userdel', [tempUser], { stdio: 'ignore' });
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const target = (extra: Record<string, unknown>) => ({
    name: 'tor-r01',
    host: '127.0.0.1',
    port,
    username: user,
    dialect: 'force10' as const,
    pxeVlan: 10,
    hostKeyFingerprint: fingerprint,
    ...extra,
  });

  it('logs in with a key, pinned host key accepted, and changes a VLAN through sshd', async () => {
    svc = new SwitchService({ idleMs: 0, connectTimeoutMs: 20_000, commandTimeoutMs: 20_000 });
    const t = target({ privateKey: clientKey.private });
    const r = await svc.apply(t, [{ port: '1/1/7', op: 'access', vlan: 140 }]);
    expect(r.saved).toBe(true);
    // A new login (a new ForceCommand process) sees the change: it went through the real CLI path.
    expect(await svc.showPort(t, '1/1/7')).toMatchObject({ layer2: true, untagged: 140, tagged: [] });
    const table = await svc.showVlans(t);
    expect(table.find((v) => v.id === 140)!.ports.map((p) => p.port)).toEqual(['1/1/7']);
    const saved = JSON.parse(readFileSync(join(dir, 'state', 'tor-r01.json'), 'utf8')) as {
      ports: Record<string, { untagged: number }>;
    };
    expect(saved.ports['1/1/7']!.untagged).toBe(140);
  }, 60_000);

  it.skipIf(!IS_ROOT && !CI)(
    'logs in with a password',
    async () => {
      if (!IS_ROOT)
        throw new Error('password interop needs root to create a temporary user (CI runs as root)');
      svc = new SwitchService({ idleMs: 0, connectTimeoutMs: 20_000, commandTimeoutMs: 20_000 });
      const t = target({ password });
      const r = await svc.apply(t, [{ port: '1/1/7', op: 'resetPxe' }]);
      expect(r.ports[0]!.after).toEqual({ untagged: 10, tagged: [] });
      expect(await svc.showPort(t, '1/1/7')).toMatchObject({ untagged: 10 });
      const bad = await svc.showVlans(target({ password: `${password}-wrong` })).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(SwitchError);
      expect((bad as SwitchError).kind).toBe('auth');
    },
    60_000,
  );

  it('refuses a wrong pinned fingerprint before logging in', async () => {
    svc = new SwitchService({ idleMs: 0, connectTimeoutMs: 20_000 });
    const err = await svc
      .showVlans(target({ privateKey: clientKey.private, hostKeyFingerprint: `SHA256:${'B'.repeat(43)}` }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchError);
    expect((err as SwitchError).kind).toBe('hostkey');
    expect((err as SwitchError).message).toContain(fingerprint);
  }, 60_000);
});
