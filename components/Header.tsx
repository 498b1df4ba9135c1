import { Box, Text } from 'ink';
import type { InventorySnapshot } from '../state/live.ts';
import type { PeerStatus } from './actions.ts';
import { clockTime, fit, formatAge } from './format.ts';
import { useColor } from './theme.tsx';
import { FRESH_MS, SLOW_MS } from './clock.ts';

export interface HeaderProps {
  snapshot: InventorySnapshot;
  label: string;
  width: number;
  now: number;
  /** Where the operator is, e.g. ['hosts', 'r01-n003']. */
  crumbs?: readonly string[];
  /** e.g. 'sort status↑'. */
  sort?: string;
  readOnly?: boolean;
  /** Other peers (the runner…) and whether they answer. */
  peers?: readonly PeerStatus[];
  /** Epoch ms since which a MaaS refresh has been running, when it is slow to answer. */
  slowSince?: number | null;
}

/** The lines the header takes, so the body can size itself. */
export function headerLines(snapshot: InventorySnapshot, peers: readonly PeerStatus[] | undefined): number {
  return (
    3 + (snapshot.error ? 1 : 0) + (snapshot.notice ? 1 : 0) + (peers ?? []).filter((p) => p.error).length
  );
}

/** Endpoint, freshness, counts, where you are; a red line per peer that does not answer, never silence. */
export function Header({
  snapshot,
  label,
  width,
  now,
  crumbs,
  sort,
  readOnly,
  peers,
  slowSince,
}: HeaderProps) {
  const color = useColor();
  const counts = [...snapshot.counts.entries()].sort((a, b) => b[1] - a[1]);
  const total = snapshot.rows.length;
  const slow = slowSince != null && now - slowSince >= SLOW_MS;
  const fresh =
    snapshot.refreshedAt === null
      ? snapshot.error
        ? 'no data'
        : 'loading…'
      : now - snapshot.refreshedAt < FRESH_MS
        ? 'live'
        : `updated ${formatAge(now - snapshot.refreshedAt)} ago`;
  const since = (at: number | null | undefined) => (at == null ? 'start' : clockTime(at));
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold color={color('cyan')}>
          rackpilot
        </Text>{' '}
        {/* The endpoint comes with the first rows: until then, only what is known. */}
        {snapshot.endpoint ? `MaaS ${snapshot.endpoint}` : 'MaaS'}
        {label ? <Text color={color('magenta')}> [{label}]</Text> : null}
        {readOnly ? <Text bold> [read-only]</Text> : null} · {fresh}
        {snapshot.refreshing ? ' ⟳' : ''}
        {slow ? (
          <Text color={color('yellow')}> · MaaS slow: no answer for {formatAge(now - slowSince!)}</Text>
        ) : null}
      </Text>
      <Text wrap="truncate">
        <Text bold>{total} hosts</Text>
        {counts.map(([name, n]) => ` · ${name} ${n}`).join('')}
      </Text>
      <Text wrap="truncate">
        <Text color={color('cyan')}>{(crumbs ?? ['hosts']).map((c) => `<${c}>`).join(' ')}</Text>
        {sort ? <Text color={color('gray')}> · {sort}</Text> : null}
      </Text>
      {snapshot.error ? (
        <Text color={color('red')} wrap="truncate">
          {fit(
            `MaaS unreachable since ${since(snapshot.refreshedAt)}: ${snapshot.error.split('\n')[0]} · rows marked ~ are as of then`,
            width,
          )}
        </Text>
      ) : null}
      {snapshot.notice ? (
        <Text color={color(snapshot.notice.level === 'warn' ? 'yellow' : 'gray')} wrap="truncate">
          {fit(`runner ${clockTime(snapshot.notice.at)}: ${snapshot.notice.text.split('\n')[0]}`, width)}
        </Text>
      ) : null}
      {(peers ?? [])
        .filter((p) => p.error)
        .map((p) => (
          <Text key={p.name} color={color('red')} wrap="truncate">
            {fit(
              `${p.name} ${p.what ?? 'unreachable'} since ${since(p.since)}: ${p.error!.split('\n')[0]}`,
              width,
            )}
          </Text>
        ))}
    </Box>
  );
}
