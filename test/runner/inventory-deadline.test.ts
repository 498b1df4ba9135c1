import { describe, expect, it } from 'vitest';
import { InventoryService } from '../../src/runner/inventory/service.ts';
import { stillWaiting } from '../../src/runner/service/context.ts';
import { WaitBoard } from '../../src/runner/waits.ts';
import type { Site } from '../../src/runner/site/open.ts';
import { Deadline, DeadlineExceeded } from '../../src/util/deadline.ts';
import { describeError } from '../../src/util/errors.ts';

/** A MaaS whose every call waits until its caller gives up, counting the calls. */
function hangingSite() {
  const calls: string[] = [];
  const hang = (what: string) => (_q: unknown, signal?: AbortSignal) => {
    calls.push(what);
    return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
  };
  const site = {
    label: 'test',
    maas: {
      baseUrl: 'http://127.0.0.1:1/MAAS/api/2.0/',
      queryEvents: hang('events'),
      listMachineSummaries: hang('machines'),
    },
    topology: { rack: { racks: [] } },
  } as unknown as Site;
  return { site, calls };
}

describe("the runner's inventory read within a client's deadline", () => {
  it('one step, one deadline: a timed-out call ends the read, with no second call', async () => {
    const { site, calls } = hangingSite();
    const inv = new InventoryService(site, { waits: new WaitBoard(), maasTimeoutMs: 60_000 });
    const d = new Deadline(100, 'RACKPILOT_MAAS_TIMEOUT');
    await inv.refresh(d.signal);
    expect(calls).toEqual(['events']);
    expect(inv.current().error).toMatch(/no answer within 0\.1 s \(RACKPILOT_MAAS_TIMEOUT\)/);
    inv.close();
  });

  it('a read that joins a longer step already under way leaves at its own deadline, saying what the runner awaits', async () => {
    const { site, calls } = hangingSite();
    const waits = new WaitBoard();
    const inv = new InventoryService(site, { waits, maasTimeoutMs: 60_000 });
    // A step of its own under way (a dashboard's poll), ended by the test once it has seen enough.
    const poll = new AbortController();
    const first = inv.refresh(poll.signal);
    const short = new Deadline(100, 'RACKPILOT_MAAS_TIMEOUT');
    const t0 = Date.now();
    const err = await inv.refresh(short.signal).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(err).toBeInstanceOf(DeadlineExceeded);
    expect(describeError(stillWaiting(err, waits))).toMatch(
      /^no answer within 0\.1 s \(RACKPILOT_MAAS_TIMEOUT\): the runner is still waiting for MaaS's newest event \(for \d+(\.\d)? s\)/,
    );
    expect(calls).toEqual(['events']); // the second read asked MaaS nothing of its own
    poll.abort();
    await first;
    inv.close();
  });
});
