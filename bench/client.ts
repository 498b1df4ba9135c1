/**
 * What a client following tasks spends its CPU on: the stream of task events that each of the
 * runner bench's ten clients gets (about 1,720 messages of 3 events, 57 a second), sent through the
 * runner's own writer to a client process that takes it three ways: only woken and reading, parsed
 * by vscode-jsonrpc, and through RunnerClient with its schema checks. The difference between the
 * rows is what each layer costs; the first row is the price of a wake-up on this machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_NOTIFICATION, EVENT_RUN } from '../src/protocol/messages.ts';
import { socketConnection } from '../src/protocol/transport.ts';
import type { TaskEvent } from '../src/protocol/events.ts';

const MESSAGES = Number(process.env['BENCH_MESSAGES'] ?? 1720);
const EVENTS_PER_MESSAGE = 3;
const INTERVAL_MS = 17;
const MODES = ['wake', 'parse', 'client'] as const;
type Mode = (typeof MODES)[number];

/** Events as a deploy's wait makes them: a MaaS log line, the step's progress, a step starting. */
function event(i: number): TaskEvent {
  const base = { taskId: `t-${(i % 100).toString(16).padStart(8, '0')}`, at: Date.now(), index: 6 };
  if (i % 3 === 0)
    return {
      ...base,
      type: 'log',
      level: 'info',
      text: `MaaS: Deploying: Loading ephemeral (${i})`,
      source: 'maas',
    };
  if (i % 3 === 1)
    return {
      ...base,
      type: 'step-progress',
      title: 'Wait for MaaS to report Deployed',
      fraction: 0.5,
      text: 'Deploying',
    };
  return { ...base, type: 'step-started', title: 'Wait for MaaS to report Deployed', attempt: 1 };
}

/** One client process through one stream; its CPU and the events it counted. */
async function once(mode: Mode, dir: string): Promise<{ cpuMs: number; events: number }> {
  const path = join(dir, `${mode}.sock`);
  const server = createServer((socket) => {
    const connection = socketConnection(socket, EVENT_RUN);
    connection.listen();
    let sent = 0;
    const timer = setInterval(() => {
      // The events of one turn go as one message, as the runner sends them.
      for (let e = 0; e < EVENTS_PER_MESSAGE; e++)
        void connection.sendNotification(EVENT_NOTIFICATION, {
          events: [event(sent * EVENTS_PER_MESSAGE + e)],
        });
      if (++sent < MESSAGES) return;
      clearInterval(timer);
      setImmediate(() => socket.end());
    }, INTERVAL_MS);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('support/following-client.ts', import.meta.url).pathname, mode, path],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the ${mode} client exited ${code}`);
    return JSON.parse(out) as { cpuMs: number; events: number };
  } finally {
    server.close();
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-bench-client-'));
  try {
    // Each way twice, the second time in the reverse order, so a drift of the machine's speed
    // during the bench weighs on every row alike.
    const cpu = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
    for (const mode of [...MODES, ...[...MODES].reverse()]) {
      const r = await once(mode, dir);
      if (mode !== 'wake' && r.events !== MESSAGES * EVENTS_PER_MESSAGE)
        throw new Error(`the ${mode} client counted ${r.events} events of ${MESSAGES * EVENTS_PER_MESSAGE}`);
      cpu.get(mode)!.push(r.cpuMs);
    }
    const mean = (m: Mode) => cpu.get(m)!.reduce((a, x) => a + x, 0) / cpu.get(m)!.length;
    console.log(
      `a client process taking ${MESSAGES} messages of ${EVENTS_PER_MESSAGE} task events, one every ${INTERVAL_MS} ms, ` +
        "through the runner's writer; its CPU, the mean of two runs each:",
    );
    const label: Record<Mode, string> = {
      wake: 'woken and reading only',
      parse: '+ vscode-jsonrpc (frames, JSON, dispatch)',
      client: '+ the schema checks (RunnerClient)',
    };
    for (const m of MODES)
      console.log(
        `  ${label[m].padEnd(44)} ${(mean(m) / 1000).toFixed(2)} s  ${(mean(m) / MESSAGES).toFixed(2)} ms a message ` +
          `(${cpu
            .get(m)!
            .map((x) => (x / 1000).toFixed(2))
            .join(' and ')} s)`,
      );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
