import { Box, Text } from 'ink';
import { availableActions, type KeyAction } from './keys.ts';
import { displayKeys, viewsText } from './key-text.ts';
import { fit } from './format.ts';
import { useColor } from './theme.tsx';
import { clampOffset } from './scroll.ts';

export interface HelpViewProps {
  width: number;
  height: number;
  /** First entry shown (j/k scroll). */
  offset: number;
  readOnly: boolean;
  /** Why the selected host refuses actions; host actions are then greyed with it. */
  held: string | null;
}

export function helpEntries(readOnly: boolean): readonly KeyAction[] {
  return availableActions(readOnly);
}

/** The keys, generated from the registry the dashboard dispatches on; read-only drops dangerous ones. */
export function HelpView({ width, height, offset, readOnly, held }: HelpViewProps) {
  const color = useColor();
  const entries = helpEntries(readOnly);
  const room = Math.max(1, height - 2);
  const start = clampOffset(offset, entries.length, room);
  const keyWidth = 16;
  const whereWidth = width >= 100 ? 22 : 0;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold wrap="truncate">
        Keys (esc closes, j/k scroll){readOnly ? ' · read-only: actions that change gear are hidden' : ''}
      </Text>
      {held ? (
        <Text color={color('yellow')} wrap="truncate">
          {held}: greyed actions are refused until it ends
        </Text>
      ) : (
        <Text> </Text>
      )}
      {entries.slice(start, start + room).map((a) => {
        const greyed = held !== null && a.dangerous && a.views.includes('hosts');
        return (
          <Text key={a.id} wrap="truncate" dimColor={greyed}>
            <Text color={color(greyed ? 'gray' : a.dangerous ? 'red' : 'cyan')}>
              {fit(displayKeys(a), keyWidth)}
            </Text>{' '}
            {whereWidth ? <Text color={color('gray')}>{fit(viewsText(a.views), whereWidth)} </Text> : null}
            {a.label}
            {a.command ? <Text color={color('gray')}> (:{a.command})</Text> : null}
          </Text>
        );
      })}
    </Box>
  );
}
