import type { MaasClient } from '../../gear/maas/client.ts';
import { WaitBoard } from '../waits.ts';
import { InventoryFollower, type FollowerOptions, type MaasFeedPort } from './follower.ts';

/** The MaaS calls a view of the machines is made of. */
export type MaasFeedClient = Pick<MaasClient, 'listMachineSummaries' | 'queryEvents'>;

/**
 * MaaS as the follower needs it: summaries (the fields the inventory shows) and the events feed,
 * each call named on the runner's wait board while it lasts.
 */
export function maasFeed(maas: MaasFeedClient, waits: WaitBoard = new WaitBoard()): MaasFeedPort {
  return {
    listMachines: (filter, signal) =>
      waits.track(filter.id ? "MaaS's machines named by its events" : "MaaS's machine list", () =>
        maas.listMachineSummaries(filter.id ? { id: filter.id } : {}, signal),
      ),
    newestEventId: (signal) =>
      waits.track("MaaS's newest event", async () => {
        const page = await maas.queryEvents({ level: 'DEBUG', limit: 1 }, signal);
        return page.events[0]?.id ?? null;
      }),
    eventsAfter: (after, limit, signal) =>
      waits.track("MaaS's events", async () => {
        const page = await maas.queryEvents({ level: 'DEBUG', after, limit }, signal);
        return [...page.events].sort((a, b) => a.id - b.id);
      }),
  };
}

const views = new WeakMap<MaasFeedClient, InventoryFollower>();

/**
 * The site's one view of MaaS's machines, per MaaS client: the dashboards' rows and the planner's
 * Ready check follow the same feed (one full list, then only the events since and the machines they
 * name), so neither lists the whole site again per deploy. The first caller's options make it.
 */
export function maasView(
  maas: MaasFeedClient,
  opts: { waits?: WaitBoard; follower?: FollowerOptions } = {},
): InventoryFollower {
  let view = views.get(maas);
  if (!view) {
    view = new InventoryFollower(maasFeed(maas, opts.waits), { racks: [] }, opts.follower);
    views.set(maas, view);
  }
  return view;
}
