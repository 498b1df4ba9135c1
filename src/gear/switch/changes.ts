import type { Dialect } from './dialects/types.ts';
import type { PortChange, PortVlans, SwitchTarget } from './target.ts';
import { dialectFor } from './dialects/index.ts';
import { PortChangeSchema } from './target.ts';
import { assertSafeCliLine, parsePort, ValidationError } from './validate.ts';

/**
 * What planning a change needs of a switch: its dialect, PXE VLAN, port prefix and allowed VLANs,
 * never its credentials (a plan is made without connecting, by whoever holds this description).
 */
export type SwitchPlanTarget = Pick<
  SwitchTarget,
  'name' | 'dialect' | 'pxeVlan' | 'portPrefix' | 'allowedVlans'
>;

/**
 * The exact CLI lines a change list would send, without connecting (ports assumed on the PXE VLAN
 * unless `current` says otherwise). Pure.
 */
export function planScript(
  target: SwitchPlanTarget,
  changes: readonly PortChange[],
  current: Record<string, PortVlans> = {},
): string[] {
  const dialect = dialectFor(target.dialect);
  const checked = checkChanges(dialect, target, changes);
  return sessionScript(
    dialect,
    planPorts(dialect, target, checked, (port) => current[port] ?? pxeState(target)),
  );
}

/** What a port looks like when nothing tenant-related is on it: untagged on MaaS's PXE VLAN. */
export function pxeState(target: SwitchPlanTarget): PortVlans {
  return { untagged: target.pxeVlan, tagged: [] };
}

/** The membership a change asks for, starting from `from`. Pure. */
export function transition(from: PortVlans, change: PortChange, pxeVlan: number): PortVlans {
  const tagged = new Set(from.tagged);
  switch (change.op) {
    case 'access':
      tagged.delete(change.vlan);
      return { untagged: change.vlan, tagged: sorted(tagged) };
    case 'tagAdd':
      if (from.untagged === change.vlan) return { untagged: from.untagged, tagged: sorted(tagged) };
      tagged.add(change.vlan);
      return { untagged: from.untagged, tagged: sorted(tagged) };
    case 'tagRemove':
      tagged.delete(change.vlan);
      return { untagged: from.untagged, tagged: sorted(tagged) };
    case 'resetPxe':
      return { untagged: pxeVlan, tagged: [] };
  }
}

function sorted(s: Set<number>): number[] {
  return [...s].sort((a, b) => a - b);
}

export function sameVlans(a: PortVlans, b: PortVlans): boolean {
  return (
    a.untagged === b.untagged &&
    a.tagged.length === b.tagged.length &&
    a.tagged.every((v, i) => v === b.tagged[i])
  );
}

/**
 * Validates a change list against the target before anything is sent: port names, VLAN ids,
 * the switch's allowed VLANs. Returns the changes with the CLI interface name of each port.
 */
export function checkChanges(
  dialect: Dialect,
  target: SwitchPlanTarget,
  changes: readonly unknown[],
): (PortChange & { iface: string })[] {
  const allowed = target.allowedVlans ? new Set([...target.allowedVlans, target.pxeVlan]) : undefined;
  return changes.map((raw) => {
    const parsed = PortChangeSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ValidationError(
        `invalid change ${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      );
    }
    const change = parsed.data;
    const iface = dialect.iface(parsePort(change.port), target.portPrefix);
    assertSafeCliLine(iface);
    if (change.vlan !== undefined && allowed && !allowed.has(change.vlan) && change.op !== 'tagRemove') {
      throw new ValidationError(
        `VLAN ${change.vlan} is not in the allowed VLANs of switch ${target.name} (port ${change.port})`,
      );
    }
    return { ...change, iface };
  });
}

export interface PortPlan {
  port: string;
  iface: string;
  before: PortVlans;
  after: PortVlans;
  lines: string[];
}

/** Groups changes per port (in first-seen order) and computes the exact configuration lines. */
export function planPorts(
  dialect: Dialect,
  target: SwitchPlanTarget,
  changes: (PortChange & { iface: string })[],
  current: (port: string) => PortVlans,
): PortPlan[] {
  const byPort = new Map<string, PortPlan>();
  for (const c of changes) {
    let p = byPort.get(c.iface);
    if (!p) {
      const before = current(c.port);
      p = { port: c.port, iface: c.iface, before, after: before, lines: [] };
      byPort.set(c.iface, p);
    }
    p.after = transition(p.after, c, target.pxeVlan);
  }
  for (const p of byPort.values()) {
    p.lines = dialect.changeLines(p.iface, p.before, p.after).map(assertSafeCliLine);
  }
  return [...byPort.values()];
}

/** The whole session as it will be typed: configuration mode, the port blocks, end, save. */
export function sessionScript(dialect: Dialect, plans: PortPlan[]): string[] {
  const body = plans.flatMap((p) => p.lines);
  if (body.length === 0) return [];
  return [dialect.configure, ...body, 'end', dialect.save];
}
