import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { POWER_NOTIFICATION, powerNotificationSchema } from '../../src/protocol/messages.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';

/**
 * End to end through the runner: its BMC sweep (every 200 ms here) sees a host the lab powers off
 * out of band, a client on the socket gets the `power.changed` notice flagged, `power.snapshot`
 * shows the host off and flagged, and the runner's log says so.
 */
let tl: TestLab;
let runner: RunningRunner;
let client: RunnerClient;
const log: string[] = [];
const HOST = 'r01-n002';

async function until<T>(what: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = what();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 7 });
  // On before the runner's first look: its first sweep learns it on, nothing to flag.
  tl.lab.world.setPower(HOST, 'on', 'test setup');
  const storePath = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  const env = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '', RACKPILOT_POWER_SWEEP_MS: '200' };
  runner = await startRunner({ env, log: (l) => log.push(l), idleMs: 0 });
  client = await connectRunner({
    storePath: runner.paths.store,
    site: siteIdentity(loadConfig({ env, envFile: false })),
    client: { kind: 'test', readOnly: true },
    env,
    start: false,
  });
  await client.call('tasks.subscribe', {});
}, 60_000);

afterAll(async () => {
  client?.close();
  await runner?.stop('test over');
  await tl?.close();
});

describe('power from the BMCs through the runner', () => {
  it('flags a host powered off out of band: notice to clients, power.snapshot, runner log', async () => {
    // The sweep has read the host on.
    let snap = await client.call('power.snapshot', {});
    for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
      if (snap.hosts.find((h) => h.hostname === HOST)?.power === 'on') break;
      await new Promise((r) => setTimeout(r, 100));
      snap = await client.call('power.snapshot', {});
    }
    expect(snap.enabled).toBe(true);
    expect(snap.hosts.find((h) => h.hostname === HOST)).toMatchObject({ power: 'on', answer: 'ok' });
    expect(snap.hosts.find((h) => h.hostname === HOST)?.outOfBand).toBeUndefined();

    const notices: { hostname: string; power: string; outOfBand: boolean }[] = [];
    const off = client.onNotification(POWER_NOTIFICATION, (raw) => {
      const n = powerNotificationSchema.parse(raw);
      notices.push({ hostname: n.power.hostname, power: n.power.power, outOfBand: n.outOfBand });
    });
    const at = Date.now();
    tl.lab.world.setPower(HOST, 'off', 'power button');

    const notice = await until(() => notices.find((n) => n.hostname === HOST));
    off();
    expect(notice).toEqual({ hostname: HOST, power: 'off', outOfBand: true });
    // Within one sweep (200 ms) and the time to read MaaS for an explanation.
    expect(Date.now() - at).toBeLessThan(5_000);

    const after = (await client.call('power.snapshot', {})).hosts.find((h) => h.hostname === HOST)!;
    expect(after.power).toBe('off');
    expect(after.outOfBand).toMatchObject({ from: 'on', to: 'off' });
    expect(after.outOfBand!.at).toBeGreaterThanOrEqual(at);
    // Only that host was flagged.
    expect(notices.filter((n) => n.outOfBand).map((n) => n.hostname)).toEqual([HOST]);

    expect(log).toContainEqual(
      expect.stringMatching(
        new RegExp(`^power: ${HOST} went off out of band \\(no command of rackpilot, no MaaS action`),
      ),
    );
  }, 30_000);
});
