import { Box, Text } from 'ink';
import { fit } from './format.ts';
import { oneLine, sourceTag, type GearLine } from './task-panes.ts';
import { useColor } from './theme.tsx';

export interface CommandLogViewProps {
  /** Already filtered, newest first. */
  lines: readonly GearLine[];
  selected: number;
  offset: number;
  /** Rows for lines (the column titles take one more). */
  height: number;
  width: number;
  filter: string;
}

/** `@`: everything sent to real gear (MaaS, switches, BMCs) by every task, newest first. */
export function CommandLogView({ lines, selected, offset, height, width, filter }: CommandLogViewProps) {
  const color = useColor();
  const w = { time: 8, host: width >= 100 ? 14 : 10, task: 11, src: 4 };
  const textWidth = Math.max(8, width - (w.time + w.host + w.task + w.src + 4));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {fit('TIME', w.time)} {fit('HOST', w.host)} {fit('TASK', w.task)} {fit('SRC', w.src)}{' '}
        {fit('SENT TO THE GEAR (newest first)', textWidth)}
      </Text>
      {lines.length === 0 ? (
        <Text color={color('gray')} wrap="truncate">
          {filter
            ? `no line for hosts matching /${filter} (esc clears)`
            : 'nothing sent to MaaS, a switch or a BMC yet'}
        </Text>
      ) : null}
      {lines.slice(offset, offset + height).map((l, i) => (
        <Text
          key={`${l.taskId}-${offset + i}`}
          wrap="truncate"
          inverse={offset + i === selected}
          color={color(l.level === 'error' ? 'red' : l.level === 'warn' ? 'yellow' : 'white')}
        >
          <Text color={color('gray')}>{l.at.slice(11, 19)}</Text> {fit(l.host, w.host)}{' '}
          {fit(l.taskId, w.task)} <Text color={color('cyan')}>{sourceTag(l.source)}</Text>{' '}
          {fit(oneLine(l.text), textWidth)}
        </Text>
      ))}
    </Box>
  );
}
