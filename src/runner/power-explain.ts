import { NODE_STATUS } from '../gear/maas/node-status.ts';
import { parseEventTime, type MaasEvent } from '../gear/maas/schemas.ts';

/** MaaS statuses in which MaaS itself powers the host on, or off. */
const MAAS_POWERS_ON = new Set<number>([
  NODE_STATUS.COMMISSIONING,
  NODE_STATUS.DEPLOYING,
  NODE_STATUS.DISK_ERASING,
  NODE_STATUS.TESTING,
  NODE_STATUS.ENTERING_RESCUE_MODE,
]);
const MAAS_POWERS_OFF = new Set<number>([NODE_STATUS.RELEASING, NODE_STATUS.EXITING_RESCUE_MODE]);

/**
 * The events MaaS logs for a power action of its own (canonical/maas): the API request ("User
 * powering up node", REQUEST_NODE_START), the rack starting it ("Powering on", "Power cycling",
 * NODE_POWER_*_STARTING) and its success ("Node powered on", NODE_POWERED_ON, which
 * power_change_success logs once the BMC confirms). A change MaaS's power poll merely observes
 * (a power button, the host's own reboot) updates power_state and logs no event, so none of these
 * can stand for a change MaaS did not make.
 */
const MAAS_POWER_ACTION = {
  on: /^(User powering up node|Powering on|Power cycling|Node powered on)$/,
  off: /^(User powering down node|Powering off|Power cycling|Node powered off)$/,
} as const;

/** Events asked of MaaS to explain one change: a deploy at full speed logs dozens within a minute. */
export const EXPLAIN_EVENTS_LIMIT = 100;

/** MaaS's status explains the change: one in which it powers hosts that way (deploying powers on). */
export function statusExplainsPower(
  machine: { status: number; status_name: string },
  to: 'on' | 'off',
): string | null {
  return (to === 'on' ? MAAS_POWERS_ON : MAAS_POWERS_OFF).has(machine.status)
    ? `MaaS powers it ${to} while ${machine.status_name}`
    : null;
}

/** MaaS logged a power action of its own that way within `windowMs` (events newest first, as MaaS answers). */
export function eventsExplainPower(
  events: readonly Pick<MaasEvent, 'type' | 'created'>[],
  to: 'on' | 'off',
  nowMs: number,
  windowMs: number,
): string | null {
  const recent = events.find(
    (e) => (parseEventTime(e.created) ?? 0) >= nowMs - windowMs && MAAS_POWER_ACTION[to].test(e.type),
  );
  return recent ? `MaaS: ${recent.type}` : null;
}

/**
 * Why MaaS would have changed the host's power to `to`, or null when nothing MaaS did explains it:
 * its status, else its recent power events. The sweep asks the two apart, so that a status that
 * explains the change spares it the events query.
 */
export function maasExplainsPower(
  machine: { status: number; status_name: string },
  events: readonly Pick<MaasEvent, 'type' | 'created'>[],
  to: 'on' | 'off',
  nowMs: number,
  windowMs: number,
): string | null {
  return statusExplainsPower(machine, to) ?? eventsExplainPower(events, to, nowMs, windowMs);
}
