/**
 * An idle site at 1,000, 5,000 and 10,000 lab hosts, side by side: the dashboard of before (the
 * whole machine list every 2 s, in each dashboard) against the runner's list-then-follow (one
 * poller, events after the last id, deltas to the clients). For each: MaaS requests and bytes and
 * the poller's CPU per minute while nothing changes, poller and client RSS, and the time from a
 * change in MaaS to the client's row. Then the real dashboard at 10,000 hosts in a pseudo-terminal:
 * time to the first screen of rows, idle CPU over 30 s, RSS, and key press → frame (p50, p95).
 *
 * The lab's MaaS charges BENCH_LIST_COST_MS per machine listed (default 2 ms, what regions are
 * reported to take); BENCH_WINDOW_S sets the measuring window (default 30 s).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../src/lab/index.ts';
import { writeLabEnvFile } from '../src/lab/env-file.ts';
import { MaasClient } from '../src/gear/maas/client.ts';
import { connectRunner } from '../src/client/runner-client.ts';
import { siteIdentity } from '../src/runner/site-files.ts';
import { loadConfig } from '../src/config/index.ts';
import { processCpuMs, processRssMb } from './support/proc-stat.ts';

const SIZES = (process.env['BENCH_SIZES'] ?? '1000,5000,10000').split(',').map(Number);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_S'] ?? 30) * 1000;
const LIST_COST_MS = Number(process.env['BENCH_LIST_COST_MS'] ?? 2);
const REPO = new URL('..', import.meta.url).pathname;

interface ClientReport {
  cpuMs: number;
  rssMb: number;
  seenAt: number | null;
}

function runTs(script: string, args: string[], env: Record<string, string>): Promise<ClientReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'bench', script), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

/** Marks a host broken through MaaS's API halfway through the window; returns when it did. */
function changeLater(maas: MaasClient, lab: Lab, hostname: string, afterMs: number): Promise<number> {
  return new Promise((resolve) =>
    setTimeout(async () => {
      const at = Date.now();
      await maas.markBroken(lab.maas.machines.byHostname(hostname)!.systemId, 'bench');
      resolve(at);
    }, afterMs),
  );
}

interface ModeFigures {
  requestsPerMin: number;
  mbPerMin: number;
  pollerCpuPct: number;
  pollerRssMb: number;
  clientRssMb: number;
  changeMs: number | null;
}

async function measure(n: number): Promise<{ before: ModeFigures; after: ModeFigures; listMs: number }> {
  const lab = await startLab({
    timeScale: 0,
    hosts: n,
    racks: Math.min(64, Math.ceil(n / 160)),
    seed: 3,
    maas: { listCostMs: LIST_COST_MS },
  });
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-inv-'));
  const envFile = join(dir, 'lab.env');
  const store = join(dir, 'store.json');
  writeLabEnvFile(lab, { env: envFile, rackFile: join(dir, 'rack.json'), store });
  const env = { HOME: dir, RACKPILOT_ENV_FILE: envFile, RACKPILOT_STORE: store, RACKPILOT_RUNNER_IDLE: '0' };
  const maas = new MaasClient({ url: lab.maas.url, apiKey: lab.maas.apiKeyParts });
  const perMin = (x: number) => (x * 60_000) / WINDOW_MS;
  try {
    const l0 = performance.now();
    await maas.listMachineSummaries();
    const listMs = performance.now() - l0;

    // Before: the dashboard polled the whole list itself (its process is the poller).
    let r0 = lab.maas.stats.requests;
    let b0 = lab.maas.stats.bytesSent;
    // The changed hosts are far from the dashboard's first screen (the last rack): the dashboard
    // measured idle below must not have a fresh age on screen, which redraws every second.
    const watchA = lab.spec.hosts.at(-8)!.hostname;
    const [oldReport, oldChange] = await Promise.all([
      runTs('inventory-old-client.ts', [String(WINDOW_MS), watchA], env),
      changeLater(maas, lab, watchA, WINDOW_MS / 2),
    ]);
    const before: ModeFigures = {
      requestsPerMin: perMin(lab.maas.stats.requests - r0 - 1),
      mbPerMin: perMin((lab.maas.stats.bytesSent - b0) / 1e6),
      pollerCpuPct: (oldReport.cpuMs / WINDOW_MS) * 100,
      pollerRssMb: oldReport.rssMb,
      clientRssMb: oldReport.rssMb,
      changeMs: oldReport.seenAt === null ? null : oldReport.seenAt - oldChange,
    };

    // After: one runner follows MaaS; a client model gets a snapshot, then deltas.
    const runner = await connectRunner({
      storePath: store,
      site: siteIdentity(loadConfig({ env })),
      client: { kind: 'cli', readOnly: true },
      env: { ...process.env, ...env },
      startTimeoutMs: 120_000,
    });
    const pid = runner.runnerPid;
    const watchB = lab.spec.hosts.at(-12)!.hostname;
    // Warm: the first client makes the runner list once (setup, not measured).
    await runner.call('inventory.snapshot', {});
    r0 = lab.maas.stats.requests;
    b0 = lab.maas.stats.bytesSent;
    const c0 = processCpuMs(pid);
    const [newReport, newChange] = await Promise.all([
      runTs('inventory-client.ts', [String(WINDOW_MS), watchB], env),
      changeLater(maas, lab, watchB, WINDOW_MS / 2),
    ]);
    const after: ModeFigures = {
      requestsPerMin: perMin(lab.maas.stats.requests - r0 - 1),
      mbPerMin: perMin((lab.maas.stats.bytesSent - b0) / 1e6),
      pollerCpuPct: ((processCpuMs(pid) - c0) / WINDOW_MS) * 100,
      pollerRssMb: processRssMb(pid),
      clientRssMb: newReport.rssMb,
      changeMs: newReport.seenAt === null ? null : newReport.seenAt - newChange,
    };
    if (n === SIZES.at(-1)) {
      await settled(runner);
      await dashboardInPty(env, n);
    }
    await runner.call('runner.stop', { force: true }).catch(() => undefined);
    runner.close();
    return { before, after, listMs };
  } finally {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits until no host changed status in the last minute: a fresh age on the dashboard's screen
 * redraws every second, and the dashboard is to be measured idle. Says how long that took.
 */
async function settled(runner: Awaited<ReturnType<typeof connectRunner>>): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const { rows } = await runner.call('inventory.snapshot', {});
    const young = rows.filter((r) => r.sinceExact && Date.now() - r.since < 61_000);
    if (young.length === 0) break;
    const wait = 61_000 - (Date.now() - Math.max(...young.map((r) => r.since)));
    if (Date.now() - t0 > 180_000) {
      console.log(
        `  (${young.length} hosts still changing after 3 minutes: the dashboard is measured anyway)`,
      );
      break;
    }
    console.log(
      `  (${young.length} hosts changed status in the last minute: waiting ${(wait / 1000).toFixed(0)} s)`,
    );
    await new Promise((r) => setTimeout(r, Math.max(1_000, wait)));
  }
}

