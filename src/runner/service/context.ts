import type { Site } from '../../site/open.ts';
import type { Workbench } from '../../site/workbench.ts';
import type { Method, Result } from '../protocol.ts';

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

export type Handlers = { [M in Method]?: (params: any, caller: Caller) => Promise<Result<M>> };
