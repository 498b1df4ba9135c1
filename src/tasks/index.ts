export { TaskEngine, backoff, type TaskEngineOptions } from './engine.ts';
export { realClock, scaledClock, type Clock } from './clock.ts';
export { KeyedMutex, Semaphore, type Release } from './locks.ts';
export {
  SETTLED_STATES,
  isSettled,
  type TaskEvent,
  type TaskEventType,
  type TaskListener,
  type TaskMode,
} from './events.ts';
export type { RetryPolicy, Step, StepContext, StepFactory, VerifyResult } from './types.ts';
