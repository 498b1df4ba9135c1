import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real etcd (Debian's etcd-server, `/usr/bin/etcd`) on loopback ports with its own data
 * directories: one member, or a cluster of several whose members can be killed, frozen and started
 * again on the same ports and data (member loss, leader elections, a whole outage). Tests skip with
 * a message when etcd is not installed, and fail in CI (`.ci/run` installs it).
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

/** One etcd member. */
export interface EtcdMember {
  name: string;
  endpoint: string;
  dataDir: string;
  running(): boolean;
  /** SIGTERM (or SIGKILL) and wait for the exit (its data stays). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Again, on the same ports and data; resolves once it answers its health check. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a member that hangs without closing its connections. */
  freeze(): void;
  thaw(): void;
  /** Its view of the cluster: its id, the leader's id (0: none) and the raft term. */
  status(): Promise<{ id: string; leader: string; term: number } | null>;
}

export interface TestEtcd {
  /** The client URLs of every member, comma-separated (RACKPILOT_ETCD). */
  endpoint: string;
  members: EtcdMember[];
  dataDir: string;
  /** Every member: stop (data stays). */
  stop(): Promise<void>;
  /** Every member again, on the same ports and data. */
  start(): Promise<void>;
  /** The current leader, as the members that answer agree on it (null while none is elected). */
  leader(): Promise<EtcdMember | null>;
  close(): Promise<void>;
}

async function post(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(1_000),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** A single member (`startEtcd()`) or a cluster of `size` members on loopback. */
export async function startEtcd(size = 1): Promise<TestEtcd> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-etcd-'));
  const ports = await Promise.all(
    Array.from({ length: size }, async () => ({ client: await freePort(), peer: await freePort() })),
  );
  const names = ports.map((_, i) => (size === 1 ? 'default' : `m${i + 1}`));
  const cluster = names.map((n, i) => `${n}=http://127.0.0.1:${ports[i]!.peer}`).join(',');
  const members = names.map((name, i) =>
    member(name, join(dir, size === 1 ? 'data' : name), ports[i]!, cluster),
  );
  // The members of a new cluster wait for each other: start them together.
  await Promise.all(members.map((m) => m.start()));
  const leader = async () => {
    for (const m of members) {
      const st = m.running() ? await m.status() : null;
      if (st && st.leader !== '0') {
        for (const c of members) if (c.running() && (await c.status())?.id === st.leader) return c;
      }
    }
    return null;
  };
  return {
    endpoint: members.map((m) => m.endpoint).join(','),
    members,
    dataDir: members[0]!.dataDir,
    stop: async () => void (await Promise.all(members.map((m) => m.stop()))),
    start: async () => void (await Promise.all(members.map((m) => m.start()))),
    leader,
    close: async () => {
      for (const m of members) m.thaw();
      await Promise.all(members.map((m) => m.stop('SIGKILL')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function member(
  name: string,
  dataDir: string,
  ports: { client: number; peer: number },
  cluster: string,
): EtcdMember {
  const endpoint = `http://127.0.0.1:${ports.client}`;
  const peer = `http://127.0.0.1:${ports.peer}`;
  let child: ChildProcess | null = null;
  let log = '';
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  const start = async () => {
    if (running()) return;
    log = '';
    child = spawn(
      ETCD_BIN,
      [
        ...['--name', name, '--data-dir', dataDir],
        ...['--listen-client-urls', endpoint, '--advertise-client-urls', endpoint],
        ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer],
        ...['--initial-cluster', cluster, '--initial-cluster-token', 'rackpilot-test'],
        ...['--log-level', 'error'],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ETCD_UNSUPPORTED_ARCH: '' } },
    );
    const c = child;
    c.stdout!.on('data', (d) => (log += d));
    c.stderr!.on('data', (d) => (log += d));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`etcd ${name} exited (${c.exitCode}):\n${log}`);
      try {
        const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') return;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`etcd ${name} did not become healthy:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const c = child;
    if (!c || !running()) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    if (signal === 'SIGKILL') c.kill('SIGCONT');
    c.kill(signal);
    await exited;
  };
  return {
    name,
    endpoint,
    dataDir,
    running,
    stop,
    start,
    freeze: () => void (running() && child!.kill('SIGSTOP')),
    thaw: () => void (running() && child!.kill('SIGCONT')),
    status: async () => {
      try {
        // etcd 3.4's gRPC gateway: /v3/maintenance/status.
        const r = (await post(`${endpoint}/v3/maintenance/status`, {})) as {
          header?: { member_id?: string };
          leader?: string;
          raftTerm?: string;
        };
        return { id: r.header?.member_id ?? '', leader: r.leader ?? '0', term: Number(r.raftTerm ?? 0) };
      } catch {
        return null;
      }
    },
  };
}
