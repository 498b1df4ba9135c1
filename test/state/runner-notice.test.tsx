import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { Header, headerLines } from '../../components/Header.tsx';
import { clockTime } from '../../components/format.ts';
import type { RunnerClient } from '../../src/client/runner-client.ts';
import { RunnerInventory } from '../../state/runner-inventory.ts';

/** The runner's notices (a rack file reloaded or refused, a new lab) reach the dashboard's header. */
function runnerWithNoRows() {
  let push: (p: unknown) => void = () => undefined;
  const snapshot = {
    endpoint: 'http://maas/MAAS',
    site: 'x',
    racks: [],
    rows: [],
    refreshedAt: 1_000,
    error: null,
    version: 1,
  };
  const client = {
    call: async () => snapshot,
    onNotification: (_m: string, l: (p: unknown) => void) => ((push = l), () => undefined),
    onClose: () => () => undefined,
  } as unknown as RunnerClient;
  return { client, push: (p: unknown) => push(p) };
}

describe("the runner's notices in the dashboard's header", () => {
  it('a notice pushed with an empty delta of the current version shows, and stays with later deltas', async () => {
    const r = runnerWithNoRows();
    const inv = new RunnerInventory(r.client);
    await inv.connect();
    expect(inv.getSnapshot().notice ?? null).toBeNull();
    const notice = {
      at: Date.UTC(2026, 0, 1, 10, 6, 3),
      level: 'warn' as const,
      text: 'rack file edit refused, previous kept: racks[0].hosts[0].mac: "zz" is not a MAC address',
    };
    r.push({ version: 1, upsert: [], remove: [], refreshedAt: 1_000, error: null, notice });
    expect(inv.getSnapshot().notice).toEqual(notice);
    r.push({ version: 2, upsert: [], remove: [], refreshedAt: 2_000, error: 'MaaS down' });
    expect(inv.getSnapshot().notice).toEqual(notice);
    const { lastFrame, unmount } = render(
      <Header snapshot={inv.getSnapshot()} label="" width={120} now={3_000} />,
    );
    const lines = lastFrame()!.split('\n');
    expect(lines).toContain(`runner ${clockTime(notice.at)}: ${notice.text}`);
    expect(lines).toHaveLength(headerLines(inv.getSnapshot(), undefined));
    unmount();
  });
});
