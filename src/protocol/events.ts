import { z } from 'zod';
import { LOG_LEVELS, LOG_SOURCES, maasProgressSchema, taskTargetSchema } from './records.ts';
import type { TaskEvent } from '../runner/tasks/events.ts';

/**
 * The task event stream as it crosses the socket: the same union as src/runner/tasks/events.ts, as zod,
 * so a client never acts on a malformed event. A compile-time check below keeps the two in step.
 */
const base = { taskId: z.string(), at: z.number() };
const step = { ...base, index: z.number().int().min(0), title: z.string() };
const mode = z.enum(['run', 'resume', 'rollback']);

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

type Parsed = z.infer<typeof taskEventSchema>;
// Both directions must hold: a new event type or field in the engine fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const inStep: Same<Parsed['type'], TaskEvent['type']> = true;
void inStep;
// And each event's fields: a field added on one side only fails here too.
type FieldsSame = {
  [T in TaskEvent['type']]: Same<keyof Extract<Parsed, { type: T }>, keyof Extract<TaskEvent, { type: T }>>;
}[TaskEvent['type']];
const sameFields: Same<FieldsSame, true> = true;
void sameFields;
// Whatever the engine emits parses.
const emitted: Same<TaskEvent extends Parsed ? true : false, true> = true;
void emitted;

/** Events that end a run of a task (the task is settled afterwards). */
export const FINAL_EVENTS: ReadonlySet<TaskEvent['type']> = new Set([
  'task-done',
  'task-failed',
  'task-cancelled',
  'task-interrupted',
  'task-rolled-back',
  'task-rollback-failed',
]);
