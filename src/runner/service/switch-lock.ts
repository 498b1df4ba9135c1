import { OperatorError } from '../../util/errors.ts';
import type { Workbench } from '../site/workbench.ts';

/** How long a read waits for a switch a task is changing before it says so. */
export const LIVE_LOCK_WAIT_MS = 20_000;

/**
 * Runs a read of switch `name` holding the step lock a task's switch step takes (`switch:<name>`,
 * in etcd too when jump hosts share the site), so a read never lands between the lines of a batch
 * of changes. Waits for it at most `waitMs`, then refuses, saying so.
 */
export async function withSwitchLock<T>(
  wb: Workbench,
  name: string,
  purpose: string,
  waitMs: number,
  read: () => Promise<T>,
): Promise<T> {
  let unlock: () => Promise<void>;
  try {
    unlock = await wb.engine.coordinator.lock([`switch:${name}`], purpose, AbortSignal.timeout(waitMs));
  } catch {
    const waited = waitMs >= 1000 ? `${Math.round(waitMs / 1000)} s` : `${waitMs} ms`;
    throw new OperatorError(`switch ${name} stayed locked by a task for ${waited}`, {
      target: name,
      hint: '`rackpilot tasks` shows the task changing it; read again once its switch step is over',
    });
  }
  try {
    return await read();
  } finally {
    await unlock().catch(() => undefined);
  }
}
