/**
 * One dashboard's model fed by the runner, for the inventory bench: subscribes to the runner's
 * rows (a snapshot, then deltas) for a window, notes when a watched host's status changes, and
 * prints one JSON line: its CPU, its RSS and when it saw the change.
 */
import { loadConfig } from '../src/config/index.ts';
import { connectRunner } from '../src/runner/client.ts';
import { siteIdentity, siteStorePath } from '../src/runner/runner.ts';
import { RunnerInventory } from '../state/runner-inventory.ts';

const [windowMs, watch] = [Number(process.argv[2]), process.argv[3]!];
const config = loadConfig({ env: process.env });
const client = await connectRunner({
  storePath: siteStorePath(config),
  site: siteIdentity(config),
  client: { kind: 'tui', readOnly: true },
  env: process.env,
  start: false,
});
const inventory = new RunnerInventory(client);
let before: string | null = null;
let seenAt: number | null = null;
inventory.subscribe(() => {
  const row = inventory.getSnapshot().rows.find((r) => r.hostname === watch);
  if (!row) return;
  if (before === null) before = row.statusName;
  else if (seenAt === null && row.statusName !== before) seenAt = Date.now();
});
const cpu0 = process.cpuUsage();
await inventory.connect();
await new Promise((r) => setTimeout(r, windowMs));
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.memoryUsage().rss / 1e6, seenAt }) +
    '\n',
);
inventory.close();
client.close();
process.exit(0);
