import { Box, Text } from 'ink';
import { fit } from './format.ts';
import { useColor } from './theme.tsx';

/** One line of a troubleshooting view: text in segments, each with its own colour. */
export type Tone = 'ok' | 'fail' | 'unknown' | 'dim' | 'title' | 'key' | 'plain';
export type Segment = { text: string; tone?: Tone };
export type Line = readonly Segment[];

const COLOR: Record<Tone, string | undefined> = {
  ok: 'green',
  fail: 'red',
  unknown: 'yellow',
  dim: 'gray',
  title: 'cyan',
  key: 'magenta',
  plain: undefined,
};

export const seg = (text: string, tone: Tone = 'plain'): Segment => ({ text, tone });
export const lineText = (l: Line) => l.map((s) => s.text).join('');

/**
 * A scrolled window of lines (the doctor, the inspection tree, the cabling check): `offset` is the
 * first line shown, kept so that the last screenful stays full; the last line says where you are.
 */
export function TroubleLines({
  title,
  lines,
  offset,
  width,
  height,
}: {
  title: Line;
  lines: readonly Line[];
  offset: number;
  width: number;
  height: number;
}) {
  const color = useColor();
  const room = Math.max(1, height - 2);
  const start = Math.max(0, Math.min(offset, lines.length - room));
  const shown = lines.slice(start, start + room);
  const more = lines.length > room;
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">
        {title.map((s, i) => (
          <Text key={i} color={color(COLOR[s.tone ?? 'plain'])}>
            {s.text}
          </Text>
        ))}
      </Text>
      {shown.map((l, i) => (
        <Text key={start + i} wrap="truncate">
          {l.map((s, j) => (
            <Text
              key={j}
              color={color(COLOR[s.tone ?? 'plain'])}
              bold={s.tone === 'fail' || s.tone === 'title'}
            >
              {s.text}
            </Text>
          ))}
        </Text>
      ))}
      {more ? (
        <Text color={color('gray')}>
          {fit(`lines ${start + 1}–${start + shown.length} of ${lines.length}, ↑↓ scroll · esc back`, width)}
        </Text>
      ) : null}
    </Box>
  );
}
