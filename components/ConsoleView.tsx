import { Box, Text } from 'ink';
import type { ConsolePaneState } from './use-console.ts';
import { KEY_ACTIONS } from './keys.ts';
import { displayKeys } from './key-text.ts';

export interface ConsoleViewProps {
  host: string;
  console: ConsolePaneState;
  width: number;
  height: number;
  readOnly: boolean;
  /** In the task pane's place: the keyboard is taken in the full view only. */
  inPane?: boolean;
}

const takeKey = displayKeys(KEY_ACTIONS.find((a) => a.id === 'consoleKeyboard')!);
const fullKey = displayKeys(KEY_ACTIONS.find((a) => a.id === 'console')!);

/** "jump host jh2 (runner …, since …)" as the status line has room for: the jump host alone. */
function holderName(heldBy: string | undefined): string {
  return heldBy?.replace(/ \(.*$/, '') ?? 'another jump host';
}

/** The host's serial console: one status line, then the emulated screen (plain characters only). */
export function ConsoleView({ host, console: c, width, height, readOnly, inPane }: ConsoleViewProps) {
  const s = c.state;
  const status = !s
    ? 'connecting…'
    : s.state === 'unavailable'
      ? `unavailable: ${s.error ?? ''}`
      : s.state === 'elsewhere'
        ? `relayed from ${holderName(s.heldBy)}`
        : `${s.state} · ${s.viewers} watching`;
  const keyboard =
    s?.state === 'elsewhere'
      ? 'read-only (type there)'
      : s?.keyboard === 'you'
        ? 'you type · ctrl-] gives the keyboard back'
        : s?.keyboard === 'other'
          ? 'another viewer types'
          : readOnly
            ? 'read-only'
            : inPane
              ? `${fullKey} to type`
              : `${takeKey} take the keyboard`;
  const head = `console ${host} · ${status} · ${keyboard}`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text
        inverse={s?.keyboard === 'you'}
        color={s?.state === 'unavailable' ? 'red' : s?.state === 'elsewhere' ? 'yellow' : undefined}
        wrap="truncate"
      >
        {head.slice(0, width)}
      </Text>
      {c.lines.slice(0, Math.max(0, height - 1)).map((l, i) => (
        <Text key={i} wrap="truncate">
          {l.slice(0, width) || ' '}
        </Text>
      ))}
    </Box>
  );
}
