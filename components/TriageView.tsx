import { Box, Text } from 'ink';
import type { Triage, TriageRow } from '../src/protocol/doctor.ts';
import { leftText, renderTriage } from './doctor-text.ts';
import { fit } from './format.ts';
import { linesWhere } from './scroll.ts';
import { useColor } from './theme.tsx';
import { LineText, ReadingView, readingTitle, seg, type Line, type ReadingFrame } from './TroubleLines.tsx';

/** Hosts whose events could not be read, listed under the rows: more than this are counted instead. */
const MAX_ERROR_LINES = 3;

const NAME = 'triage';
const READING = ' · reading every host in trouble…';
const CADENCE = ' (every 30 s; r reads again)';

/** A row's colour: stuck and still running, failed or broken, progressing; overdue is red. */
function rowTone(r: TriageRow) {
  if (leftText(r.remainingS) === 'overdue') return 'fail';
  return r.urgency === 0 ? 'fail' : r.urgency === 1 ? 'unknown' : 'ok';
}

/**
 * The triage cut for a screen: the lines above the rows (the count, the column heads), the rows,
 * the lines under them (hosts not read) and how many rows fit between. The CLI's `doctor --all`
 * table, the cause column fitted to the width.
 */
function triageParts(t: Triage, o: { width: number; height: number; error: boolean }) {
  const text = renderTriage(t, o.width);
  const rows: Line[] = t.rows.map((r, i) => [seg(text[i + 2]!, rowTone(r))]);
  const unread = text.slice(t.rows.length + 2);
  const under =
    unread.length > MAX_ERROR_LINES
      ? [
          ...unread.slice(0, MAX_ERROR_LINES - 1),
          `…and ${unread.length - MAX_ERROR_LINES + 1} more hosts whose events were not read (rackpilot doctor --all)`,
        ]
      : unread;
  const above: Line[] = [[seg(text[0]!, 'dim')], [seg(text[1] ?? '', 'dim')]];
  return {
    hostnames: t.rows.map((r) => r.hostname),
    above,
    rows,
    under: under.map((l): Line => [seg(l, 'fail')]),
    room: triageRoom(t, o),
  };
}

/**
 * How many rows fit, from the counts alone (the cursor's page asks at every frame): the title, the
 * error, the count and the column heads, the hosts not read (at most MAX_ERROR_LINES lines) and the
 * line that says where you are take the rest.
 */
export function triageRoom(t: Triage, o: { height: number; error: boolean }): number {
  const fixed = 1 + (o.error ? 1 : 0) + 2 + Math.min(t.errors.length, MAX_ERROR_LINES) + 1;
  return Math.max(1, o.height - fixed);
}

/** Where the rows' window starts, given how many rows fit and how many there are (the dashboard keeps it). */
export type WindowStart = (room: number, total: number) => number;

/**
 * The site's triage with a row cursor: the rows in a window that follows the highlighted one;
 * enter or D opens that host's doctor. No reading yet, or nothing in trouble, reads as the other
 * troubleshooting views do.
 */
export function TriageView({
  triage,
  selected,
  windowStart,
  ...frame
}: { triage: Triage | null; selected: number; windowStart: WindowStart } & ReadingFrame) {
  const { width, height, error, loading, now } = frame;
  const color = useColor();
  if (!triage || triage.rows.length === 0)
    return (
      <ReadingView
        name={NAME}
        readAt={triage?.readAt ?? null}
        lines={
          triage
            ? [
                [seg(renderTriage(triage)[0]!, 'dim')],
                [],
                [seg('nothing in trouble: no host is stuck, failing or failed', 'ok')],
              ]
            : null
        }
        reading={READING}
        placeholder="reading MaaS's machines in a transitional or failed state and their events…"
        cadence={CADENCE}
        {...frame}
      />
    );
  const parts = triageParts(triage, { width, height, error: error !== null });
  const start = windowStart(parts.room, parts.rows.length);
  const shown = parts.rows.slice(start, start + parts.room);
  const where =
    parts.rows.length > parts.room ? `${linesWhere(start, shown.length, parts.rows.length, 'hosts')} · ` : '';
  const title = readingTitle({
    name: NAME,
    readAt: triage.readAt,
    loading,
    reading: READING,
    cadence: CADENCE,
    now,
  });
  return (
    <Box flexDirection="column" width={width}>
      <LineText line={title} heading />
      {error ? <LineText line={[seg(`${NAME}: ${error}`, 'fail')]} /> : null}
      {parts.above.map((l, i) => (
        <LineText key={`a${i}`} line={l} />
      ))}
      {shown.map((l, i) => (
        <LineText
          key={parts.hostnames[start + i]}
          line={l.map((s) => ({ ...s, text: fit(s.text, width) }))}
          inverse={start + i === selected}
        />
      ))}
      {parts.under.map((l, i) => (
        <LineText key={`u${i}`} line={l} />
      ))}
      <Text color={color('gray')}>
        {fit(`${where}⏎ or D: the highlighted host's doctor · esc back`, width)}
      </Text>
    </Box>
  );
}
