/**
 * 100 host consoles streaming at once through one runner to 10 viewers: the BMCs (lab BMCs whose
 * serial ports print a stamped line every 100 ms) and the runner (its socket server and console
 * hub) each in a process of their own, the viewers (runner clients, as dashboards are) here.
 * Reports the runner's CPU while streaming and the latency from the BMC's serial port to a
 * viewer (p50/p95/p99; goal p95 < 100 ms), and that the BMCs saw one SOL session each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connectRunner, type RunnerClient } from '../src/client/runner-client.ts';
import { CONSOLE_DATA_NOTIFICATION, type ConsoleData } from '../src/protocol/console.ts';

const HOSTS = 100;
const VIEWERS = 10;
const INTERVAL_MS = 100;
const WARMUP_MS = 3_000;
const MEASURE_MS = 10_000;

function child(script: string, args: string[]): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
  const proc = spawn(tsx, [fileURLToPath(new URL(script, import.meta.url)), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return { proc, lines: createInterface({ input: proc.stdout! })[Symbol.asyncIterator]() };
}

async function next(lines: AsyncIterator<string>): Promise<string> {
  const r = await lines.next();
  if (r.done) throw new Error('child process ended');
  return r.value;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-console-bench-'));
  const farm = child('./console/farm.ts', [JSON.stringify({ hosts: HOSTS, intervalMs: INTERVAL_MS })]);
  let runner: ReturnType<typeof child> | undefined;
  const viewers: RunnerClient[] = [];
  try {
    const { bmcs, hosts } = JSON.parse(await next(farm.lines)) as {
      bmcs: { hostname: string; host: string; port: number }[];
      hosts: { hostname: string; bmc: { user: string; password: string } }[];
    };
    const targets = Object.fromEntries(
      bmcs.map((b) => {
        const h = hosts.find((x) => x.hostname === b.hostname)!;
        return [
          b.hostname,
          { host: b.host, port: b.port, username: h.bmc.user, password: h.bmc.password, name: b.hostname },
        ];
      }),
    );
    const store = join(dir, 'store.json');
    runner = child('./console/runner.ts', [store, JSON.stringify({ targets })]);
    if ((await next(runner.lines)) !== 'ready') throw new Error('the bench runner did not start');
    const cpu = async () => {
      runner!.proc.stdin!.write('cpu\n');
      return JSON.parse(await next(runner!.lines)) as { cpuUs: number; openSessions: number };
    };

    let measuring = false;
    const latencies: number[] = [];
    let bytes = 0;
    for (let v = 0; v < VIEWERS; v++) {
      const c = await connectRunner({
        storePath: store,
        site: 'bench',
        client: { kind: 'test', readOnly: v > 0 },
        env: {},
        start: false,
      });
      viewers.push(c);
      const partial = new Map<string, string>();
      c.onNotification(CONSOLE_DATA_NOTIFICATION, (p) => {
        const at = Date.now();
        for (const { host, data } of (p as ConsoleData).items) {
          const text = (partial.get(host) ?? '') + Buffer.from(data, 'base64').toString();
          const parts = text.split('\n');
          partial.set(host, parts.pop()!);
          if (!measuring) continue;
          bytes += data.length;
          for (const line of parts) {
            const m = /^t=(\d+) /.exec(line);
            if (m) latencies.push(at - Number(m[1]));
          }
        }
      });
      await Promise.all(bmcs.map((b) => c.call('console.open', { host: b.hostname })));
    }
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const before = await cpu();
    measuring = true;
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, MEASURE_MS));
    measuring = false;
    const after = await cpu();
    const wall = Date.now() - t0;
    latencies.sort((a, b) => a - b);
    const expected = (HOSTS * VIEWERS * MEASURE_MS) / INTERVAL_MS;
    console.log(
      `${HOSTS} consoles × ${VIEWERS} viewers, a stamped line per console every ${INTERVAL_MS} ms, ${MEASURE_MS / 1000} s measured`,
    );
    console.log(`  SOL sessions open in the runner: ${after.openSessions} (one per BMC)`);
    console.log(`  lines delivered to viewers: ${latencies.length} of ~${expected} emitted`);
    console.log(
      `  runner CPU: ${(((after.cpuUs - before.cpuUs) / 1000 / wall) * 100).toFixed(1)} % of one core (${((after.cpuUs - before.cpuUs) / 1000).toFixed(0)} ms in ${wall} ms)`,
    );
    console.log(
      `  viewer traffic: ${((bytes * 0.75) / 1024 / (wall / 1000)).toFixed(0)} KiB/s of console bytes`,
    );
    console.log(
      `  BMC → viewer latency: p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies.at(-1)} ms (goal p95 < 100 ms)`,
    );
  } finally {
    for (const c of viewers) c.close();
    runner?.proc.stdin!.end();
    farm.proc.stdin!.end();
    await new Promise((r) => setTimeout(r, 500));
    runner?.proc.kill('SIGTERM');
    farm.proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
