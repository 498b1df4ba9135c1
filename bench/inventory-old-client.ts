/**
 * One "dashboard" of before the runner, for the inventory bench: polls MaaS's whole machine list
 * every 2 s (the old Inventory) for a window, notes when a watched host's status changes, and
 * prints one JSON line: its CPU, its RSS and when it saw the change.
 */
import { loadConfig } from '../src/config/index.ts';
import { inventorySource, openSite, rackLayout } from '../src/site/open.ts';
import { Inventory } from '../state/live.ts';

const [windowMs, watch] = [Number(process.argv[2]), process.argv[3]!];
const site = await openSite(loadConfig({ env: process.env }));
const inventory = new Inventory(inventorySource(site), rackLayout(site.topology));
let before: string | null = null;
let seenAt: number | null = null;
inventory.subscribe(() => {
  const row = inventory.getSnapshot().rows.find((r) => r.hostname === watch);
  if (!row) return;
  if (before === null) before = row.statusName;
  else if (seenAt === null && row.statusName !== before) seenAt = Date.now();
});
const cpu0 = process.cpuUsage();
inventory.start(2_000);
await new Promise((r) => setTimeout(r, windowMs));
inventory.stop();
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.memoryUsage().rss / 1e6, seenAt }) +
    '\n',
);
await site.close();
process.exit(0);
