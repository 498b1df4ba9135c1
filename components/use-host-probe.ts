import { useEffect, useRef, useState } from 'react';
import type { HostLive } from '../src/protocol/messages.ts';
import type { HostProber } from './live-warnings.ts';

/** The details view's live reading: the last answer for the host shown, and whether a read runs. */
export interface LiveReading {
  live: HostLive | null;
  reading: boolean;
  error: string | null;
}

/**
 * Details read the gear (through the runner) when a host is shown, and again whenever `stamp`
 * changes: what the screen knows of the host moved (a task ended or stepped, the BMC sweep saw the
 * power change, the operator pressed r). The previous answer stays on screen, marked as being
 * re-read, until the new one lands; a late answer of an older read is dropped.
 */
export function useHostProbe(
  prober: HostProber | undefined,
  row: { key: string; hostname: string; macs: readonly string[] } | undefined,
  active: boolean,
  stamp: string,
): LiveReading | undefined {
  const [state, setState] = useState<(LiveReading & { key: string }) | null>(null);
  const seq = useRef(0);
  const detailKey = active ? row?.key : undefined;
  useEffect(() => {
    if (!prober || !detailKey || !row) return;
    const mine = ++seq.current;
    setState((s) =>
      s && s.key === detailKey
        ? { ...s, reading: true }
        : { key: detailKey, live: null, reading: true, error: null },
    );
    prober(row.hostname, row.macs).then(
      (live) => mine === seq.current && setState({ key: detailKey, live, reading: false, error: null }),
      (err: unknown) =>
        mine === seq.current &&
        setState((s) => ({
          key: detailKey,
          live: s?.key === detailKey ? s.live : null,
          reading: false,
          error: err instanceof Error ? err.message : String(err),
        })),
    );
  }, [detailKey, prober, stamp]);
  useEffect(() => () => void ++seq.current, []);
  if (!state || !row || state.key !== row.key || !active) return undefined;
  return state;
}

/** What, when it changes, makes the details read the gear again. */
export function liveStamp(
  row:
    { powerState: string; statusName: string; task?: { id: string; step: string } | undefined } | undefined,
  rereads: number,
): string {
  if (!row) return '';
  return [row.powerState, row.statusName, row.task?.id ?? '-', row.task?.step ?? '', rereads].join('|');
}
