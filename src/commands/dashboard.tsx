import { render } from 'ink';
import { Dashboard } from '../../components/Dashboard.tsx';
import { Inventory } from '../../state/live.ts';
import { TaskFeed } from '../../state/task-feed.ts';
import { inventorySource, rackLayout } from '../site/open.ts';
import { hostProber } from '../site/probe.ts';
import type { CommandContext } from './context.ts';

/** The default command: the full-screen dashboard, live from MaaS every 2 s (k9s's default). */
export async function dashboardCommand(
  ctx: CommandContext,
  opts: { refreshMs?: number } = {},
): Promise<number> {
  const site = await ctx.site({ demo: true });
  const inventory = new Inventory(inventorySource(site), rackLayout(site.topology));
  inventory.start(opts.refreshMs ?? 2_000);
  // A lab living inside the dashboard has no store; a real site (or `rackpilot lab`) has one.
  const taskFeed = site.lab ? undefined : new TaskFeed(site.config.store);
  taskFeed?.start(1_000);
  const app = render(
    <Dashboard
      inventory={inventory}
      label={site.lab ? 'lab' : ''}
      prober={hostProber(site)}
      {...(taskFeed && { taskFeed })}
    />,
    {
      alternateScreen: true,
      incrementalRendering: true,
      exitOnCtrlC: true,
    },
  );
  try {
    await app.waitUntilExit();
  } finally {
    inventory.stop();
    taskFeed?.stop();
  }
  return 0;
}
