import { Box, Text } from 'ink';
import type { HostRow } from '../state/live.ts';
import { fit, formatAge } from './format.ts';
import { powerColor, statusTone, TONE_COLOR } from './status-style.ts';

export interface HostTableProps {
  rows: readonly HostRow[];
  selected: number;
  /** First row index shown: the table is windowed, only visible rows are rendered. */
  offset: number;
  height: number;
  width: number;
  now: number;
}

interface Columns {
  host: number;
  ports: number;
  mac: number;
  status: number;
  age: number;
  power: number;
  message: number;
  wide: boolean;
}

export function layoutColumns(width: number, rows: readonly HostRow[]): Columns {
  const wide = width >= 120;
  const longest = rows.reduce((n, r) => Math.max(n, r.hostname.length), 8);
  const host = Math.min(Math.max(longest, 8), wide ? 24 : 10);
  const ports = wide ? 24 : 10;
  const mac = wide ? 22 : 20;
  const status = wide ? 20 : 17;
  const age = 6;
  const power = 7;
  const fixed = host + ports + mac + status + age + power + 6;
  const message = wide ? Math.max(0, width - fixed - 1) : 0;
  return { host, ports, mac, status, age, power, message, wide };
}

function portsText(row: HostRow, wide: boolean): string {
  if (row.ports.length === 0) return row.switchName ? '?' : '-';
  if (wide) return `${row.switchName ?? ''} ${row.ports.join(',')}`.trim();
  return row.ports.length > 1 ? `${row.ports[0]}+${row.ports.length - 1}` : row.ports[0]!;
}

function macText(row: HostRow): string {
  if (row.macs.length === 0) return '-';
  return row.macs.length > 1 ? `${row.macs[0]}+${row.macs.length - 1}` : row.macs[0]!;
}

export function HostTable({ rows, selected, offset, height, width, now }: HostTableProps) {
  const c = layoutColumns(width, rows);
  const visible = rows.slice(offset, offset + height);
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>
        {fit('HOST', c.host)} {fit(c.wide ? 'SWITCH PORTS' : 'PORTS', c.ports)} {fit('MAC', c.mac)}{' '}
        {fit('STATUS', c.status)} {fit('FOR', c.age)} {fit('POWER', c.power)}
        {c.wide ? ' ' + fit('MESSAGE', c.message) : ''}
      </Text>
      {visible.length === 0 ? <Text color="gray">no hosts match</Text> : null}
      {visible.map((row, i) => {
        const isSelected = offset + i === selected;
        const age = (row.sinceExact ? '' : '>') + formatAge(now - row.since);
        return (
          <Text key={row.key} inverse={isSelected} wrap="truncate">
            {fit(row.hostname, c.host)} {fit(portsText(row, c.wide), c.ports)} {fit(macText(row), c.mac)}{' '}
            <Text color={TONE_COLOR[statusTone(row.status)]}>{fit(row.statusName, c.status)}</Text>{' '}
            {fit(age, c.age)} <Text color={powerColor(row.powerState)}>{fit(row.powerState, c.power)}</Text>
            {c.wide ? ' ' + fit(row.statusMessage, c.message) : ''}
          </Text>
        );
      })}
    </Box>
  );
}
