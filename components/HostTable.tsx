import { memo, useMemo } from 'react';
import { Box, Text } from 'ink';
import type { DashboardRow } from './rows.ts';
import { fit, formatAge, width as cells } from './format.ts';
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
}

type ColumnId =
  'host' | 'ports' | 'mac' | 'status' | 'age' | 'power' | 'task' | 'instance' | 'vlans' | 'message';

interface Column {
  id: ColumnId;
  title: string;
  width: number;
  /** Lower stays longer when the terminal is narrow. */
  priority: number;
}

/** The gutter: mark (`*`) and staleness (`~`). */
const GUTTER = 2;

/** Which columns fit, in display order: they drop by priority, and a wide terminal gets them all. */
export function layoutColumns(width: number, rows: readonly DashboardRow[]): Column[] {
  const wide = width >= 120;
  const longest = rows.reduce((n, r) => Math.max(n, cells(r.hostname)), 8);
  const has = (f: (r: DashboardRow) => unknown) => rows.some((r) => f(r));
  const all: (Column | false)[] = [
    { id: 'host', title: 'HOST', width: Math.min(longest, wide ? 24 : 10), priority: 0 },
    { id: 'ports', title: wide ? 'SWITCH PORTS' : 'PORTS', width: wide ? 24 : 10, priority: 5 },
    { id: 'mac', title: 'MAC', width: wide ? 22 : 20, priority: 7 },
    { id: 'status', title: 'STATUS', width: wide ? 20 : 17, priority: 0 },
    { id: 'age', title: 'FOR', width: 6, priority: 4 },
    { id: 'power', title: 'POWER', width: 7, priority: 1 },
    has((r) => r.task) && { id: 'task', title: 'TASK', width: 14, priority: 2 },
    has((r) => r.instance) && { id: 'instance', title: 'INSTANCE', width: 12, priority: 3 },
    has((r) => r.vlans) && { id: 'vlans', title: 'VLANS', width: 9, priority: 6 },
    wide && { id: 'message', title: 'MESSAGE', width: 20, priority: 8 },
  ];
  const candidates = all.filter((c): c is Column => c !== false);
  const chosen = new Set<ColumnId>();
  let used = GUTTER;
  for (const c of [...candidates].sort((a, b) => a.priority - b.priority)) {
    const need = c.width + (chosen.size ? 1 : 0);
    if (used + need > width) continue;
    chosen.add(c.id);
    used += need;
  }
  const out = candidates.filter((c) => chosen.has(c.id));
  // The message column takes what is left over.
  const message = out.find((c) => c.id === 'message');
  if (message) message.width += Math.max(0, width - used - 1);
  return out;
}

function portsText(row: DashboardRow, wide: boolean): string {
  if (row.ports.length === 0) return row.switchName ? '?' : '-';
  if (wide) return `${row.switchName ?? ''} ${row.ports.join(',')}`.trim();
  return row.ports.length > 1 ? `${row.ports[0]}+${row.ports.length - 1}` : row.ports[0]!;
}

function macText(row: DashboardRow): string {
  if (row.macs.length === 0) return '-';
  return row.macs.length > 1 ? `${row.macs[0]}+${row.macs.length - 1}` : row.macs[0]!;
}

/** A cell's text and, for the coloured columns, its colour (before the theme is applied). */
interface Segment {
  text: string;
  color?: string | undefined;
}

/** A row's cells as text segments: neighbouring plain cells make one segment, so a row is a few text nodes, not one per column. */
function rowSegments(row: DashboardRow, columns: readonly Column[], wide: boolean, age: string): Segment[] {
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
        return add(fit(portsText(row, wide), c.width));
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
  wide: boolean;
  /** The FOR column's text: passed in, so a row redraws only when its own text changes. */
  age: string;
  inverse: boolean;
  mark: boolean;
  stale: boolean;
}

/** One host's line. Memoised: moving the cursor redraws the two rows it leaves and enters, not the screen. */
const HostRow = memo(function HostRow({ row, columns, wide, age, inverse, mark, stale }: HostRowProps) {
  const color = useColor();
  return (
    <Text inverse={inverse} wrap="truncate">
      {(mark ? '*' : ' ') + (stale ? '~' : ' ')}
      {rowSegments(row, columns, wide, age).map((s, i) =>
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
  const { rows, selected, offset, height, width, now, marked, stale, loading } = props;
  const color = useColor();
  // Walks every row (widest host name, which optional columns have data): once per data change,
  // not once per key press.
  const columns = useMemo(() => layoutColumns(width, rows), [width, rows]);
  const wide = width >= 120;
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
          wide={wide}
          age={showsAge ? (row.sinceExact ? '' : '>') + formatAge(now - row.since) : ''}
          inverse={offset + i === selected}
          mark={marked?.has(row.key) ?? false}
          stale={stale ?? false}
        />
      ))}
    </Box>
  );
}
