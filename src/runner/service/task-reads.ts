import { OperatorError } from '../../util/errors.ts';
import type { Task } from '../../protocol/records.ts';
import type { Handlers, ServiceContext } from './context.ts';

const FINISHED = new Set(['done', 'rolled-back']);

/**
 * Task reads and subscriptions. `tasks.follow` subscribes before it reads, in one synchronous
 * stretch, so the record it answers plus the events after it are the whole story: no event can
 * fall between them. Every answer is the journal as it is on disk: a step the engine has marked
 * running in memory, whose write-ahead record is still being written, is not reported started
 * (a client would print it, and a crash would leave it pending). A read of one task (get,
 * follow) waits for that task's record only; the lists wait until the whole store is on disk.
 */
export function taskReadHandlers({ wb }: ServiceContext): Handlers {
  const { store } = wb;
  const task = (id: string): Task => {
    const t = store.tasks.get(id);
    if (!t) throw new OperatorError(`no task ${id}`, { hint: '`rackpilot tasks --all`' });
    return t;
  };
  return {
    'tasks.list': ({ all }) =>
      store.readWritten(() =>
        store.tasks
          .list()
          .filter((t) => all || !FINISHED.has(t.state))
          .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
          .map(({ log: _log, ...t }) => t),
      ),
    'tasks.get': ({ id }) => store.readWrittenTask(id, () => task(id)),
    'tasks.follow': ({ id }, caller) =>
      store.readWrittenTask(id, () => {
        const t = task(id);
        caller.subscription.follows.add(id);
        return t;
      }),
    'tasks.unfollow': async ({ id }, caller) => {
      caller.subscription.follows.delete(id);
      return {};
    },
    'tasks.subscribe': (_p, caller) =>
      store.readWritten(() => {
        caller.subscription.all = true;
        return { tasks: store.tasks.list() };
      }),
  };
}
