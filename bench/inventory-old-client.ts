/**
 * One "dashboard" of before the runner, for the inventory bench: polls MaaS's whole machine list
 * every 2 s (the old Inventory) for a window, notes when a watched host's status changes, and
 * prints one JSON line: its CPU, its RSS and when it saw the change.
 */
import { loadConfig } from '../src/config/index.ts';
import { inventorySource, openSite, rackLayout } from '../src/runner/site/open.ts';
import { Inventory } from './support/polled-inventory.ts';
import { watchRow } from './watch-row.ts';

const [windowMs, watched] = [Number(process.argv[2]), process.argv[3]!];
const site = await openSite(loadConfig({ env: process.env }));
const inventory = new Inventory(inventorySource(site), rackLayout(site.topology));
const watch = watchRow(inventory, watched);
inventory.start(2_000);
await new Promise((r) => setTimeout(r, windowMs));
inventory.stop();
watch.report();
await site.close();
process.exit(0);
