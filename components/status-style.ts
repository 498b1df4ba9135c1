/**
 * Colour for a MaaS status, by what it asks of the operator: green settled, yellow/cyan moving,
 * red needs a look. Keyed by NODE_STATUS code so it does not depend on display names.
 */
const SETTLED_OK = new Set([4, 6]); // Ready, Deployed
const MOVING = new Set([1, 9, 12, 14, 17, 19, 21]); // Commissioning, Deploying, Releasing, Disk erasing, rescue in/out, Testing
const FAILED = new Set([2, 3, 8, 11, 13, 15, 18, 20, 22]); // failed states, Missing, Broken
const HELD = new Set([5, 10, 16]); // Reserved, Allocated, Rescue mode

export type StatusTone = 'ok' | 'moving' | 'failed' | 'held' | 'other' | 'absent';

export function statusTone(status: number | null): StatusTone {
  if (status === null) return 'absent';
  if (SETTLED_OK.has(status)) return 'ok';
  if (MOVING.has(status)) return 'moving';
  if (FAILED.has(status)) return 'failed';
  if (HELD.has(status)) return 'held';
  return 'other';
}

export const TONE_COLOR: Record<StatusTone, string> = {
  ok: 'green',
  moving: 'yellow',
  failed: 'red',
  held: 'cyan',
  other: 'white',
  absent: 'gray',
};

export function powerColor(power: string): string {
  return power === 'on' ? 'green' : power === 'off' ? 'gray' : 'red';
}