/** The real dashboard in a pseudo-terminal (bench/pty-probe.py), against the runner above. */
async function dashboardInPty(env: Record<string, string>, n: number): Promise<void> {
  const keys = 'jjjjjjjjjjkkkkkkkkkkjjjjjjjjjjkkkkkkkkkkjjjjjjjjjj';
  // Not execFileSync: the lab lives in this process, and must go on answering the runner's polls
  // and BMC reads while the dashboard is measured (blocked, it would look like a stalled site).
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(
      'python3',
      [
        join(REPO, 'bench/pty-probe.py'),
        '200',
        '50',
        // The first frame (its footer), then the rows (a host name).
        'q quit',
        'r\\d+-n\\d+',
        String(WINDOW_MS / 1000),
        keys,
        '--',
        process.execPath,
        join(REPO, 'src/bin/rackpilot.js'),
      ],
      {
        // 50 keys over 25 s: across the runner's BMC sweep (every 30 s at 10,000 BMCs), as an
        // operator's keys fall, not in one quiet second.
        env: { ...process.env, ...env, TERM: 'xterm-256color', PTY_PROBE_KEY_GAP: '0.5' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    const timer = setTimeout(() => child.kill(), WINDOW_MS + 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(text);
      else reject(new Error(`pty-probe.py exited ${code}`));
    });
  });
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
    firstMs: number | null;
    readyMs: number | null;
    idleCpuMs: number;
    idleWallMs: number;
    rssMb: number;
    keyMs: number[];
  };
  const sorted = [...r.keyMs].sort((a, b) => a - b);
  const rowsAfter = r.firstMs === null || r.readyMs === null ? '?' : (r.readyMs - r.firstMs).toFixed(0);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
  console.log(
    `\nthe dashboard itself at ${n} hosts, 200×50, in a pseudo-terminal (runner already following):\n` +
      `  first frame ${r.firstMs?.toFixed(0)} ms after start; its ${n.toLocaleString('en-US')} rows on screen ${rowsAfter} ms after that (goal < 500 ms); idle CPU ${((r.idleCpuMs / r.idleWallMs) * 100).toFixed(2)}% of a core over ${(r.idleWallMs / 1000).toFixed(0)} s (goal < 1%); ` +
      `RSS ${r.rssMb.toFixed(0)} MB (goal < 150 MB)\n` +
      `  key → frame over ${sorted.length} keys: p50 ${pct(0.5).toFixed(1)} ms, p95 ${pct(0.95).toFixed(1)} ms (goal p95 < 30 ms)`,
  );
}

export async function run(): Promise<void> {
  console.log(
    `idle site, ${WINDOW_MS / 1000} s windows, lab MaaS list cost ${LIST_COST_MS} ms per machine; per minute figures scaled from the window`,
  );
  const rows: string[] = [];
  for (const n of SIZES) {
    const { before, after, listMs } = await measure(n);
    const f = (m: ModeFigures) =>
      `${m.requestsPerMin.toFixed(0).padStart(6)} req/min ${m.mbPerMin.toFixed(1).padStart(7)} MB/min ` +
      `CPU ${m.pollerCpuPct.toFixed(1).padStart(5)}% RSS ${m.pollerRssMb.toFixed(0).padStart(4)} MB ` +
      `client ${m.clientRssMb.toFixed(0).padStart(4)} MB change→row ${m.changeMs === null ? 'not seen' : `${(m.changeMs / 1000).toFixed(1)} s`}`;
    rows.push(
      `${String(n).padStart(6)} hosts (one full list ${(listMs / 1000).toFixed(1)} s)\n` +
        `  full list every 2 s  ${f(before)}\n` +
        `  list, then follow    ${f(after)}\n` +
        `  MaaS traffic ${(before.mbPerMin / Math.max(after.mbPerMin, 1e-6)).toFixed(0)}× less (goal ≥ 20×), runner idle CPU goal < 5%, runner RSS goal < 300 MB, change goal < 3 s`,
    );
    console.log(rows.at(-1));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
