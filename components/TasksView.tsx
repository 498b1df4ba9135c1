import { Box, Text } from 'ink';
import { useColor } from './theme.tsx';
import type { Task } from '../src/protocol/records.ts';
import type { TaskFeedSnapshot } from '../src/protocol/task-states.ts';
import { fit, formatAge, formatElapsed } from './format.ts';
import { inFlight } from '../src/protocol/task-states.ts';
import {
  elapsedMs,
  rollbackProgress,
  STEP_MARK,
  TASK_COLOR,
  undoingText,
  UNDOING_MARK,
} from './task-panes.ts';

export interface TasksViewProps {
  feed: TaskFeedSnapshot | null;
  selected: number;
  width: number;
  height: number;
  now: number;
}

function currentStep(t: Task): string {
  const undo = rollbackProgress(t);
  if (undo) return `rollback ${Math.max(1, undo.at)}/${undo.count} ${undoingText(t, undo)}`;
  const i = t.steps.findIndex((s) => s.state !== 'done' && s.state !== 'skipped');
  return i < 0 ? `${t.steps.length}/${t.steps.length}` : `${i + 1}/${t.steps.length} ${t.steps[i]!.title}`;
}

/** A task in flight: how long it has run, to the second; a settled one: how long ago it ended. */
function taskTime(t: Task, now: number): string {
  return inFlight(t) ? formatElapsed(elapsedMs(t, now)) : `${formatAge(now - Date.parse(t.updatedAt))} ago`;
}

/** The task journal: a list on top, the selected task's steps and latest log lines below. */
export function TasksView({ feed, selected, width, height, now }: TasksViewProps) {
  const color = useColor();
  if (!feed) {
    return (
      <Box flexDirection="column" width={width}>
        <Text bold>Tasks</Text>
        <Text color={color('gray')} wrap="wrap">
          This lab lives only inside this dashboard and has no task store. To provision, run `rackpilot lab
          --env-out lab.env` and use RACKPILOT_ENV_FILE=lab.env for the dashboard and the commands.
        </Text>
      </Box>
    );
  }
  const tasks = feed.tasks;
  const listHeight = Math.max(3, Math.min(tasks.length + 1, Math.floor(height * 0.4)));
  const offset = Math.max(0, Math.min(selected - listHeight + 2, tasks.length - (listHeight - 1)));
  const task = tasks[selected];
  const detailHeight = height - listHeight - 1;
  const w = { id: 11, kind: 17, target: 10, state: 15, age: 8 };
  const stepWidth = Math.max(10, width - (w.id + w.kind + w.target + w.state + w.age + 5));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text bold>
        {fit('TASK', w.id)} {fit('KIND', w.kind)} {fit('TARGET', w.target)} {fit('STATE', w.state)}{' '}
        {fit('STEP', stepWidth)} {fit('TIME', w.age)}
      </Text>
      {feed.error ? (
        <Text color={color('red')}>{fit(`cannot read the task store: ${feed.error}`, width)}</Text>
      ) : null}
      {tasks.length === 0 && !feed.error ? <Text color={color('gray')}>no tasks yet</Text> : null}
      {tasks.slice(offset, offset + listHeight - 1).map((t, i) => (
        <Text key={t.id} inverse={offset + i === selected} wrap="truncate">
          {fit(t.id, w.id)} {fit(t.kind, w.kind)} {fit(t.target.hostname ?? '-', w.target)}{' '}
          <Text color={color(TASK_COLOR[t.state] ?? 'white')}>{fit(t.state, w.state)}</Text>{' '}
          {fit(currentStep(t), stepWidth)} {fit(taskTime(t, now), w.age)}
        </Text>
      ))}
      <Text color={color('gray')}>{'─'.repeat(width)}</Text>
      {task ? <TaskDetail task={task} width={width} height={detailHeight} /> : null}
    </Box>
  );
}

function TaskDetail({ task, width, height }: { task: Task; width: number; height: number }) {
  const color = useColor();
  const undoing = rollbackProgress(task)?.step;
  const stepLines = task.steps.map((s, i) => {
    const m = i === undoing ? UNDOING_MARK : (STEP_MARK[s.state] ?? { mark: '?', color: 'white' });
    return {
      key: `s${i}`,
      mark: m,
      text: `${String(i + 1).padStart(2)} ${s.title}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}${i === undoing ? ' — undoing' : ''}`,
      error: s.error,
    };
  });
  const failed = task.steps.find((s) => s.state === 'failed' || s.state === 'undo-failed');
  const logRoom = Math.max(0, height - Math.min(stepLines.length, height) - (failed?.error ? 1 : 0) - 1);
  const visibleSteps = stepLines.slice(
    0,
    Math.max(0, height - (failed?.error ? 1 : 0) - Math.min(logRoom, 4) - 1),
  );
  const logs = task.log.slice(-Math.max(0, height - visibleSteps.length - (failed?.error ? 1 : 0) - 1));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        <Text bold>{task.kind}</Text> {task.target.hostname ?? ''}{' '}
        <Text color={color(TASK_COLOR[task.state] ?? 'white')}>{task.state}</Text>
        {task.state === 'failed' || task.state === 'interrupted' ? (
          <Text color={color('gray')}> rackpilot task resume|rollback {task.id}</Text>
        ) : null}
      </Text>
      {visibleSteps.map((s) => (
        <Text key={s.key} wrap="truncate">
          <Text color={color(s.mark.color)}>{s.mark.mark}</Text> {s.text}
        </Text>
      ))}
      {failed?.error ? (
        <Text color={color('red')} wrap="truncate">
          {fit(`  ${failed.error.split('\n')[0]}`, width)}
        </Text>
      ) : null}
      {logs.map((l, i) => (
        <Text
          key={`l${i}`}
          color={color(l.level === 'error' ? 'red' : l.level === 'warn' ? 'yellow' : 'gray')}
          wrap="truncate"
        >
          {l.at.slice(11, 19)} {l.text}
        </Text>
      ))}
    </Box>
  );
}
