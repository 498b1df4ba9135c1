import type { EraseMode } from '../../gear/maas/client.ts';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import type { StepContext } from '../tasks/types.ts';
import type { WorkflowDeps } from './adapters.ts';
import { MachineMemo } from './machine-memo.ts';
import { hostById, systemIdOf } from './records.ts';
import type { StepLog } from './steps.ts';
import { waitForStatus } from './wait.ts';

/** The bond a create makes over the host's ToR NICs. */
export const BOND_NAME = 'bond0';

/** POST machines/{id}/?op=release with the erase parameters as MaaS takes them. */
export function releaseLine(systemId: string, erase: EraseMode): string {
  const form =
    erase === 'none' ? 'erase=false' : erase === 'full' ? 'erase=true' : `erase=true ${erase}_erase=true`;
  return `MaaS POST machines/${systemId}/?op=release ${form}`;
}

/** What releaseAndWait sends. */
export function releasePlan(deps: WorkflowDeps, hostId: string): string[] {
  const id = systemIdOf(hostById(deps, hostId));
  return [
    `MaaS GET machines/${id}/ (unless this task has just read it)`,
    `MaaS POST machines/${id}/?op=abort (only if Deploying: MaaS refuses to release mid-deploy)`,
    releaseLine(id, deps.settings.eraseMode),
    `MaaS GET machines/${id}/ until Ready`,
  ];
}

/** What a release erases, for the confirmation. */
export function eraseText(deps: WorkflowDeps, hostId: string): string {
  return `the disks of ${hostById(deps, hostId).hostname}: ${deps.settings.eraseMode} erase`;
}

/** What restoreNics sends. */
export function restoreNicsPlan(systemId: string): string[] {
  return [
    `MaaS GET nodes/${systemId}/interfaces/ (unless this task has just listed them)`,
    `MaaS DELETE nodes/${systemId}/interfaces/<${BOND_NAME}>/ (if present)`,
    `MaaS PUT nodes/${systemId}/interfaces/<NIC>/ mac_address=<its hardware MAC> (each NIC not on it)`,
  ];
}

/**
 * The seed's rollback and destroy both end here: release with the configured erase, wait for
 * Ready. The machine's state comes from `memo` when this task has just read it.
 */
export async function releaseAndWait(
  deps: WorkflowDeps,
  hostId: string,
  signal: AbortSignal,
  log: StepLog,
  progress?: StepContext['progress'],
  memo: MachineMemo = new MachineMemo(deps.maas),
): Promise<void> {
  const host = hostById(deps, hostId);
  const systemId = systemIdOf(host);
  let m = await memo.machine(systemId, signal);
  if (m.status === NODE_STATUS.READY) return;
  if (m.status === NODE_STATUS.DEPLOYING) {
    // MaaS refuses to release a machine mid-deploy: abort first (it returns to Allocated).
    log(`MaaS POST machines/${systemId}/?op=abort`, 'info', 'maas');
    m = memo.remember(await deps.maas.abort(systemId, 'rackpilot rollback', signal));
  }
  const releasing: number[] = [NODE_STATUS.RELEASING, NODE_STATUS.DISK_ERASING];
  if (!releasing.includes(m.status)) {
    log(releaseLine(systemId, deps.settings.eraseMode), 'info', 'maas');
    memo.remember(
      await deps.maas.release(systemId, { erase: deps.settings.eraseMode, comment: 'rackpilot' }, signal),
    );
  }
  const ready = await waitForStatus(deps, {
    systemId,
    hostname: host.hostname,
    want: [NODE_STATUS.READY],
    via: [NODE_STATUS.RELEASING, NODE_STATUS.DISK_ERASING],
    timeoutMs: deps.settings.releaseTimeoutMs,
    what: 'releasing',
    operation: deps.settings.eraseMode === 'none' ? 'release' : 'erase',
    signal,
    log,
    ...(progress && { progress }),
  });
  memo.remember(ready);
}

/** Whether the machine's NICs are as MaaS discovered them: no bond, every physical NIC on a hardware MAC. */
export async function nicsRestored(
  deps: WorkflowDeps,
  hostId: string,
  signal?: AbortSignal,
  memo: MachineMemo = new MachineMemo(deps.maas),
): Promise<boolean> {
  const h = hostById(deps, hostId);
  const ifaces = await memo.listInterfaces(systemIdOf(h), signal);
  const hwMacs = new Set([h.mac, ...h.macs]);
  return (
    !ifaces.some((i) => i.type === 'bond' && i.name === BOND_NAME) &&
    ifaces.filter((i) => i.type === 'physical').every((i) => hwMacs.has(i.mac_address.toLowerCase()))
  );
}

/**
 * Puts the machine's NICs back as MaaS discovered them: the bond removed, a physical NIC that was
 * given the instance MAC back on its hardware MAC. Reads MaaS rather than a step's output, so it
 * is right after a crash between the MaaS call and the journal write, and idempotent.
 */
export async function restoreNics(
  deps: WorkflowDeps,
  hostId: string,
  log: StepLog,
  signal?: AbortSignal,
  memo: MachineMemo = new MachineMemo(deps.maas),
): Promise<void> {
  const h = hostById(deps, hostId);
  const systemId = systemIdOf(h);
  const ifaces = await memo.listInterfaces(systemId, signal);
  memo.interfacesChanged(systemId);
  const bond = ifaces.find((i) => i.type === 'bond' && i.name === BOND_NAME);
  if (bond) {
    log(`MaaS DELETE nodes/${systemId}/interfaces/${bond.id}/ (${BOND_NAME})`, 'info', 'maas');
    await deps.maas.deleteInterface(systemId, bond.id, signal);
  }
  const hwMacs = [h.mac, ...h.macs.filter((m) => m !== h.mac)];
  const physical = ifaces.filter((i) => i.type === 'physical');
  const known = new Set(physical.map((i) => i.mac_address.toLowerCase()));
  const missing = hwMacs.filter((m) => !known.has(m));
  for (const iface of physical) {
    if (hwMacs.includes(iface.mac_address.toLowerCase())) continue;
    const mac = missing.shift();
    if (!mac) break;
    log(
      `MaaS PUT nodes/${systemId}/interfaces/${iface.id}/ mac_address=${mac} (${iface.name})`,
      'info',
      'maas',
    );
    await deps.maas.updateInterfaceMac(systemId, iface.id, mac, signal);
  }
}
