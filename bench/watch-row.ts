import type { InventoryView } from '../state/live.ts';

/**
 * For the inventory bench's clients: notes when a watched host's status first changes in a view,
 * and reports CPU and RSS over the window as one JSON line.
 */
export function watchRow(inventory: Pick<InventoryView, 'subscribe' | 'getSnapshot'>, hostname: string) {
  let before: string | null = null;
  let seenAt: number | null = null;
  inventory.subscribe(() => {
    const row = inventory.getSnapshot().rows.find((r) => r.hostname === hostname);
    if (!row) return;
    if (before === null) before = row.statusName;
    else if (seenAt === null && row.statusName !== before) seenAt = Date.now();
  });
  const cpu0 = process.cpuUsage();
  return {
    report(): void {
      const cpu = process.cpuUsage(cpu0);
      process.stdout.write(
        JSON.stringify({
          cpuMs: (cpu.user + cpu.system) / 1000,
          rssMb: process.memoryUsage().rss / 1e6,
          seenAt,
        }) + '\n',
      );
    },
  };
}
