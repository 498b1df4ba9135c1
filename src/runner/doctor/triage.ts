import { NODE_STATUS_NAME } from '../../gear/maas/node-status.ts';
import { analyse, type DoctorFacts } from './diagnose.ts';
import type { StageHistory } from './history.ts';
import type { TriageRow } from '../../protocol/doctor.ts';

export type { Triage, TriageRow } from '../../protocol/doctor.ts';

/**
 * The morning triage: every machine in a transitional or failed state, each with the stage its
 * operation reached, its one-line cause and the time left before MaaS's timeout, most urgent first.
 * Pure: the machines and their events go in. The timeline alone decides here (no BMC or switch is
 * read for a whole site); `rackpilot doctor HOST` adds the live checks for one host.
 */

/** Statuses a triage lists: MaaS is working on the machine, or it stopped in a failure (and Deployed ones whose last event is a post-install failure). */
export const TRIAGE_STATUSES: ReadonlySet<number> = new Set([
  1, 2, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
]);

export interface TriageMachine {
  hostname: string;
  systemId: string;
  status: number;
  statusMessage: string;
  events: DoctorFacts['events'];
}

export function triageRow(
  m: TriageMachine,
  now: number,
  history: StageHistory | null,
  timeScale = 1,
): TriageRow {
  const statusName = NODE_STATUS_NAME[m.status as keyof typeof NODE_STATUS_NAME] ?? String(m.status);
  const { diagnosis: d, timeline: t } = analyse({
    hostname: m.hostname,
    now,
    maas: {
      systemId: m.systemId,
      status: m.status,
      statusName,
      statusMessage: m.statusMessage,
      powerState: 'unknown',
      bootInterfaceMac: null,
    },
    events: m.events,
    curtin: null,
    history,
    bmc: null,
    outOfBand: null,
    ports: [],
    macs: [],
    instanceMac: null,
    task: null,
    timeScale,
  });
  const last = t.stages[t.stages.length - 1];
  const running = t.outcome === 'running';
  const urgency = running && d.cause ? 0 : !running && t.operation !== null ? 1 : d.cause ? 1 : 2;
  return {
    hostname: m.hostname,
    systemId: m.systemId,
    statusName,
    operation: t.operation,
    stage: last?.label ?? null,
    stageS: last?.durationS ?? null,
    cause: d.cause ? { id: d.cause.id, title: d.cause.title } : null,
    summary: d.summary,
    remainingS: running ? (t.timer?.remainingS ?? null) : null,
    urgency,
  };
}

/** Most urgent first: stuck and running by time left, then failed, then progressing by time left. */
export function byUrgency(a: TriageRow, b: TriageRow): number {
  if (a.urgency !== b.urgency) return a.urgency - b.urgency;
  const left = (r: TriageRow) => r.remainingS ?? Number.POSITIVE_INFINITY;
  if (left(a) !== left(b)) return left(a) - left(b);
  return a.hostname.localeCompare(b.hostname);
}
