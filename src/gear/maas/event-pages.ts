import type { MaasClient } from './client.ts';
import type { MaasEvent } from './schemas.ts';

/**
 * One machine's events, newest first, paging back with `before=` (events/?op=query) until the
 * caller has what it needs or `maxPages` pages are read: a deployment with TFTP and HTTP requests
 * at DEBUG easily outgrows one page.
 */
export async function readEventsBack(
  maas: Pick<MaasClient, 'queryEvents'>,
  o: {
    systemId: string;
    level?: 'DEBUG' | 'INFO';
    pageSize?: number;
    maxPages?: number;
    /** Stop once the events read so far (newest first) hold enough. */
    enough?: (events: readonly MaasEvent[]) => boolean;
  },
  signal?: AbortSignal,
): Promise<{ events: MaasEvent[]; pages: number; complete: boolean }> {
  const limit = o.pageSize ?? 100;
  const maxPages = o.maxPages ?? 8;
  const events: MaasEvent[] = [];
  let before: number | undefined;
  for (let pages = 1; ; pages++) {
    const page = await maas.queryEvents(
      { id: o.systemId, level: o.level ?? 'DEBUG', limit, ...(before !== undefined && { before }) },
      signal,
    );
    events.push(...page.events);
    const oldest = page.events[page.events.length - 1]?.id;
    const complete = page.events.length < limit || oldest === undefined;
    if (complete || o.enough?.(events) || pages >= maxPages) return { events, pages, complete };
    before = oldest;
  }
}
