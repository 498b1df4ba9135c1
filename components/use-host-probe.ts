import { useEffect, useState } from 'react';
import type { HostProbe, HostProber } from '../src/site/probe.ts';

/** Details read the gear live, once per host shown; a late answer for another host is dropped. */
export function useHostProbe(
  prober: HostProber | undefined,
  row: { key: string; hostname: string; macs: readonly string[] } | undefined,
  active: boolean,
): HostProbe | 'loading' | undefined {
  const [probe, setProbe] = useState<{ key: string; value: HostProbe | 'loading' } | null>(null);
  const detailKey = active ? row?.key : undefined;
  useEffect(() => {
    if (!prober || !detailKey || !row) return;
    let live = true;
    setProbe({ key: detailKey, value: 'loading' });
    prober(row.hostname, row.macs).then(
      (value) => live && setProbe({ key: detailKey, value }),
      () => live && setProbe(null),
    );
    return () => {
      live = false;
    };
  }, [detailKey, prober]);
  return probe && row && probe.key === row.key ? probe.value : undefined;
}
