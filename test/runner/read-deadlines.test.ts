import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerClient } from '../../src/client/runner-client.ts';
import type { RunningRunner } from '../../src/runner/runner.ts';
import { Deadline } from '../../src/util/deadline.ts';
import { describeError } from '../../src/util/errors.ts';
import { KEY } from '../campaign/clean.ts';
import { slowPeers } from './slow-peers.ts';
import { runnerWithClient } from './helpers.ts';

/**
 * The doctor, the inspection, the cabling check and the BMC reads carry the client's remaining
 * deadline through the runner: a runner whose own bounds are 10 s to a minute answers a client with
 * 1.5 s left within them, with what it read and, for what it still waits on, the peer's name.
 */
const LEFT_MS = 1_500;
const d = mkdtempSync(join(tmpdir(), 'rp-read-deadlines-'));
const peers = slowPeers();
let runner: RunningRunner;
let client: RunnerClient;

beforeAll(async () => {
  const maas = await peers.slowMaas(null);
  const sshPort = await peers.promptlessSwitch();
  const bmcPort = await peers.deafBmc();
  const rack = join(d, 'rack.json');
  writeFileSync(
    rack,
    JSON.stringify({
      racks: [
        {
          name: 'r01',
          l2Switch: {
            name: 'tor-r01',
            ip: '127.0.0.1',
            sshPort,
            username: 'admin',
            password: 'sw-pass',
            type: 'force10',
            pxeVlan: 10,
          },
          hosts: [
            {
              mac: '02:00:00:00:04:01',
              port: '1/1/4',
              hostname: 'r01-n004',
              bmc: { address: '127.0.0.1', port: bmcPort, username: 'admin', password: 'bmc-pass' },
            },
          ],
        },
      ],
    }),
    { mode: 0o600 },
  );
  const env = {
    HOME: d,
    RACKPILOT_ENV_FILE: '',
    MAAS_URL: maas.url,
    MAAS_API_KEY: KEY,
    RACKPILOT_STORE: join(d, 'store.json'),
    RACKPILOT_KNOWN_HOSTS: join(d, 'known_hosts'),
    RACKPILOT_RACK_FILE: rack,
    RACKPILOT_POWER_SWEEP_MS: '0',
    // The runner's own bounds: far beyond what the client has left. (A BMC request or a switch login
    // already sent runs to its own bound, which the runner's stop waits for: 10 s, not a minute.)
    RACKPILOT_MAAS_TIMEOUT: '60',
    RACKPILOT_SWITCH_TIMEOUT: '10',
    RACKPILOT_BMC_TIMEOUT: '10',
  };
  ({ runner, client } = await runnerWithClient(env, () => undefined));
}, 60_000);

afterAll(async () => {
  client?.close();
  await runner?.stop('test over');
  peers.close();
}, 60_000);

/** One read with `LEFT_MS` left of the client's `setting`: its answer (or error) and how long it took. */
async function within(
  method: 'host.doctor' | 'host.inspect' | 'rack.cabling' | 'host.bmcRead',
  params: Record<string, unknown>,
  setting: string,
) {
  const deadline = new Deadline(LEFT_MS, setting);
  const t0 = Date.now();
  try {
    const r = await client.call(method, params as never, { deadline }).then(
      (value) => ({ value, error: null as string | null }),
      (err: unknown) => ({ value: null, error: describeError(err) }),
    );
    return { ...r, ms: Date.now() - t0 };
  } finally {
    deadline.dispose();
  }
}

describe("reads through the runner within the client's deadline", () => {
  it('the doctor answers in time with what it could not read, naming MaaS and the setting', async () => {
    const r = await within('host.doctor', { host: 'r01-n004' }, 'RACKPILOT_MAAS_TIMEOUT');
    // Under the runner's own 60 s bounds, the answer comes at the client's deadline, not theirs.
    expect(r.ms).toBeLessThan(LEFT_MS + 1_000);
    // A diagnosis, not a "still waiting": the runner bounded its own reads by the client's deadline.
    expect(r.error).toBeNull();
    expect(JSON.stringify(r.value)).toMatch(
      /MaaS at http:\/\/127\.0\.0\.1:\d+\/MAAS \(MAAS_URL\) did not answer within 1\.5 s \(RACKPILOT_MAAS_TIMEOUT\)/,
    );
  }, 30_000);

  it('the inspection answers in time, naming MaaS and the setting', async () => {
    const r = await within('host.inspect', { host: 'r01-n004' }, 'RACKPILOT_MAAS_TIMEOUT');
    expect(r.ms).toBeLessThan(LEFT_MS + 1_000);
    expect(r.error).toMatch(
      /^MaaS at http:\/\/127\.0\.0\.1:\d+\/MAAS \(MAAS_URL\) did not answer within 1\.5 s \(RACKPILOT_MAAS_TIMEOUT\): list machines/,
    );
  }, 30_000);

  it('the cabling check answers in time, naming the switch it waits on', async () => {
    const r = await within('rack.cabling', { rack: 'r01' }, 'RACKPILOT_SWITCH_TIMEOUT');
    expect(r.ms).toBeLessThan(LEFT_MS + 1_000);
    expect(r.error).toBeNull();
    expect(r.value).toMatchObject({
      switches: [{ name: 'tor-r01', error: 'not read: no answer within 1.5 s (RACKPILOT_SWITCH_TIMEOUT)' }],
    });
  }, 30_000);

  it('a BMC read answers in time, naming the BMC it waits on', async () => {
    const r = await within('host.bmcRead', { host: 'r01-n004', read: 'power' }, 'RACKPILOT_BMC_TIMEOUT');
    expect(r.ms).toBeLessThan(LEFT_MS + 1_000);
    expect(r.error).toMatch(
      /^no answer within 1\.5 s \(RACKPILOT_BMC_TIMEOUT\): the runner is still waiting for the BMC of r01-n004/,
    );
    expect(r.error).not.toContain('bmc-pass');
  }, 30_000);
});
