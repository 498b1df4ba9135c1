import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { ConfirmInput, TextInput } from '@inkjs/ui';
import type { ActionPlan, PlanStep } from './actions.ts';
import { fit } from './format.ts';
import { useColor } from './theme.tsx';
import { clampOffset, linesWhere } from './scroll.ts';

/**
 * A change's plan as the operator confirms it: every target, the state read just before, each
 * step with its exact MaaS calls, switch lines and IPMI commands, and what it destroys. Taller
 * than the screen, it scrolls (↑↓ PgUp PgDn; j/k too when no name is typed).
 */
export interface PlanLine {
  text: string;
  tone?: 'step' | 'state' | 'destroys' | 'target';
}

/** The steps of one plan, each with its lines under it; numbered unless they name their task's steps. */
export function stepLines(steps: readonly PlanStep[]): PlanLine[] {
  // A resume or a rollback names the task's own step numbers ("undo 6 Deploy…"): no second number.
  const named = steps.length > 0 && steps.every((s) => /^(undo )?\d+ /.test(s.step));
  return steps.flatMap((s, i) => [
    { text: named ? s.step : `${String(i + 1).padStart(2)} ${s.step}`, tone: 'step' as const },
    ...s.actions.map((a) => ({ text: `     ${a}` })),
  ]);
}

/** Every plan's lines, one after another (a header per target when there are several). */
export function planLines(plans: readonly ActionPlan[]): PlanLine[] {
  const many = plans.length > 1;
  const out: PlanLine[] = [];
  if (many) out.push({ text: `targets (${plans.length}): ${plans.map((p) => p.target).join(', ')}` });
  for (const p of plans) {
    if (many) out.push({ text: `── ${p.target}`, tone: 'target' });
    for (const s of p.state) out.push({ text: `now: ${s}`, tone: 'state' });
    // Before the steps: what is lost is seen without scrolling.
    if (p.destroys) out.push({ text: `destroys: ${p.destroys}`, tone: 'destroys' });
    out.push(...stepLines(p.steps));
  }
  return out;
}

/** Lines taller than `room` scroll: the window at `offset`, and the header saying where it is. */
export function ScrolledLines({
  lines,
  room,
  width,
  keysToo,
}: {
  lines: readonly PlanLine[];
  room: number;
  width: number;
  /** j/k scroll as well as the arrows (not while a name is being typed). */
  keysToo: boolean;
}) {
  const color = useColor();
  const [offset, setOffset] = useState(0);
  const maxOffset = Math.max(0, lines.length - room);
  useInput((input, key) => {
    const page = Math.max(1, room - 1);
    const down = key.downArrow || (keysToo && input === 'j');
    const up = key.upArrow || (keysToo && input === 'k');
    const by = down ? 1 : up ? -1 : key.pageDown ? page : key.pageUp ? -page : 0;
    if (by !== 0) setOffset((o) => Math.min(maxOffset, Math.max(0, o + by)));
  });
  const from = clampOffset(offset, lines.length, room);
  const shown = lines.slice(from, from + room);
  const tone = (l: PlanLine) =>
    l.tone === 'destroys'
      ? color('red')
      : l.tone === 'state'
        ? color('cyan')
        : l.tone
          ? undefined
          : color('gray');
  return (
    <Box flexDirection="column">
      {maxOffset > 0 ? (
        <Text color={color('gray')}>{linesWhere(from, shown.length, lines.length)}, ↑↓ scroll</Text>
      ) : null}
      {shown.map((l, i) => (
        <Text key={from + i} color={tone(l)} bold={l.tone === 'target'} wrap="truncate">
          {fit(l.text, width)}
        </Text>
      ))}
    </Box>
  );
}

export function PlanDialog({
  title,
  plans,
  note,
  expect,
  width,
  height,
  onOk,
  onClose,
}: {
  title: string;
  plans: readonly ActionPlan[];
  note?: string | undefined;
  /** What must be typed (a host name, or the count of hosts); null: y/N. */
  expect: string | null;
  width: number;
  height: number;
  onOk: () => void;
  onClose: () => void;
}) {
  const color = useColor();
  const [mismatch, setMismatch] = useState<string | null>(null);
  useInput((_input, key) => {
    if (key.escape) onClose();
  });
  const lines = [...(note ? [{ text: note, tone: 'destroys' as const }] : []), ...planLines(plans)];
  // Border, title, the scroll line, the input, the mismatch and the esc line.
  const room = Math.max(3, height - 7);
  return (
    <Box flexDirection="column" width={width} borderStyle="round" paddingX={1}>
      <Text bold color={color(expect ? 'red' : 'yellow')} wrap="truncate">
        {fit(title, width - 4)}
      </Text>
      <ScrolledLines lines={lines} room={room} width={width - 4} keysToo={expect === null} />
      {expect ? (
        <Box>
          <Text>Type {expect} to confirm: </Text>
          <TextInput
            onSubmit={(value) => {
              if (value.trim() === expect) {
                onClose();
                onOk();
              } else setMismatch(`"${value}" is not ${expect}: nothing done`);
            }}
          />
        </Box>
      ) : (
        <Box>
          <Text>Go ahead? </Text>
          <ConfirmInput
            defaultChoice="cancel"
            onConfirm={() => {
              onClose();
              onOk();
            }}
            onCancel={onClose}
          />
        </Box>
      )}
      {mismatch ? <Text color={color('red')}>{mismatch}</Text> : null}
      <Text color={color('gray')}>esc cancels</Text>
    </Box>
  );
}
