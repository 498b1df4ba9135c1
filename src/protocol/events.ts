import { z } from 'zod';
import { LOG_LEVELS, LOG_SOURCES, maasProgressSchema, taskTargetSchema } from './records.ts';

/**
 * THE event stream from tasks to every watcher (dashboards, `--json` output, the journal's
 * followers), defined once: the engine emits `TaskEvent` (inferred from this schema) and a client
 * parses what crosses the socket with it, so it never acts on a malformed event. Every text field
 * (titles, log lines, errors) has been through redact().
 */
const base = { taskId: z.string(), at: z.number() };
const step = { ...base, index: z.number().int().min(0), title: z.string() };
export const TASK_MODES = ['run', 'resume', 'rollback'] as const;
const mode = z.enum(TASK_MODES);

export const taskEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('task-created'),
    kind: z.string(),
    target: taskTargetSchema,
    steps: z.array(z.string()),
  }),
  z.object({ ...base, type: z.literal('task-started'), mode }),
  z.object({ ...step, type: z.literal('step-started'), attempt: z.number() }),
  z.object({
    ...step,
    type: z.literal('step-progress'),
    fraction: z.number(),
    text: z.string().optional(),
    maas: maasProgressSchema.optional(),
    estimateMs: z.number().min(0).optional(),
  }),
  z.object({
    ...base,
    type: z.literal('log'),
    level: z.enum(LOG_LEVELS),
    index: z.number().int().min(0).optional(),
    text: z.string(),
    source: z.enum(LOG_SOURCES).optional(),
  }),
  z.object({ ...step, type: z.literal('step-done'), alreadyInPlace: z.boolean() }),
  z.object({
    ...step,
    type: z.literal('step-failed'),
    error: z.string(),
    attempt: z.number(),
    retryInMs: z.number().optional(),
  }),
  z.object({ ...step, type: z.literal('step-skipped'), reason: z.string() }),
  z.object({ ...step, type: z.literal('step-undo-started'), attempt: z.number() }),
  z.object({ ...step, type: z.literal('step-undone') }),
  z.object({ ...step, type: z.literal('step-undo-failed'), error: z.string() }),
  z.object({ ...base, type: z.literal('task-done') }),
  z.object({ ...base, type: z.literal('task-failed'), error: z.string() }),
  z.object({ ...base, type: z.literal('task-cancelled'), reason: z.string() }),
  z.object({ ...base, type: z.literal('task-interrupted') }),
  z.object({ ...base, type: z.literal('task-rolled-back') }),
  z.object({ ...base, type: z.literal('task-rollback-failed'), error: z.string() }),
]);

export type TaskEvent = z.infer<typeof taskEventSchema>;
export type TaskEventType = TaskEvent['type'];
export type TaskMode = (typeof TASK_MODES)[number];

/** Events that end a run of a task (the task is settled afterwards). */
export const FINAL_EVENTS: ReadonlySet<TaskEvent['type']> = new Set([
  'task-done',
  'task-failed',
  'task-cancelled',
  'task-interrupted',
  'task-rolled-back',
  'task-rollback-failed',
]);
