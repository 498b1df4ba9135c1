import { OperatorError } from '../../util/errors.ts';
import type { Task } from '../../protocol/records.ts';
import type { Handlers, ServiceContext } from './context.ts';

const FINISHED = new Set(['done', 'rolled-back']);

/**
 * Task reads and subscriptions. `tasks.follow` subscribes before it reads, in one synchronous
 * stretch, so the record it answers plus the events after it are the whole story: no event can
 * fall between them.
 */
export function taskReadHandlers({ wb }: ServiceContext): Handlers {
  const { store } = wb;
  const task = (id: string): Task => {
    const t = store.tasks.get(id);
    if (!t) throw new OperatorError(`no task ${id}`, { hint: '`rackpilot tasks --all`' });
    return t;
  };
  return {
    'tasks.list': async ({ all }) =>
      store.tasks
        .list()
        .filter((t) => all || !FINISHED.has(t.state))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
        .map(({ log: _log, ...t }) => t),
    'tasks.get': async ({ id }) => task(id),
    'tasks.follow': async ({ id }, caller) => {
      const t = task(id);
      caller.subscription.follows.add(id);
      return t;
    },
    'tasks.unfollow': async ({ id }, caller) => {
      caller.subscription.follows.delete(id);
      return {};
    },
    'tasks.subscribe': async (_p, caller) => {
      caller.subscription.all = true;
      return { tasks: store.tasks.list() };
    },
  };
}
