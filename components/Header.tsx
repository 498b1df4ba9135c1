import { Box, Text } from 'ink';
import type { InventorySnapshot } from '../state/live.ts';
import { fit, formatAge } from './format.ts';

export interface HeaderProps {
  snapshot: InventorySnapshot;
  label: string;
  width: number;
  now: number;
}

/** Endpoint, freshness and per-status counts; a red line when the data is stale, never silence. */
export function Header({ snapshot, label, width, now }: HeaderProps) {
  const counts = [...snapshot.counts.entries()].sort((a, b) => b[1] - a[1]);
  const total = snapshot.rows.length;
  const fresh =
    snapshot.refreshedAt === null
      ? snapshot.error
        ? 'no data'
        : 'loading…'
      : `updated ${formatAge(now - snapshot.refreshedAt)} ago`;
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate">
        <Text bold color="cyan">
          rackpilot
        </Text>{' '}
        MaaS {snapshot.endpoint}
        {label ? <Text color="magenta"> [{label}]</Text> : null} · {fresh}
        {snapshot.refreshing ? ' ⟳' : ''}
      </Text>
      <Text wrap="truncate">
        <Text bold>{total} hosts</Text>
        {counts.map(([name, n]) => ` · ${name} ${n}`).join('')}
      </Text>
      {snapshot.error ? (
        <Text color="red" wrap="truncate">
          {fit(`MaaS refresh failed: ${snapshot.error.split('\n')[0]}`, width)}
        </Text>
      ) : null}
    </Box>
  );
}
