import type { Site } from '../site/open.ts';
import type { Workbench } from '../site/workbench.ts';
import type { Method, Result } from '../../protocol/messages.ts';
import type { Host } from '../../protocol/records.ts';
import { Deadline, DeadlineExceeded, formatSeconds } from '../../util/deadline.ts';
import { OperatorError } from '../../util/errors.ts';
import type { WaitBoard } from '../waits.ts';

/** What a request handler works with: the runner's site (adapters) and workbench (store + engine). */
export interface ServiceContext {
  site: Site;
  wb: Workbench;
}

/** Who asked: handlers record it in task logs (forced actions name the client). */
export interface Caller {
  id: number;
  kind: string;
  pid: number;
  /** The task events this client receives: all of them (a dashboard) or those of followed tasks. */
  subscription: Subscription;
  /** Sends this client a notification (inventory deltas). */
  notify(method: string, params: unknown): void;
}

export interface Subscription {
  all: boolean;
  follows: Set<string>;
  /** Ends this client's inventory subscription (also when it leaves). */
  inventory?: (() => void) | undefined;
  /** Takes this client off every console it watches (also when it leaves). */
  console?: (() => void) | undefined;
}

/**
 * Starts a task for a request; when the request asked to follow it (`follow`), the caller is
 * subscribed as the task is created, so its events reach the client from `task-created` on, and
 * the answer says so (`followed`). A request that resumes a task instead answers without it: the
 * client then reads the record with `tasks.follow`, as for any task it did not start.
 */
export async function startFor(
  caller: Caller,
  params: { follow?: boolean | undefined },
  start: (opts: { onCreated?: (id: string) => void }) => Promise<string>,
): Promise<{ taskId: string; followed?: true }> {
  let followed = false;
  const taskId = await start(
    params.follow
      ? {
          onCreated: (id) => {
            caller.subscription.follows.add(id);
            followed = true;
          },
        }
      : {},
  );
  return followed ? { taskId, followed } : { taskId };
}

/** One request's own facts: the client's deadline, when it sent one (reads do). */
export interface RequestContext {
  deadline?: Deadline | undefined;
}

export type Handlers = {
  [M in Method]?: (params: any, caller: Caller, request?: RequestContext) => Promise<Result<M>>;
};

/**
 * The deadline of a handler's wait on one kind of peer: the runner's own setting, shortened to what
 * the client has left when it said (a read through the runner never outlasts its command).
 */
export function peerDeadline(request: RequestContext | undefined, ms: number, setting: string): Deadline {
  const left = request?.deadline?.remainingMs();
  return left !== undefined && left < ms
    ? new Deadline(left, request!.deadline!.setting)
    : new Deadline(ms, setting);
}

/** A deadline that passed while a shared wait went on: said as what the runner still waits for. */
export function stillWaiting(err: unknown, waits: WaitBoard): unknown {
  return err instanceof DeadlineExceeded ? stillWaitingError(err.deadline, waits.describe()) : err;
}

export function stillWaitingError(
  deadline: { ms: number; setting: string },
  what: string | null,
): OperatorError {
  return new OperatorError(
    `no answer within ${formatSeconds(deadline.ms)} (${deadline.setting}): the runner is still waiting for ${what ?? 'the gear'}`,
    {
      hint: `raise ${deadline.setting} if the peer is only slow; \`rackpilot runner logs\` shows what the runner does`,
    },
  );
}

/** A host of rackpilot's store by hostname or id, or the error that says how to add it. */
export function storeHost(wb: Workbench, key: string): Host {
  const host = wb.store.hosts.find((h) => h.hostname === key || h.id === key);
  if (!host)
    throw new OperatorError(`host ${key} is not in rackpilot's store`, {
      hint: `add it first: \`rackpilot host add --hostname ${key} …\``,
      target: key,
    });
  return host;
}
