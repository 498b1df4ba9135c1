import React from 'react';
import { Box, Text } from 'ink';
import { useColor } from './theme.tsx';
import type { HostRow } from '../state/live.ts';
import { probeWarnings, type HostProbe } from '../src/site/probe.ts';
import { formatAge } from './format.ts';
import { powerColor, statusTone, TONE_COLOR } from './status-style.ts';

export function HostDetail({
  row,
  width,
  now,
  probe,
}: {
  row: HostRow;
  width: number;
  now: number;
  /** Live readings from the BMC and the switches; 'loading' while they are being read. */
  probe?: HostProbe | 'loading' | undefined;
}) {
  const color = useColor();
  const line = (label: string, value: React.ReactNode) => (
    <Text wrap="truncate">
      <Text color={color('gray')}>{label.padEnd(14)}</Text>
      {value}
    </Text>
  );
  return (
    <Box flexDirection="column" width={width}>
      <Text bold>
        {row.hostname} <Text color={color('gray')}>(esc back)</Text>
      </Text>
      {line('MaaS id', row.systemId ?? 'not in MaaS')}
      {line(
        'status',
        <Text color={color(TONE_COLOR[statusTone(row.status)])}>
          {row.statusName}
          <Text color={color('gray')}>
            {' '}
            for {row.sinceExact ? '' : 'more than '}
            {formatAge(now - row.since)}
          </Text>
        </Text>,
      )}
      {line('message', row.statusMessage || '-')}
      {line(
        'power',
        <Text color={color(powerColor(row.powerState))}>{row.powerState} (as MaaS reports it)</Text>,
      )}
      {line('rack', row.rack ?? 'not in the rack file')}
      {line('switch', row.switchName ?? '-')}
      {line('ports', row.ports.length ? row.ports.join(', ') : '-')}
      {line('MACs', row.macs.length ? row.macs.join(', ') : '-')}
      {line('bondable', row.ports.length >= 2 ? `yes (${row.ports.length} ToR NICs, active-backup)` : 'no')}
      {probe === undefined ? null : probe === 'loading' ? (
        <Text color={color('gray')}>reading the BMC and the switch ports…</Text>
      ) : (
        <LiveReadings row={row} probe={probe} />
      )}
    </Box>
  );
}

function LiveReadings({ row, probe }: { row: HostRow; probe: HostProbe }) {
  const color = useColor();
  const bmc = probe.bmc;
  return (
    <>
      <Text bold>live from the gear</Text>
      <Text wrap="truncate">
        <Text color={color('gray')}>{'BMC'.padEnd(14)}</Text>
        {bmc === undefined ? (
          'no BMC in the rack file'
        ) : 'error' in bmc ? (
          <Text color={color('red')}>{bmc.error}</Text>
        ) : (
          <>
            <Text color={color(powerColor(bmc.power))}>power {bmc.power}</Text>, boot {bmc.bootDevice}
            {bmc.persistent ? ' (persistent)' : ''}
          </>
        )}
      </Text>
      {probe.ports.map((p) => (
        <Text key={`${p.switch}|${p.port}`} wrap="truncate">
          <Text color={color('gray')}>{`${p.switch} ${p.port}`.padEnd(14)}</Text>
          {p.error ? (
            <Text color={color('red')}>{p.error}</Text>
          ) : (
            <>
              untagged {p.untagged ?? 'none'}
              {p.untagged === p.pxeVlan ? ' (PXE)' : ''}, tagged{' '}
              {p.tagged?.length ? p.tagged.join(',') : 'none'}
            </>
          )}
        </Text>
      ))}
      {probeWarnings(row.statusName, row.powerState, probe).map((w) => (
        <Text key={w} color={color('yellow')} wrap="wrap">
          ⚠ {w}
        </Text>
      ))}
    </>
  );
}
