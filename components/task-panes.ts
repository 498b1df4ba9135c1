import { GEAR_SOURCES, type LogSource } from '../src/protocol/records.ts';
import type { Task } from '../src/protocol/records.ts';
import type { StepProgress } from '../state/runner-task-feed.ts';
import { inFlight } from '../src/protocol/task-states.ts';
import { listMatches } from './dashboard-props.ts';

/** Pure pieces of the task panes, the full task pane and the `@` command log. */

/** A settled task stays in the pane this long after its last change. */
export const RECENT_MS = 15 * 60_000;

/** The pane's tasks: every running one (oldest first, so cards keep their place), then the recent ones. */
export function paneTasks(tasks: readonly Task[], now: number): Task[] {
  const running = tasks.filter(inFlight).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const recent = tasks
    .filter((t) => !inFlight(t) && now - Date.parse(t.updatedAt) < RECENT_MS)
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  return [...running, ...recent];
}

export const STEP_MARK: Record<string, { mark: string; color: string }> = {
  done: { mark: '✓', color: 'green' },
  running: { mark: '▶', color: 'yellow' },
  failed: { mark: '✗', color: 'red' },
  pending: { mark: '·', color: 'gray' },
  skipped: { mark: '↷', color: 'gray' },
  undone: { mark: '↶', color: 'cyan' },
  'undo-failed': { mark: '✗', color: 'red' },
};

/** The step a rollback is undoing now. */
export const UNDOING_MARK = { mark: '↶', color: 'yellow' };

export const TASK_COLOR: Record<string, string> = {
  done: 'green',
  running: 'yellow',
  pending: 'yellow',
  'rolling-back': 'cyan',
  failed: 'red',
  'rollback-failed': 'red',
  interrupted: 'magenta',
  cancelled: 'gray',
  'rolled-back': 'cyan',
};

/** One mark per step: ✓✓✓▶····· */
export function stepMarks(t: Task): string {
  return t.steps.map((s) => STEP_MARK[s.state]?.mark ?? '?').join('');
}

export interface TaskProgress {
  /** The step being worked on (0-based), or the count when all are finished. */
  index: number;
  count: number;
  /** Finished steps plus the running step's own fraction, over the count (a rollback: undos). */
  fraction: number;
  /** The running step's own progress text, if it sent one. */
  text?: string;
  /** Set while the task rolls back: the undo walks the steps last first. */
  undo?: RollbackProgress;
}

export interface RollbackProgress {
  /** Steps whose undo has begun (the one under way included), and how many the rollback covers. */
  at: number;
  count: number;
  /** The step being undone (0-based), or null between two undos. */
  step: number | null;
}

/** Steps a rollback covers: those whose effect may be in place, and those already undone. */
const IN_ROLLBACK = new Set(['done', 'running', 'failed', 'undo-failed', 'undone']);

/**
 * Where a rollback is: it undoes the covered steps from the last one down, so the lowest step
 * whose undo has begun is its frontier; a step without an undo is passed over (left as it is).
 */
export function rollbackProgress(t: ProgressOf): RollbackProgress | null {
  if (t.state !== 'rolling-back') return null;
  const covered = t.steps.flatMap((s, i) => (IN_ROLLBACK.has(s.state) ? [i] : []));
  const begun = covered.filter((i) => t.steps[i]!.state === 'undone' || t.steps[i]!.undoStartedAt);
  if (begun.length === 0) return { at: 0, count: covered.length, step: null };
  const frontier = Math.min(...begun);
  return {
    at: covered.filter((i) => i >= frontier).length,
    count: covered.length,
    step: t.steps[frontier]!.state === 'undone' ? null : frontier,
  };
}

/** What a rollback is doing: the step it undoes, by its number and title. */
export function undoingText(t: Pick<Task, 'steps'>, undo: RollbackProgress): string {
  if (undo.step === null) return 'rolling back';
  return `undoing ${undo.step + 1} ${t.steps[undo.step]?.title ?? ''}`;
}

/** A task as progress reads it: its steps' states (and its own, to tell a rollback). */
type ProgressOf = {
  state?: Task['state'];
  steps: readonly Pick<Task['steps'][number], 'state' | 'undoStartedAt'>[];
};

export function taskProgress(t: ProgressOf, live?: StepProgress): TaskProgress {
  const undo = rollbackProgress(t);
  if (undo) {
    const undone = t.steps.filter((s) => s.state === 'undone').length;
    return {
      index: undo.step ?? t.steps.length,
      count: t.steps.length,
      fraction: undo.count === 0 ? 1 : undone / undo.count,
      undo,
    };
  }
  const count = t.steps.length;
  const finished = t.steps.filter((s) => s.state === 'done' || s.state === 'skipped').length;
  const at = t.steps.findIndex((s) => s.state !== 'done' && s.state !== 'skipped');
  const index = at < 0 ? count : at;
  const own = live && live.index === index && t.steps[index]?.state === 'running' ? live.fraction : 0;
  return {
    index,
    count,
    fraction: count === 0 ? 1 : Math.min(1, (finished + own) / count),
    ...(own > 0 && live?.text ? { text: live.text } : {}),
  };
}

