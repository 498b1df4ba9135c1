import { INVENTORY_NOTIFICATION } from '../protocol/messages.ts';
import { OperatorError } from '../util/errors.ts';
import type { InventoryService } from './inventory/service.ts';
import type { RunnerServer } from './server.ts';
import { peerDeadline, stillWaiting, type Handlers } from './service/context.ts';
import type { WaitBoard } from './waits.ts';

/** What the runner's own requests (status, stop, the inventory feed) act on. */
export interface RunnerControl {
  log(line: string): void;
  maasTimeoutMs: number;
  inventory: InventoryService;
  waits: WaitBoard;
  /** The server, once made (the handlers are given to it). */
  server(): RunnerServer;
  status: Handlers['runner.status'];
  /** Ids of the tasks this runner runs now. */
  runningTasks(): string[];
  stopWhenDrained(): void;
  stop(reason: string): Promise<void>;
}

/** runner.status, runner.stop and the inventory requests. */
export function runnerControlHandlers(c: RunnerControl): Handlers {
  return {
    'runner.status': c.status,
    'runner.stop': async ({ force, whenIdle }) => {
      const running = c.runningTasks();
      if (whenIdle && !force) {
        // `runner restart`: nothing new starts; the runner goes when the last running task ends.
        c.server().draining = true;
        c.log(
          running.length > 0
            ? `restart asked: refusing changes, stopping once ${running.length} running task(s) end: ${running.join(', ')}`
            : 'restart asked: no task running',
        );
        c.stopWhenDrained();
        return { stopping: true, interrupted: [] };
      }
      if (running.length > 0 && !force) {
        throw new OperatorError(`${running.length} task(s) running: ${running.join(', ')}`, {
          hint: 'wait for them (`rackpilot tasks`), or `rackpilot runner stop --force`: they stop where they are and show as interrupted, to resume or roll back',
        });
      }
      setImmediate(
        () => void c.stop(force ? 'stopped by the operator (--force)' : 'stopped by the operator'),
      );
      return { stopping: true, interrupted: running };
    },
    ...inventoryHandlers(c),
  };
}

function inventoryHandlers({ inventory, waits, maasTimeoutMs }: RunnerControl): Handlers {
  return {
    'inventory.snapshot': async (_p, _caller, request) => {
      // A one-off read (`rackpilot hosts`): fresh unless a dashboard keeps the rows followed. One
      // step, one deadline: a failed list is the answer, never followed by a second try.
      const deadline = peerDeadline(request, maasTimeoutMs, 'RACKPILOT_MAAS_TIMEOUT');
      try {
        if (inventory.subscriberCount === 0 || !inventory.follower.ready)
          await inventory.refresh(deadline.signal);
      } catch (err) {
        throw stillWaiting(err, waits);
      } finally {
        deadline.dispose();
      }
      return inventory.current();
    },
    'inventory.subscribe': async (_p, caller) => {
      caller.subscription.inventory?.();
      caller.subscription.inventory = inventory.subscribe((d) =>
        caller.notify(INVENTORY_NOTIFICATION, {
          version: d.version,
          upsert: d.upsert.map((r) => ({ ...r, ports: [...r.ports], macs: [...r.macs] })),
          remove: d.remove,
          refreshedAt: d.refreshedAt,
          error: d.error,
          notice: d.notice,
        }),
      );
      return inventory.snapshot();
    },
    'inventory.unsubscribe': async (_p, caller) => {
      caller.subscription.inventory?.();
      caller.subscription.inventory = undefined;
      return {};
    },
    'inventory.refresh': async () => {
      await inventory.refresh();
      return {};
    },
  };
}
