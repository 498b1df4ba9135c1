import { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import type { DashboardRow } from './rows.ts';
import { fit, formatAge } from './format.ts';
import { GUTTER, layoutColumns, macText, portsText, type Column } from './columns.ts';
import { powerColor, statusTone, TONE_COLOR } from './status-style.ts';
import { useColor } from './theme.tsx';

export interface HostTableProps {
  rows: readonly DashboardRow[];
  selected: number;
  /** First row index shown: the table is windowed, only visible rows are rendered. */
  offset: number;
  height: number;
  width: number;
  now: number;
  marked?: ReadonlySet<string>;
  /** The rows are as of the last good refresh (MaaS is not answering): each is marked `~`. */
  stale?: boolean;
  /** No rows yet because the first ones are still on their way (not because none match). */
  loading?: boolean;
  /** The terminal is 120 columns or more: every switch port and the status message per row. */
  wide?: boolean;
}

/** A cell's text and, for the coloured columns, its colour (before the theme is applied). */
interface Segment {
  text: string;
  color?: string | undefined;
}

/** A row's cells as text segments: neighbouring plain cells make one segment, so a row is a few text nodes, not one per column. */
function rowSegments(row: DashboardRow, columns: readonly Column[], age: string): Segment[] {
  const out: Segment[] = [];
  const add = (text: string, color?: string) => {
    const last = out.at(-1);
    if (last && last.color === color) last.text += text;
    else out.push({ text, color });
  };
  columns.forEach((c, j) => {
    if (j) add(' ');
    switch (c.id) {
      case 'host':
        return add(fit(row.hostname, c.width));
      case 'ports':
        // As many ports as fit, never a cut port name.
        return add(fit(portsText(row, c.ports ?? 'short'), c.width));
      case 'mac':
        return add(fit(macText(row), c.width));
      case 'status':
        return add(fit(row.statusName, c.width), TONE_COLOR[statusTone(row.status)]);
      case 'age':
        return add(fit(age, c.width));
      case 'power':
        return add(fit(row.powerState, c.width), powerColor(row.powerState));
      case 'task':
        return add(fit(row.task?.step ?? '', c.width), 'yellow');
      case 'instance':
        return add(fit(row.instance ?? '', c.width));
      case 'vlans':
        return add(fit(row.vlans ?? '', c.width));
      case 'message':
        return add(fit(row.statusMessage, c.width));
    }
  });
  return out;
}

interface HostRowProps {
  row: DashboardRow;
  columns: readonly Column[];
  /** The FOR column's text: passed in, so a row redraws only when its own text changes. */
  age: string;
  inverse: boolean;
  mark: boolean;
  stale: boolean;
}

/** One host's line. Memoised: moving the cursor redraws the two rows it leaves and enters, not the screen. */
const HostRow = memo(function HostRow({ row, columns, age, inverse, mark, stale }: HostRowProps) {
  const color = useColor();
  return (
    <Text inverse={inverse} wrap="truncate">
      {(mark ? '*' : ' ') + (stale ? '~' : ' ')}
      {rowSegments(row, columns, age).map((s, i) =>
        s.color === undefined ? (
          s.text
        ) : (
          <Text key={i} color={color(s.color)}>
            {s.text}
          </Text>
        ),
      )}
    </Text>
  );
});

export function HostTable(props: HostTableProps) {
  const { rows, selected, offset, height, width, now, marked, stale, loading, wide } = props;
  const color = useColor();
  // Walks every row (widest host name, which optional columns have data): once per data change,
  // not once per key press.
  const columns = useMemo(() => layoutColumns(width, rows, wide), [width, rows, wide]);
  const visible = rows.slice(offset, offset + height);
  const showsAge = columns.some((c) => c.id === 'age');
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {' '.repeat(GUTTER)}
        {columns.map((c) => fit(c.title, c.width)).join(' ')}
      </Text>
      {visible.length === 0 ? (
        <Text color={color('gray')}>{loading ? 'loading hosts…' : 'no hosts match'}</Text>
      ) : null}
      {visible.map((row, i) => (
        <HostRow
          key={row.key}
          row={row}
          columns={columns}
          age={showsAge ? (row.sinceExact ? '' : '>') + formatAge(now - row.since) : ''}
          inverse={offset + i === selected}
          mark={marked?.has(row.key) ?? false}
          stale={stale ?? false}
        />
      ))}
    </Box>
  );
}
