import { Box, Text } from 'ink';
import { useColor } from './theme.tsx';
import type { RackSummary } from '../state/live.ts';
import { fit } from './format.ts';

/** Rack chooser: a one-line tab bar in narrow terminals, a side pane in wide ones. */
export function RackTabs({ racks, current }: { racks: readonly RackSummary[]; current: number }) {
  const color = useColor();
  const items = [{ label: 'all', count: racks.reduce((n, r) => n + r.hostCount, 0) }].concat(
    racks.map((r) => ({ label: r.name, count: r.hostCount })),
  );
  return (
    <Text wrap="truncate">
      <Text color={color('gray')}>racks </Text>
      {items.map((it, i) => (
        <Text key={it.label} inverse={i === current} color={color(i === current ? 'cyan' : undefined)}>
          {` ${it.label}(${it.count}) `}
        </Text>
      ))}
    </Text>
  );
}

export const RACK_PANE_WIDTH = 26;

export function RackPane({
  racks,
  current,
  height,
}: {
  racks: readonly RackSummary[];
  current: number;
  height: number;
}) {
  const total = racks.reduce((n, r) => n + r.hostCount, 0);
  const items = [{ label: 'all racks', sw: '', count: total }].concat(
    racks.map((r) => ({ label: r.name, sw: r.switchName, count: r.hostCount })),
  );
  return (
    <Box flexDirection="column" width={RACK_PANE_WIDTH} height={height}>
      <Text bold>{fit('RACK   SWITCH      HOSTS', RACK_PANE_WIDTH - 1)}</Text>
      {items.slice(0, Math.max(0, height - 1)).map((it, i) => (
        <Text key={it.label} inverse={i === current} wrap="truncate">
          {i === current ? '▸' : ' '}
          {it.sw ? fit(it.label, 6) + ' ' + fit(it.sw, 11) : fit(it.label, 18)} {String(it.count).padStart(5)}
        </Text>
      ))}
    </Box>
  );
}
