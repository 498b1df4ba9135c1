import React from 'react';
import { Box, Text } from 'ink';
import type { HostRow } from '../state/live.ts';
import { formatAge } from './format.ts';
import { powerColor, statusTone, TONE_COLOR } from './status-style.ts';

export function HostDetail({ row, width, now }: { row: HostRow; width: number; now: number }) {
  const line = (label: string, value: React.ReactNode) => (
    <Text wrap="truncate">
      <Text color="gray">{label.padEnd(14)}</Text>
      {value}
    </Text>
  );
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>
        {row.hostname} <Text color="gray">(esc back)</Text>
      </Text>
      {line('MaaS id', row.systemId ?? 'not in MaaS')}
      {line(
        'status',
        <Text color={TONE_COLOR[statusTone(row.status)]}>
          {row.statusName}
          <Text color="gray">
            {' '}
            for {row.sinceExact ? '' : 'more than '}
            {formatAge(now - row.since)}
          </Text>
        </Text>,
      )}
      {line('message', row.statusMessage || '-')}
      {line('power', <Text color={powerColor(row.powerState)}>{row.powerState} (as MaaS reports it)</Text>)}
      {line('rack', row.rack ?? 'not in the rack file')}
      {line('switch', row.switchName ?? '-')}
      {line('ports', row.ports.length ? row.ports.join(', ') : '-')}
      {line('MACs', row.macs.length ? row.macs.join(', ') : '-')}
      {line('bondable', row.ports.length >= 2 ? `yes (${row.ports.length} ToR NICs, active-backup)` : 'no')}
    </Box>
  );
}
