import { dirname, join } from 'node:path';
import { ipmiTargetFor } from '../site/adapters.ts';
import type { Workbench } from '../site/workbench.ts';
import { OperatorError } from '../../util/errors.ts';
import { ConsoleHub } from './hub.ts';
import { EtcdConsoleGuard } from '../coord/console-claims.ts';
import { FINAL_EVENTS } from '../../protocol/events.ts';

/**
 * The runner's console hub over its store's hosts; a task that holds a host (its target) gets
 * that host's console recorded beside the store, in `consoles/`, while it runs. On an etcd site
 * one runner at a time holds a host's console (the BMC serves one SOL session).
 */
export function createConsoleHub(
  wb: Workbench,
  storePath: string,
  scrollbackBytes: number,
  log: (line: string) => void,
): { hub: ConsoleHub; dispose(): void } {
  const hub = new ConsoleHub({
    targetFor: (hostname) => {
      const host = wb.store.hosts.find((h) => h.hostname === hostname || h.id === hostname);
      if (!host) {
        throw new OperatorError(`host ${hostname} is not in rackpilot's store`, {
          hint: '`rackpilot host ls` lists the hosts whose BMC rackpilot knows',
          target: hostname,
        });
      }
      return ipmiTargetFor(host);
    },
    scrollbackBytes,
    recordingsDir: join(dirname(storePath), 'consoles'),
    log,
    noSol: (hostname) => {
      const host = wb.store.hosts.find((h) => h.hostname === hostname || h.id === hostname);
      return host?.ipmi.protocol === 'redfish'
        ? 'its BMC speaks Redfish: rackpilot reads consoles over IPMI Serial-over-LAN only'
        : null;
    },
    ...(wb.etcd && { guard: new EtcdConsoleGuard(wb.etcd.site, log) }),
  });
  const off = wb.engine.subscribe((e) => {
    if (e.type === 'task-started') {
      const target = wb.store.tasks.peek(e.taskId)?.target;
      const hostname =
        target?.hostname ?? (target?.hostId ? wb.store.hosts.get(target.hostId)?.hostname : undefined);
      if (hostname) hub.taskStarted(e.taskId, hostname);
    } else if (FINAL_EVENTS.has(e.type)) hub.taskEnded(e.taskId);
  });
  return { hub, dispose: off };
}
