import { render } from 'ink';
import { Dashboard } from '../../components/Dashboard.tsx';
import { Inventory } from '../../state/live.ts';
import { RunnerTaskFeed } from '../../state/runner-task-feed.ts';
import { inventorySource, rackLayout } from '../site/open.ts';
import { hostProber } from '../site/probe.ts';
import type { CommandContext } from './context.ts';

/** The default command: the full-screen dashboard, live from MaaS every 2 s (k9s's default). */
export async function dashboardCommand(
  ctx: CommandContext,
  opts: { refreshMs?: number } = {},
): Promise<number> {
  // The runner first: with no MaaS configured it is what hosts the lab the dashboard shows.
  const runner = await ctx.runner();
  const site = await ctx.site();
  const inventory = new Inventory(inventorySource(site), rackLayout(site.topology));
  inventory.start(opts.refreshMs ?? 2_000);
  const taskFeed = new RunnerTaskFeed(runner);
  await taskFeed.connect();
  const app = render(
    <Dashboard
      inventory={inventory}
      label={ctx.config().lab ? 'lab' : ''}
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
    taskFeed.close();
  }
  return 0;
}
