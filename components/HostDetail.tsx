import React from 'react';
import { Box, Text } from 'ink';
import { useColor } from './theme.tsx';
import type { HostRow } from '../state/live.ts';
import { describeBmcOrigin, type HostLive } from '../src/protocol/messages.ts';
import { liveWarnings } from './live-warnings.ts';
import type { LiveReading } from './use-host-probe.ts';
import { clockTime, formatAge } from './format.ts';
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
  /** Live readings of the BMC and the switches, read by the runner (and whether a read runs). */
  probe?: LiveReading | undefined;
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
      {probe === undefined ? null : probe.live === null ? (
        <Text color={probe.error ? color('red') : color('gray')} wrap="wrap">
          {probe.error
            ? `cannot read the gear: ${probe.error}`
            : 'reading the BMC and the switch ports (through the runner)…'}
        </Text>
      ) : (
        <LiveReadings row={row} live={probe.live} reading={probe.reading} error={probe.error} />
      )}
    </Box>
  );
}

function LiveReadings({
  row,
  live,
  reading,
  error,
}: {
  row: HostRow;
  live: HostLive;
  reading: boolean;
  error: string | null;
}) {
  const color = useColor();
  const bmc = live.bmc;
  return (
    <>
      <Text wrap="truncate">
        <Text bold>live from the gear</Text>
        <Text color={color('gray')}> read {clockTime(live.readAt)}</Text>
        {reading ? <Text color={color('yellow')}> · reading again…</Text> : null}
        {error ? <Text color={color('red')}> · read again failed: {error}</Text> : null}
      </Text>
      <Text wrap="truncate">
        <Text color={color('gray')}>{'BMC'.padEnd(14)}</Text>
        {bmc === undefined ? (
          'no BMC in the rack file or MaaS'
        ) : 'error' in bmc ? (
          <Text color={color('red')}>
            {bmc.source ? `(BMC from ${bmc.source === 'MaaS' ? 'MaaS' : `the ${bmc.source}`}) ` : ''}
            {bmc.error}
          </Text>
        ) : (
          <>
            <Text color={color(powerColor(bmc.power))}>power {bmc.power}</Text>, boot {bmc.bootDevice}
            {bmc.persistent ? ' (persistent)' : ''}
            {bmc.origin ? <Text color={color('gray')}> · {describeBmcOrigin(bmc.origin)}</Text> : null}
          </>
        )}
      </Text>
      {live.ports.map((p) => (
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
      {liveWarnings(row.statusName, row.powerState, live).map((w) => (
        <Text key={w} color={color('yellow')} wrap="wrap">
          ⚠ {w}
        </Text>
      ))}
    </>
  );
}
