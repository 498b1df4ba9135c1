import { Box, Text } from 'ink';
import { availableActions, type View } from './keys.ts';
import { fit } from './format.ts';
import { useColor } from './theme.tsx';

export interface FooterMessage {
  text: string;
  tone: 'info' | 'pending' | 'error';
}

export interface FooterProps {
  width: number;
  view: View;
  readOnly: boolean;
  filterInput: string | null;
  appliedFilter: string;
  /** The command bar's text while it is open, and what Tab would complete it to. */
  commandInput: string | null;
  completions?: readonly string[];
  markedCount: number;
  /** Why the selected host refuses actions (held by a task), if it does. */
  held: string | null;
  message: FooterMessage | null;
  /** Actions the selected item does not take (a done task is not offered a rollback). */
  unavailable?: ReadonlySet<string>;
}

/** Hints for the current view, generated from the key registry (read-only drops dangerous ones). */
const LAST = new Set(['help', 'quit']);

export function footerHints(
  view: View,
  readOnly: boolean,
  unavailable: ReadonlySet<string> = new Set(),
): { text: string; dangerous: boolean }[] {
  return (
    availableActions(readOnly)
      .filter((a) => a.footer && a.views.includes(view) && !unavailable.has(a.id))
      // Help and quit close the line, whatever the view adds before them.
      .sort((a, b) => Number(LAST.has(a.id)) - Number(LAST.has(b.id)))
      .map((a) => ({ text: a.footer!, dangerous: a.dangerous === true }))
  );
}

export function footerLines(message: FooterMessage | null): number {
  return message ? 2 : 1;
}

export function Footer(props: FooterProps) {
  const color = useColor();
  const { width, message } = props;
  const tone = { info: 'green', pending: 'yellow', error: 'red' } as const;
  return (
    <Box flexDirection="column" width={width}>
      {message ? (
        <Text color={color(tone[message.tone])} wrap="truncate">
          {fit(message.text, width)}
        </Text>
      ) : null}
      <FooterLine {...props} />
    </Box>
  );
}

function FooterLine({
  view,
  readOnly,
  filterInput,
  appliedFilter,
  commandInput,
  completions,
  markedCount,
  held,
  unavailable,
}: FooterProps) {
  const color = useColor();
  if (filterInput !== null) {
    return (
      <Text wrap="truncate">
        <Text color={color('yellow')}>/{filterInput}</Text>
        <Text color={color('gray')}>▏ enter apply · esc clear · !text inverts</Text>
      </Text>
    );
  }
  if (commandInput !== null) {
    return (
      <Text wrap="truncate">
        <Text color={color('yellow')}>:{commandInput}</Text>
        <Text color={color('gray')}>
          ▏ {completions?.length ? completions.slice(0, 8).join(' ') + ' · ' : ''}tab complete · ↑ history ·
          esc cancel
        </Text>
      </Text>
    );
  }
  const hints = footerHints(view, readOnly, unavailable);
  return (
    <Text wrap="truncate">
      {markedCount ? <Text color={color('magenta')}>{markedCount} marked · </Text> : null}
      {appliedFilter ? <Text color={color('yellow')}>/{appliedFilter} (esc clears) </Text> : null}
      {held ? <Text color={color('yellow')}>{held}: actions greyed · </Text> : null}
      {hints.map((h, i) => (
        <Text key={h.text} color={color('gray')} dimColor={held !== null && h.dangerous}>
          {i ? '  ' : ''}
          {h.text}
        </Text>
      ))}
    </Text>
  );
}
