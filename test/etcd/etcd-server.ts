import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real etcd (Debian's etcd-server, `/usr/bin/etcd`) on loopback ports with its own data
 * directory, for the tests of several jump hosts. It can be stopped and started again on the
 * same ports and data (an etcd outage). Tests skip with a message when etcd is not installed,
 * and fail in CI (`.ci/run` installs it).
 */
export const ETCD_BIN = process.env['RACKPILOT_TEST_ETCD'] ?? '/usr/bin/etcd';

export function etcdAvailable(): boolean {
  return spawnSync(ETCD_BIN, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Whether an etcd suite must skip: etcd is not installed here. In CI it must be (`.ci/run`
 * installs it), so there this throws instead of letting the suite pass unrun.
 */
export function skipWithoutEtcd(): boolean {
  if (etcdAvailable()) return false;
  if (process.env['CI']) throw new Error('etcd is not installed (.ci/run installs etcd-server)');
  console.warn('etcd not installed: test/etcd skipped (apt-get install etcd-server)');
  return true;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface TestEtcd {
  endpoint: string;
  dataDir: string;
  /** SIGTERM and wait for the exit (its data stays). */
  stop(): Promise<void>;
  /** Again, on the same ports and data. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startEtcd(): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-etcd-'));
  const dataDir = join(dir, 'data');
  const client = await freePort();
  const peer = await freePort();
  const endpoint = `http://127.0.0.1:${client}`;
  let child: ChildProcess | null = null;
  let log = '';
  const start = async () => {
    log = '';
    child = spawn(
      ETCD_BIN,
      [
        '--name',
        'default',
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        endpoint,
        '--advertise-client-urls',
        endpoint,
        '--listen-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${peer}`,
        '--initial-cluster',
        `default=http://127.0.0.1:${peer}`,
        '--log-level',
        'error',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: '' } },
    );
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`etcd exited (${child.exitCode}):\n${log}`);
      try {
        const res = await fetch(`${endpoint}/health`);
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`etcd did not become healthy:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async () => {
    const c = child as ChildProcess | null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    endpoint,
    dataDir,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
