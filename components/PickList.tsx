import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { useColor } from './theme.tsx';

/**
 * A pick list that moves the way the rest of the dashboard does: ↑↓ and j/k (the footer's
 * `↑↓/jk move`), g/G to the ends, enter picks; with `multi`, space marks and enter submits the
 * marked ones. @inkjs/ui's Select and MultiSelect know only the arrows, so `j` then enter there
 * silently picked the option the cursor had never left.
 */
export interface PickOption {
  label: string;
  value: string;
}

export interface PickListProps {
  options: readonly PickOption[];
  /** Rows shown at once; the list scrolls under the cursor. */
  visible?: number;
  /** One pick: enter calls onPick with the option under the cursor. */
  onPick?: (value: string) => void;
  /** Several: space marks, enter calls onSubmit with the marked values in the order they were marked. */
  multi?: { onSubmit: (values: string[]) => void };
}

/** The cursor's next index for a key, or null when the key does not move it (pure, for tests). */
export function pickMove(
  input: string,
  key: { upArrow: boolean; downArrow: boolean; pageUp?: boolean; pageDown?: boolean },
  at: number,
  count: number,
  page: number,
): number | null {
  const last = Math.max(0, count - 1);
  if (key.downArrow || input === 'j') return Math.min(last, at + 1);
  if (key.upArrow || input === 'k') return Math.max(0, at - 1);
  if (key.pageDown) return Math.min(last, at + page);
  if (key.pageUp) return Math.max(0, at - page);
  if (input === 'g') return 0;
  if (input === 'G') return last;
  return null;
}

export function PickList({ options, visible = 5, onPick, multi }: PickListProps) {
  const color = useColor();
  const [at, setAt] = useState(0);
  const [marked, setMarked] = useState<readonly string[]>([]);
  useInput((input, key) => {
    const next = pickMove(input, key, at, options.length, visible);
    if (next !== null) return setAt(next);
    const focused = options[at];
    if (!focused) return;
    if (multi && input === ' ') {
      return setMarked((m) =>
        m.includes(focused.value) ? m.filter((v) => v !== focused.value) : [...m, focused.value],
      );
    }
    if (key.return) {
      if (multi) multi.onSubmit([...marked]);
      else onPick?.(focused.value);
    }
  });
  const start = Math.max(0, Math.min(at - visible + 1, options.length - visible));
  const shown = options.slice(start, start + visible);
  const below = options.length - start - shown.length;
  return (
    <Box flexDirection="column">
      {start > 0 ? <Text color={color('gray')}> ↑ {start} more</Text> : null}
      {shown.map((o, i) => {
        const focused = start + i === at;
        return (
          <Text key={o.value} wrap="truncate" {...(focused && { color: color('blue') })}>
            {focused ? '❯ ' : '  '}
            {o.label}
            {marked.includes(o.value) ? <Text color={color('green')}> ✔</Text> : null}
          </Text>
        );
      })}
      {below > 0 ? <Text color={color('gray')}> ↓ {below} more</Text> : null}
    </Box>
  );
}
