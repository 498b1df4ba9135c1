import { mkdtempSync } from 'node:fs';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdSite } from '../../src/runner/coord/etcd-site.ts';
import { describeError, OperatorError } from '../../src/util/errors.ts';
import { expectClean, KEY } from '../campaign/clean.ts';
import { cli } from '../runner/cli-process.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { skipWithoutEtcd, startEtcd, type TestEtcd } from './etcd-server.ts';

/**
 * The waits on etcd and on the runner's start are bounded by their settings and named in the
 * message at their end (issue 24), against a real etcd frozen with SIGSTOP: it keeps its
 * connections open and answers nothing, as a hung member does.
 */
const skip = skipWithoutEtcd();
const d = mkdtempSync(join(tmpdir(), 'rp-etcd-waits-'));
let etcd: TestEtcd;
let maas: HttpServer;
let maasUrl: string;

beforeAll(async () => {
  if (skip) return;
  etcd = await startEtcd();
  // A MaaS region that is never asked here: the runners under test stop before they would.
  maas = createHttp((_req, res) => res.writeHead(503).end());
  await new Promise<void>((ok) => maas.listen(0, '127.0.0.1', ok));
  maasUrl = `http://127.0.0.1:${(maas.address() as AddressInfo).port}/MAAS`;
}, 60_000);

afterAll(async () => {
  etcd?.members[0]?.thaw();
  await stopRunnersUnder(d);
  maas?.closeAllConnections();
  maas?.close();
  await etcd?.close();
});

function site(name: string, extra: Record<string, string>): Record<string, string> {
  return {
    HOME: d,
    RACKPILOT_ENV_FILE: '',
    MAAS_URL: maasUrl,
    MAAS_API_KEY: KEY,
    RACKPILOT_STORE: join(d, name, 'store.json'),
    RACKPILOT_KNOWN_HOSTS: join(d, name, 'known_hosts'),
    RACKPILOT_POWER_SWEEP_MS: '0',
    ...extra,
  };
}

async function timed(args: string[], env: Record<string, string>) {
  const t0 = Date.now();
  const r = await cli(args, env);
  return { ...r, ms: Date.now() - t0 };
}

describe.skipIf(skip)('etcd and the runner start: bounded, and named when they end', () => {
  it('opening a site on a frozen etcd ends at RACKPILOT_ETCD_TIMEOUT, naming the endpoint and the setting', async () => {
    etcd.members[0]!.freeze();
    try {
      const t0 = Date.now();
      const err = await EtcdSite.open({
        endpoints: [etcd.endpoint],
        prefix: '/waits/',
        ttlSeconds: 2,
        timeoutMs: 1_000,
      }).then(
        () => null,
        (e: unknown) => e,
      );
      const ms = Date.now() - t0;
      expect(err).toBeInstanceOf(OperatorError);
      expect(describeError(err)).toContain(`cannot use etcd at ${etcd.endpoint}`);
      expect(describeError(err)).toMatch(/no answer within 1 s \(RACKPILOT_ETCD_TIMEOUT\)/);
      // Before this bound the retries across tries took 3.8 s for a 1 s setting.
      expect(ms).toBeLessThan(1_000 + 2_000);
    } finally {
      etcd.members[0]!.thaw();
    }
  }, 30_000);

  it('the same etcd, thawed, opens at once: the bound cut only a hung wait', async () => {
    const s = await EtcdSite.open({
      endpoints: [etcd.endpoint],
      prefix: '/waits/',
      ttlSeconds: 2,
      timeoutMs: 1_000,
    });
    await s.close();
  }, 30_000);

  it("a command whose runner waits on a frozen etcd ends at RACKPILOT_RUNNER_START_TIMEOUT, with the runner's log", async () => {
    // The runner's own bound on etcd is longer than the command's on the runner's start.
    const env = site('start', {
      RACKPILOT_ETCD: etcd.endpoint,
      RACKPILOT_ETCD_PREFIX: '/start/',
      RACKPILOT_ETCD_TIMEOUT: '8',
      RACKPILOT_RUNNER_START_TIMEOUT: '2',
    });
    etcd.members[0]!.freeze();
    try {
      const r = await timed(['tasks'], env);
      expect(r.code).toBe(1);
      expectClean(r.err, /the runner did not open \S+ within 2 s \(RACKPILOT_RUNNER_START_TIMEOUT\)/);
      expect(r.err).toContain('its log says:');
      // The start itself (a node process loading the runner) is in it; the bound is 2 s plus 2 s.
      expect(r.ms).toBeLessThan(2_000 + 2_000 + 1_500);
    } finally {
      etcd.members[0]!.thaw();
      await stopRunnersUnder(d);
    }
  }, 60_000);

  it('a runner that cannot reach etcd exits at RACKPILOT_ETCD_TIMEOUT: the command says so from its log', async () => {
    const env = site('etcd', {
      RACKPILOT_ETCD: etcd.endpoint,
      RACKPILOT_ETCD_PREFIX: '/etcd/',
      RACKPILOT_ETCD_TIMEOUT: '1',
      RACKPILOT_RUNNER_START_TIMEOUT: '120',
    });
    // What a first command takes on a fresh store with no etcd: the runner's own start (the machine
    // may be loaded: 14 s were seen here at a load of 14).
    const base = await timed(['tasks'], site('base', {}));
    expect(base.code, base.err).toBe(0);
    await stopRunnersUnder(d);
    etcd.members[0]!.freeze();
    try {
      const r = await timed(['tasks'], env);
      expect(r.code).toBe(1);
      expectClean(r.err, /the runner could not start/);
      expect(r.err).toContain(`cannot use etcd at ${etcd.endpoint}`);
      expect(r.err).toMatch(/no answer within 1 s \(RACKPILOT_ETCD_TIMEOUT\)/);
      // Far below the 120 s start bound: the runner gave up on etcd at its own 1 s (the margin is
      // for a loaded machine; the start bound would take 120 s).
      expect(r.ms).toBeLessThan(base.ms + 1_000 + 10_000);
    } finally {
      etcd.members[0]!.thaw();
      await stopRunnersUnder(d);
    }
  }, 180_000);
});
