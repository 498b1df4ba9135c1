import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { readHostLive } from '../../src/runner/service/live-read.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { openSite, type Site } from '../../src/runner/site/open.ts';
import { openWorkbench, type Workbench } from '../../src/runner/site/workbench.ts';
import { bmcTarget } from '../../src/runner/doctor/gather.ts';
import { liveWarnings } from '../../components/live-warnings.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';

/**
 * The details view's live read is a runner request: the runner reads the BMC and each ToR port,
 * a switch read waits for the switch lock a task's switch step holds, and the answer carries no
 * secret.
 */
let tl: TestLab;
let env: Record<string, string>;

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 11 });
  env = {
    ...tl.env(join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json')),
    RACKPILOT_ENV_FILE: '',
    RACKPILOT_POWER_SWEEP_MS: '0',
  };
}, 60_000);

afterAll(async () => {
  await tl?.close();
});

const twoNicHost = () => tl.lab.spec.hosts.find((h) => h.nics.length >= 2)!;

describe('host.live through a running runner', () => {
  let runner: RunningRunner;
  let client: RunnerClient;
  beforeAll(async () => {
    runner = await startRunner({ env, log: () => undefined, idleMs: 0 });
    client = await connectRunner({
      storePath: runner.paths.store,
      site: siteIdentity(loadConfig({ env, envFile: false })),
      client: { kind: 'test', readOnly: true },
      env,
      start: false,
    });
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await runner?.stop('test over');
  });

  it('answers the BMC and every ToR port as the gear has them, without a password', async () => {
    const host = twoNicHost();
    const nic = host.nics[0]!;
    tl.lab.world.setPower(host.hostname, 'on', 'test');
    tl.lab.world.updatePort(nic.switch, nic.port, (p) => {
      p.untagged = 300;
    });
    const live = await client.call('host.live', { host: host.hostname, macs: [] });
    expect(live.bmc).toMatchObject({ power: 'on' });
    expect(live.ports).toHaveLength(host.nics.length);
    expect(live.ports.find((p) => p.port === nic.port)).toMatchObject({ untagged: 300, pxeVlan: 10 });
    expect(liveWarnings('Deploying', 'off', live)).toEqual([
      expect.stringContaining(`${nic.switch} ${nic.port} is untagged on VLAN 300, not the PXE VLAN 10`),
      expect.stringContaining('the BMC says power on, MaaS says off'),
    ]);
    expect(JSON.stringify(live)).not.toContain(host.bmc.password);

    // The gear changes; the next read says so (nothing is cached between reads).
    tl.lab.world.setPower(host.hostname, 'off', 'test');
    expect((await client.call('host.live', { host: host.hostname })).bmc).toMatchObject({ power: 'off' });
  });

  it('answers a host it knows nothing of with no reading rather than an error', async () => {
    expect(await client.call('host.live', { host: 'r09-n999' })).toMatchObject({ ports: [] });
  });
});

describe('a live read and the switch lock', () => {
  let site: Site;
  let wb: Workbench;
  beforeAll(async () => {
    site = await openSite(loadConfig({ env, envFile: false }));
    wb = await openWorkbench(site, { storePath: join(mkdtempSync(join(tl.dir, 'wb-')), 'store.json') });
  }, 60_000);
  afterAll(async () => {
    await wb?.close();
    await site?.close();
  });

  it('waits for the switch a task holds, then reads it', async () => {
    const host = twoNicHost();
    const sw = host.nics[0]!.switch;
    const hold = new AbortController();
    const unlock = await wb.engine.coordinator.lock([`switch:${sw}`], 't-holder', hold.signal);
    let answered = false;
    const read = readHostLive(site, wb, host.hostname, []).then((r) => {
      answered = true;
      return r;
    });
    // The BMC answers at once; the ports wait. Let the BMC's reply come and go first.
    await site.bmc.powerStatus((await bmcTarget({ site, wb }, undefined, host.hostname))!);
    expect(answered).toBe(false);
    await unlock();
    const live = await read;
    expect(live.ports.every((p) => p.error === undefined && typeof p.untagged !== 'undefined')).toBe(true);
  });

  it('says the switch stayed locked when a task holds it past the wait', async () => {
    const host = twoNicHost();
    const sw = host.nics[0]!.switch;
    const unlock = await wb.engine.coordinator.lock(
      [`switch:${sw}`],
      't-holder',
      new AbortController().signal,
    );
    try {
      const live = await readHostLive(site, wb, host.hostname, [], 200);
      expect(live.ports.length).toBeGreaterThan(0);
      for (const p of live.ports)
        expect(p.error).toBe(`not read: switch ${sw} stayed locked by a task for 200 ms`);
      expect(live.bmc).toMatchObject({ power: expect.stringMatching(/^(on|off)$/) });
    } finally {
      await unlock();
    }
  });
});
