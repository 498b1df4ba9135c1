/**
 * The task engine. Typical use (the site layer does this at start-up):
 *
 *   const store = await openStore(path);                  // src/runner/store/store.ts
 *   const engine = new TaskEngine({ store, concurrency: 16 });   // or { coordinator }
 *   engine.define('instance.create', (params) => createInstanceSteps(deps, params), { params: schema });
 *   const interrupted = await engine.recover();           // before anything else: running → interrupted
 *   const off = engine.subscribe((e: TaskEvent) => ...);  // THE event stream for the UI
 *   const id = await engine.start('instance.create', { hostId, hostname, instanceId }, params);
 *   const task = await engine.wait(id);                   // settled record: done / failed / cancelled / ...
 *   await engine.resume(id) | engine.rollback(id) | engine.cancel(id, reason);
 */
export { TaskEngine, backoff, type StartOptions, type TaskEngineOptions } from './engine.ts';
export { realClock, scaledClock, type Clock } from './clock.ts';
export { KeyedMutex, Semaphore, type Release } from './locks.ts';
export type {
  Claim,
  ClaimRequest,
  ClaimResult,
  Coordinator,
  Holder,
  JournalWrite,
  Unlock,
} from './coordination.ts';
export { LocalCoordinator } from './local-coordinator.ts';
export {
  SETTLED_STATES,
  isSettled,
  type TaskEvent,
  type TaskEventType,
  type TaskListener,
  type TaskMode,
} from './events.ts';
export type { RetryPolicy, Step, StepContext, StepFactory, VerifyResult } from './types.ts';
