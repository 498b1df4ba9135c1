import type { Config } from '../config/index.ts';
import { FINAL_EVENTS } from '../protocol/events.ts';
import type { Site } from './site/open.ts';
import type { Workbench } from './site/workbench.ts';
import { createConsoleHub } from './console/runner-consoles.ts';
import { createPowerSweep } from './service/troubleshoot.ts';

/**
 * What the runner does beside each task's steps: the console of the host a task holds is
 * recorded while it runs, and the BMCs' power is swept, with the task's host read again as it
 * ends (the screen follows the gear, not the next sweep). One definition, so that the runner bench
 * can carry the same work in one process as the runner carries.
 */
export function startTaskSideWork(
  config: Config,
  site: Site,
  wb: Workbench,
  storePath: string,
  log: (line: string) => void,
) {
  const consoles = createConsoleHub(wb, storePath, config.consoleScrollbackBytes, log);
  const powerSweep = startPowerSweep(config, site, wb, log);
  const offRecheck = powerSweep
    ? wb.engine.subscribe((e) => {
        if (!FINAL_EVENTS.has(e.type)) return;
        const host = wb.engine.peek(e.taskId)?.target.hostname;
        if (host) void powerSweep.recheck(host).catch(() => undefined);
      })
    : () => undefined;
  return {
    consoles: consoles.hub,
    powerSweep,
    async close(): Promise<void> {
      offRecheck();
      powerSweep?.dispose();
      consoles.dispose();
      await consoles.hub.close().catch(() => undefined);
    },
  };
}

/**
 * Power from the BMCs: RACKPILOT_POWER_SWEEP_MS sets the sweep's period (0 turns it off; unset, it
 * is paced to the number of BMCs).
 */
function startPowerSweep(config: Config, site: Site, wb: Workbench, log: (line: string) => void) {
  const sweepMs = config.powerSweepMs;
  if (sweepMs === 0) return undefined;
  return createPowerSweep(site, wb, { ...(sweepMs !== undefined && { intervalMs: sweepMs }), log });
}