/** A bar of exactly `cells` cells (one cell per glyph, whatever the terminal's width rules). */
export function progressBar(fraction: number, cells: number): string {
  if (cells <= 0) return '';
  const full = Math.round(Math.max(0, Math.min(1, fraction)) * cells);
  return '█'.repeat(full) + '░'.repeat(cells - full);
}

/** Time since the task was created: until now while it runs, until its last change once settled. */
export function elapsedMs(t: Task, now: number): number {
  const end = inFlight(t) ? now : Date.parse(t.updatedAt);
  return Math.max(0, end - Date.parse(t.createdAt));
}

const TAG: Record<LogSource, string> = { maas: 'maas', switch: 'sw', ipmi: 'ipmi', engine: 'eng' };

/** A log text on one line. */
export function oneLine(text: string): string {
  return text.includes('\n') ? text.replace(/\s*\n\s*/g, ' ⏎ ') : text;
}

/** The short tag a log line's source is shown with (4 cells; blank for a workflow's own note). */
export function sourceTag(source: LogSource | undefined): string {
  return (source ? TAG[source] : '').padEnd(4);
}

/** A gear line of the command log: one line sent to (or read from) MaaS, a switch or a BMC. */
export interface GearLine {
  at: string;
  host: string;
  taskId: string;
  source: LogSource;
  text: string;
  level: string;
}

const GEAR = new Set<LogSource>(GEAR_SOURCES);

/** Every gear line of every task, newest first (lines of one instant keep their journal order reversed). */
export function commandLog(tasks: readonly Task[]): GearLine[] {
  const out: { line: GearLine; n: number }[] = [];
  for (const t of tasks)
    t.log.forEach((l, n) => {
      if (l.source && GEAR.has(l.source))
        out.push({
          line: {
            at: l.at,
            host: t.target.hostname ?? '-',
            taskId: t.id,
            source: l.source,
            text: l.text,
            level: l.level,
          },
          n,
        });
    });
  out.sort((a, b) => (a.line.at < b.line.at ? 1 : a.line.at > b.line.at ? -1 : b.n - a.n));
  return out.map((o) => o.line);
}

/** The command log's `/` filter: on the host name, substring, `!` inverts (as the host table's). */
export function commandLogMatches(line: GearLine, filter: string): boolean {
  return listMatches([line.host], filter);
}

export type PaneSize = 0 | 1 | 2;
export const PANE_SIZES: readonly PaneSize[] = [0, 1, 2];

/** The host table keeps at least this many rows when the pane is under it. */
export const MIN_TABLE_ROWS = 8;
/** At this width and more the pane goes beside the host table. */
export const BESIDE_COLUMNS = 140;

export interface PaneLayout {
  placement: 'none' | 'under' | 'beside';
  /** Lines of the pane (its title line included); the body's height when beside. */
  height: number;
  /** Cells of the pane; the body's width when under. */
  width: number;
  /** Three lines per task, or one when room is short. */
  card: boolean;
}

/**
 * Where the pane goes and how big it is: under the table in narrow terminals (the table keeps
 * MIN_TABLE_ROWS rows; the pane collapses to one line per task when short), beside it on wide ones.
 */
export function paneLayout(o: {
  shown: boolean;
  tasks: number;
  size: PaneSize;
  columns: number;
  /** Body width left for the table and the pane (after the rack pane, if any). */
  width: number;
  bodyHeight: number;
}): PaneLayout {
  const none: PaneLayout = { placement: 'none', height: 0, width: 0, card: false };
  if (!o.shown || o.tasks === 0) return none;
  if (o.columns >= BESIDE_COLUMNS) {
    const width = Math.floor(o.width * [0.35, 0.45, 0.55][o.size]!);
    return { placement: 'beside', height: o.bodyHeight, width, card: true };
  }
  // Under: title line + tasks; the table keeps its header and MIN_TABLE_ROWS rows.
  const room = o.bodyHeight - 1 - MIN_TABLE_ROWS;
  if (room < 2) return none;
  const want = Math.max(2, Math.floor(o.bodyHeight * [0.25, 0.4, 0.55][o.size]!));
  const cardLines = 1 + o.tasks * 3;
  const lineLines = 1 + o.tasks;
  const cap = Math.min(room, want);
  if (cardLines <= cap) return { placement: 'under', height: cardLines, width: o.width, card: true };
  return { placement: 'under', height: Math.min(cap, lineLines), width: o.width, card: false };
}
