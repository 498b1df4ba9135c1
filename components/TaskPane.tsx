import { Box, Text } from 'ink';
import type { Task } from '../src/protocol/records.ts';
import type { StepProgress } from '../state/runner-task-feed.ts';
import { fit, formatElapsed, width as cells } from './format.ts';
import { taskStep } from './rows.ts';
import { inFlight } from '../src/protocol/task-states.ts';
import {
  elapsedMs,
  oneLine,
  progressBar,
  sourceTag,
  stepMarks,
  taskProgress,
  TASK_COLOR,
  type PaneLayout,
  undoingText,
} from './task-panes.ts';
import { useColor } from './theme.tsx';
import { runningStep, stepTime } from './step-progress.ts';

export interface TaskPaneProps {
  tasks: readonly Task[];
  layout: PaneLayout;
  /** The picked task when the pane has the focus (W), else -1. */
  selected: number;
  now: number;
  /** Live step progress by task id. */
  progress?: ReadonlyMap<string, StepProgress> | undefined;
  /** MaaS status by hostname, as the host table shows it. */
  maasStatus: ReadonlyMap<string, string>;
  /** What the title says the keys are, e.g. "W pick · ⏎ log". */
  hint: string;
}

const TASK_MARK: Record<string, string> = {
  done: '✓',
  failed: '✗',
  'rollback-failed': '✗',
  interrupted: '!',
  cancelled: '-',
  'rolled-back': '↶',
};

function mark(t: Task): string {
  if (t.state === 'rolling-back') return '↶';
  return inFlight(t) ? '▶' : (TASK_MARK[t.state] ?? '·');
}

/** The live task panes: one card (or one line) per running or recent task, beside or under the hosts. */
export function TaskPane({ tasks, layout, selected, now, progress, maasStatus, hint }: TaskPaneProps) {
  const color = useColor();
  const width = layout.width;
  const per = layout.card ? 3 : 1;
  const room = Math.max(0, layout.height - 1);
  // Keep the picked task in view; a "+N more" line replaces the last card when some do not fit.
  const fitCount = Math.max(1, Math.floor(room / per));
  const shown = tasks.length <= fitCount ? tasks.length : Math.max(1, Math.floor((room - 1) / per));
  const start = selected >= shown ? selected - shown + 1 : 0;
  const visible = tasks.slice(start, start + shown);
  const more = tasks.length - visible.length;
  const running = tasks.filter(inFlight).length;
  const title = `tasks: ${running} running · ${tasks.length - running} recent · ${hint}`;
  return (
    <Box flexDirection="column" width={width} height={layout.height} overflow="hidden">
      <Text color={color('cyan')} wrap="truncate">
        {fit(`── ${title} ${'─'.repeat(width)}`, width)}
      </Text>
      {visible.map((t, i) => {
        const live = progress?.get(t.id);
        const p = taskProgress(t, live);
        // The running step's facts, shared with a CLI following the task: its time, MaaS's word.
        const run = runningStep(t, live, now);
        const picked = start + i === selected;
        const host = t.target.hostname ?? '-';
        const status = maasStatus.get(host);
        const last = t.log.at(-1);
        const age = formatElapsed(elapsedMs(t, now));
        const tone = color(TASK_COLOR[t.state] ?? 'white');
        const tag = last ? sourceTag(last.source).trim() : '';
        const latest = last ? `${tag ? `${tag} ` : ''}${oneLine(last.text)}` : '';
        if (!layout.card) {
          const barCells = width >= 100 ? 10 : 6;
          const head = `${taskStep(t)} ${host}`;
          const tail = run?.maas ?? [status, latest].filter(Boolean).join(' · ');
          const text = `${fit(head, 22)} ${progressBar(p.fraction, barCells)} ${age.padStart(5)} ${tail}`;
          return (
            <Text key={t.id} wrap="truncate" inverse={picked}>
              <Text color={tone}>{mark(t)}</Text> {fit(text, width - 2)}
            </Text>
          );
        }
        const step = t.steps[Math.min(p.index, t.steps.length - 1)];
        const head = p.undo
          ? `${t.kind} rollback ${host} ${Math.max(1, p.undo.at)}/${p.undo.count}`
          : `${t.kind} ${host} ${Math.min(p.index + 1, p.count)}/${p.count}`;
        // The bar takes what the head leaves (4 to 20 cells); the head is cut only when it must be.
        const barCells = Math.max(4, Math.min(20, width - 2 - cells(head) - 7));
        const line1 = `${fit(head, Math.max(8, width - barCells - 9))} ${progressBar(p.fraction, barCells)} ${age.padStart(5)}`;
        const marks = stepMarks(t);
        const now2 = p.undo ? undoingText(t, p.undo) : p.index >= p.count ? t.state : (step?.title ?? '');
        const time = run ? stepTime(run) : '';
        const line2 = `${marks} ${now2}${p.text ? ` (${p.text})` : ''}${time ? ` · ${time}` : ''}`;
        const line3 = run?.maas ?? [status && `MaaS ${status}`, latest].filter(Boolean).join(' · ');
        return (
          <Box key={t.id} flexDirection="column">
            <Text wrap="truncate" inverse={picked}>
              <Text color={tone}>{mark(t)}</Text> {fit(line1, width - 2)}
            </Text>
            <Text wrap="truncate">
              {'  '}
              {fit(line2, width - 2)}
            </Text>
            <Text wrap="truncate" color={color(last?.level === 'error' ? 'red' : 'gray')}>
              {'  '}
              {fit(line3, width - 2)}
            </Text>
          </Box>
        );
      })}
      {more > 0 ? (
        <Text color={color('gray')}>{fit(`  +${more} more (:tasks lists all)`, width)}</Text>
      ) : null}
    </Box>
  );
}
