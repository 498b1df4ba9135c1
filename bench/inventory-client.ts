/**
 * One dashboard's model fed by the runner, for the inventory bench: subscribes to the runner's
 * rows (a snapshot, then deltas) for a window, notes when a watched host's status changes, and
 * prints one JSON line: its CPU, its RSS and when it saw the change.
 */
import { loadConfig } from '../src/config/index.ts';
import { connectRunner } from '../src/client/runner-client.ts';
import { siteIdentity, siteStorePath } from '../src/runner/site-files.ts';
import { RunnerInventory } from '../state/runner-inventory.ts';
import { watchRow } from './watch-row.ts';

const [windowMs, watched] = [Number(process.argv[2]), process.argv[3]!];
const config = loadConfig({ env: process.env });
const client = await connectRunner({
  storePath: siteStorePath(config),
  site: siteIdentity(config),
  client: { kind: 'tui', readOnly: true },
  env: process.env,
  start: false,
});
const inventory = new RunnerInventory(client);
const watch = watchRow(inventory, watched);
await inventory.connect();
await new Promise((r) => setTimeout(r, windowMs));
watch.report();
inventory.close();
client.close();
process.exit(0);
