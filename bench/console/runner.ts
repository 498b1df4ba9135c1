/**
 * The console bench's runner: the runner's own socket server and console hub (src/runner/server.ts,
 * src/runner/console/), serving the consoles of the farm's BMCs, in a process of its own so its CPU
 * is measured alone. Prints "ready", then answers each "cpu" line on stdin with its CPU time (µs).
 *
 *   tsx bench/console/runner.ts STORE '{"targets":{"r01-n001":{"host":…}}}'
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { IpmiTarget } from '../../src/gear/ipmi/index.ts';
import { ConsoleHub } from '../../src/runner/console/hub.ts';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { RunnerServer } from '../../src/runner/server.ts';
import { consoleHandlers } from '../../src/runner/service/console.ts';

const store = process.argv[2]!;
const { targets } = JSON.parse(process.argv[3]!) as { targets: Record<string, IpmiTarget> };
const paths = runnerPaths(store);
const cookie = randomBytes(32).toString('hex');
writeFileSync(paths.cookie, cookie, { mode: 0o600 });
const hub = new ConsoleHub({
  targetFor: (h) => {
    const t = targets[h];
    if (!t) throw new Error(`no host ${h}`);
    return t;
  },
  scrollbackBytes: 256 * 1024,
  recordingsDir: `${store}.consoles`,
});
const server = new RunnerServer({
  socketPath: paths.socket,
  cookie,
  site: 'bench',
  lab: true,
  handlers: consoleHandlers(hub),
  // The bench's viewers are its own: whatever settings they carry, they are this runner's.
  settingsDrift: async () => ({ drift: [] }),
  log: () => undefined,
});
await server.listen();
process.stdout.write('ready\n');
createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuUs: u.user + u.system, openSessions: hub.openSessions })}\n`);
  }
});
const stop = async () => {
  await hub.close();
  await server.close('bench over');
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.on('SIGTERM', () => void stop());
