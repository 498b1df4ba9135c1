import { Box, Text } from 'ink';
import type { Task } from '../src/protocol/records.ts';
import type { StepProgress } from '../state/runner-task-feed.ts';
import { fit, formatElapsed } from './format.ts';
import {
  elapsedMs,
  oneLine,
  progressBar,
  sourceTag,
  STEP_MARK,
  stepMarks,
  taskProgress,
  TASK_COLOR,
  undoingText,
  UNDOING_MARK,
} from './task-panes.ts';
import { useColor } from './theme.tsx';
import { linesWhere } from './scroll.ts';

export interface TaskLogViewProps {
  task: Task | undefined;
  /** The task id asked for, to say so when it is gone from the journal. */
  taskId: string;
  progress?: StepProgress | undefined;
  maasStatus: string | undefined;
  width: number;
  height: number;
  /** First log line shown (the caller keeps it at the end while following). */
  offset: number;
  following: boolean;
  now: number;
}

/** Lines above the log: the task line, its steps (or a strip of marks when they do not fit), a rule. */
export function taskLogHead(
  task: Task | undefined,
  height: number,
): { steps: 'list' | 'strip'; lines: number } {
  const n = task?.steps.length ?? 0;
  // The steps are listed when the log keeps at least six lines under them.
  return n + 2 + 6 <= height ? { steps: 'list', lines: n + 2 } : { steps: 'strip', lines: 3 };
}

/** Log lines that fit under the head. */
export function taskLogRoom(task: Task | undefined, height: number): number {
  return Math.max(1, height - taskLogHead(task, height).lines);
}

/** The full task pane: the task's steps and its live log (MaaS, switch and IPMI lines tagged), newest at the bottom. */
export function TaskLogView(props: TaskLogViewProps) {
  const { task, width, height, offset, following, now } = props;
  const color = useColor();
  if (!task)
    return (
      <Text color={color('gray')} wrap="truncate">
        {fit(`task ${props.taskId} is no longer in the journal (esc goes back)`, width)}
      </Text>
    );
  const p = taskProgress(task, props.progress);
  const head = taskLogHead(task, height);
  const room = taskLogRoom(task, height);
  const lines = task.log.slice(offset, offset + room);
  const status = props.maasStatus ? ` · MaaS ${props.maasStatus}` : '';
  const step = task.steps[p.index];
  const where = following
    ? 'following (↑ scrolls back)'
    : `${linesWhere(offset, lines.length, task.log.length)} · G follows`;
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{task.kind}</Text> {task.target.hostname ?? ''} {task.id}{' '}
        <Text color={color(TASK_COLOR[task.state] ?? 'white')}>{task.state}</Text> ·{' '}
        {p.undo
          ? `rollback ${Math.max(1, p.undo.at)}/${p.undo.count}`
          : `step ${Math.min(p.index + 1, p.count)}/${p.count}`}{' '}
        {progressBar(p.fraction, 12)} · {formatElapsed(elapsedMs(task, now))}
        {status}
      </Text>
      {head.steps === 'list' ? (
        task.steps.map((s, i) => {
          const undoing = p.undo?.step === i;
          const m = undoing ? UNDOING_MARK : (STEP_MARK[s.state] ?? { mark: '?', color: 'white' });
          const extra = (s.attempts > 1 ? ` (${s.attempts} attempts)` : '') + (undoing ? ' — undoing' : '');
          const err = s.error ? ` — ${s.error.split('\n')[0]}` : '';
          return (
            <Text key={`s${i}`} wrap="truncate" color={s.error ? color('red') : undefined}>
              <Text color={color(m.color)}>{m.mark}</Text>{' '}
              {fit(`${String(i + 1).padStart(2)} ${s.title}${extra}${err}`, width - 2)}
            </Text>
          );
        })
      ) : (
        <Text wrap="truncate">
          {stepMarks(task)}{' '}
          {p.undo ? undoingText(task, p.undo) : step ? `${p.index + 1} ${step.title}` : task.state}
          {p.text ? ` (${p.text})` : ''}
        </Text>
      )}
      <Text color={color('gray')} wrap="truncate">
        {fit(`── log · ${where} ${'─'.repeat(width)}`, width)}
      </Text>
      {lines.map((l, i) => (
        <Text
          key={`l${offset + i}`}
          wrap="truncate"
          color={color(l.level === 'error' ? 'red' : l.level === 'warn' ? 'yellow' : 'white')}
        >
          <Text color={color('gray')}>{l.at.slice(11, 19)}</Text>{' '}
          <Text color={color(l.source === 'engine' || !l.source ? 'gray' : 'cyan')}>
            {sourceTag(l.source)}
          </Text>{' '}
          {fit(oneLine(l.text), Math.max(1, width - 14))}
        </Text>
      ))}
    </Box>
  );
}
