import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import { RedfishClient } from '../../src/gear/redfish/client.ts';
import { BmcService } from '../../src/gear/bmc/service.ts';
import { bmcTarget } from '../../src/runner/site/bmc-target.ts';
import { BmcPowerSweep, type BmcPowerChange, type BmcSweepTarget } from '../../src/runner/power-sweep.ts';
import { startRedfishLab, type RedfishLab } from './helpers.ts';

let lab: RedfishLab | undefined;
let bmcs: BmcService | undefined;
afterEach(async () => {
  await bmcs?.close();
  await lab?.close();
  lab = undefined;
  bmcs = undefined;
});

describe('the power sweep over Redfish BMCs', () => {
  it('reads every BMC with one GET per sweep on kept sessions; tells our commands from out-of-band changes', async () => {
    lab = await startRedfishLab(3);
    const redfish = new RedfishClient({ knownCertsPath: join(lab.dir, 'known_bmc_certs'), timeoutMs: 1_000 });
    bmcs = new BmcService(new IpmiClient({ keepAliveMs: 0 }), redfish);
    const targets: BmcSweepTarget[] = lab.targets.map((t, i) => {
      const hostname = lab!.world.spec.hosts[i]!.hostname;
      return {
        hostname,
        target: bmcTarget(
          { protocol: 'redfish', address: t.host, port: t.port, username: t.username, password: t.password },
          hostname,
        ),
      };
    });
    const sweep = new BmcPowerSweep(bmcs, { targets: () => targets, intervalMs: 60_000 });
    const changes: BmcPowerChange[] = [];
    sweep.onChange((c) => changes.push(c));
    await sweep.sweep();
    expect([...sweep.snapshot().values()].map((p) => [p.power, p.answer])).toEqual([
      ['off', 'ok'],
      ['off', 'ok'],
      ['off', 'ok'],
    ]);
    const [a, b, c] = targets;
    const gets = lab.bmcs.bmc(a!.hostname).counts.GET;
    await sweep.sweep();
    // One GET of the ComputerSystem per BMC per sweep, on the session opened by the first.
    expect(lab.bmcs.bmc(a!.hostname).counts.GET).toBe(gets + 1);
    expect(lab.bmcs.bmc(a!.hostname).counts.sessionsCreated).toBe(1);

    changes.length = 0;
    await bmcs.power(a!.target, 'on'); // ours
    lab.world.setPower(b!.hostname, 'on', 'someone at the BMC web page'); // not ours
    lab.bmcs.setDead(c!.hostname, true);
    await Promise.race([
      sweep.sweep(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('sweep hung on a dead BMC')), 30_000)),
    ]);
    const byHost = new Map(changes.map((ch) => [ch.hostname, ch]));
    expect(byHost.get(a!.hostname)).toMatchObject({
      outOfBand: false,
      reason: 'a power command sent by rackpilot',
    });
    expect(byHost.get(b!.hostname)).toMatchObject({ outOfBand: true });
    expect(sweep.snapshot().get(b!.hostname)!.outOfBand).toMatchObject({ from: 'off', to: 'on' });
    expect(sweep.snapshot().get(c!.hostname)).toMatchObject({ power: 'unknown', answer: 'unreachable' });
    expect(sweep.snapshot().get(c!.hostname)!.error).toMatch(/did not answer within/);
    sweep.dispose();
  }, 60_000);
});
