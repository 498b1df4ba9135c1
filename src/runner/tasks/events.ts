export type { TaskEvent, TaskEventType, TaskMode } from '../../protocol/events.ts';
import type { TaskEvent } from '../../protocol/events.ts';

export type TaskListener = (event: TaskEvent) => void;

export { isSettled, SETTLED_STATES } from '../../protocol/task-states.ts';
