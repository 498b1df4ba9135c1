import { parseEventTime } from '../../gear/maas/schemas.ts';
import { readEventsBack } from '../../gear/maas/event-pages.ts';
import type { MaasClient } from '../../gear/maas/client.ts';
import { describeError } from '../../util/errors.ts';
import type { StageHistory } from './history.ts';
import { EV } from './catalogue.ts';
import { reachesStoryStart } from './timeline.ts';
import { byUrgency, TRIAGE_STATUSES, triageRow, type Triage, type TriageRow } from './triage.ts';

/**
 * `doctor --all`'s reads: the machines (the runner's inventory when it already follows MaaS, else
 * one list), then the events of only those in a transitional or failed state, a few at a time.
 */
export interface TriageSource {
  maas: Pick<MaasClient, 'queryEvents' | 'listMachineSummaries'>;
  /** The inventory's rows when the runner already holds them (no list needed). */
  rows?: () => Promise<readonly TriageRowSource[] | null> | readonly TriageRowSource[] | null;
  history?: () => StageHistory | null;
  now?: () => number;
  /** The lab's RACKPILOT_TIME_SCALE (1 for a real region). */
  timeScale?: number;
}

export type TriageRowSource = {
  hostname: string;
  systemId: string | null;
  status: number | null;
  statusMessage: string;
};

const PARALLEL = 16;

/** A Deployed machine whose last word is a failure after the install (status_message: latest INFO+ event). */
const failedAfter = (statusMessage: string) => statusMessage.startsWith(`${EV.postInstallFailed} - `);

export async function readTriage(src: TriageSource, signal?: AbortSignal): Promise<Triage> {
  const t0 = Date.now();
  const known =
    (await src.rows?.()) ??
    (await src.maas.listMachineSummaries({}, signal)).map((m) => ({
      hostname: m.hostname,
      systemId: m.system_id,
      status: m.status,
      statusMessage: m.status_message ?? '',
    }));
  const wanted = known.filter(
    (m): m is typeof m & { systemId: string; status: number } =>
      m.systemId !== null &&
      m.status !== null &&
      (TRIAGE_STATUSES.has(m.status) || failedAfter(m.statusMessage)),
  );
  const history = src.history?.() ?? null;
  const rows: TriageRow[] = [];
  const errors: Triage['errors'] = [];
  let next = 0;
  const worker = async () => {
    while (next < wanted.length) {
      const m = wanted[next++]!;
      try {
        const { events } = await readEventsBack(
          src.maas,
          { systemId: m.systemId, pageSize: 100, maxPages: 3, enough: reachesStoryStart },
          signal,
        );
        rows.push(
          triageRow(
            {
              hostname: m.hostname,
              systemId: m.systemId,
              status: m.status,
              statusMessage: m.statusMessage,
              events: events.map((e) => ({ ...e, at: parseEventTime(e.created) ?? Number.NaN })),
            },
            src.now?.() ?? Date.now(),
            history,
            src.timeScale ?? 1,
          ),
        );
      } catch (err) {
        errors.push({ hostname: m.hostname, error: describeError(err).split('\n')[0]! });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, wanted.length) }, worker));
  rows.sort(byUrgency);
  return { rows, scanned: known.length, readAt: src.now?.() ?? Date.now(), tookMs: Date.now() - t0, errors };
}
