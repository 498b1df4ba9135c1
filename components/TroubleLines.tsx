import { Box, Text } from 'ink';
import { duration } from './doctor-text.ts';
import { fit } from './format.ts';
import { useColor } from './theme.tsx';
import { clampOffset, linesWhere } from './scroll.ts';

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
 * One line in its segments' colours, cut at the edge. A heading is bold throughout; elsewhere the
 * failures and titles are. The highlighted row of a list is inverse.
 */
export function LineText({ line, heading, inverse }: { line: Line; heading?: boolean; inverse?: boolean }) {
  const color = useColor();
  return (
    <Text bold={heading} inverse={inverse} wrap="truncate">
      {line.map((s, j) => (
        <Text
          key={j}
          color={color(COLOR[s.tone ?? 'plain'])}
          bold={heading || s.tone === 'fail' || s.tone === 'title'}
        >
          {s.text}
        </Text>
      ))}
    </Text>
  );
}

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
  const start = clampOffset(offset, lines.length, room);
  const shown = lines.slice(start, start + room);
  const more = lines.length > room;
  return (
    <Box flexDirection="column" width={width}>
      <LineText line={title} heading />
      {shown.map((l, i) => (
        <LineText key={start + i} line={l} />
      ))}
      {more ? (
        <Text color={color('gray')}>
          {fit(`${linesWhere(start, shown.length, lines.length)}, ↑↓ scroll · esc back`, width)}
        </Text>
      ) : null}
    </Box>
  );
}

/** What each reading view gets from the dashboard: the state of its read and the window it draws in. */
export interface ReadingFrame {
  error: string | null;
  loading: boolean;
  now: number;
  /** First line shown. */
  offset: number;
  width: number;
  height: number;
}

/** A reading's title: what it is and how old, or that it is being read. */
export function readingTitle(o: {
  name: string;
  detail?: string;
  readAt: number | null;
  loading: boolean;
  reading: string;
  cadence: string;
  now: number;
}): Line {
  const age =
    o.readAt !== null ? ` · read ${duration(Math.max(0, (o.now - o.readAt) / 1000))} ago${o.cadence}` : '';
  return [seg(o.name), seg(o.detail ?? '', 'dim'), seg(o.loading ? o.reading : age, 'dim')];
}

/**
 * A view of one reading of the gear (the doctor, an inspection, a cabling check): its title says
 * what and how old the reading is, then an error line if the last read failed, then the reading's
 * lines, or what is being read while there is none yet.
 */
export function ReadingView({
  name,
  detail = '',
  readAt,
  lines,
  error,
  loading,
  reading,
  placeholder,
  cadence,
  now,
  offset,
  width,
  height,
}: {
  /** e.g. `doctor r01-n001` */
  name: string;
  /** Dim text after the name. */
  detail?: string;
  /** When the shown reading was taken; null: none yet. */
  readAt: number | null;
  lines: readonly Line[] | null;
  /** The title's suffix while a read runs, e.g. ` · reading…`. */
  reading: string;
  /** The body while there is no reading and no error. */
  placeholder: string;
  /** How it is read again, after its age: `, every 5 s`, ` (r reads again)`. */
  cadence: string;
} & ReadingFrame) {
  const title = readingTitle({ name, detail, readAt, loading, reading, cadence, now });
  const body: Line[] = [];
  if (error) body.push([seg(`${name}: ${error}`, 'fail')]);
  if (lines) body.push(...lines);
  else if (!error) body.push([seg(placeholder, 'dim')]);
  return <TroubleLines title={title} lines={body} offset={offset} width={width} height={height} />;
}
