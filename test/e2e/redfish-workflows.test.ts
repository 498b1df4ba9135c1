import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { main } from '../../src/cli/main.ts';
import { startCreate } from '../../src/runner/site/provision.ts';
import { planWorkflowLive } from '../../src/runner/workflows/index.ts';
import type { Host } from '../../src/protocol/records.ts';
import {
  addHost,
  expectDone,
  expectFree,
  expectRunning,
  offeringFor,
  openOperator,
  peerState,
  runTask,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from './helpers.ts';
import { testRunMark } from '../runner/cli-process.ts';

/**
 * Every workflow on hosts whose BMCs speak only Redfish (the lab at RACKPILOT_LAB_REDFISH=100):
 * add (adopted, and created in MaaS with power_type redfish), deploy, stop, start, destroy, each
 * checked in MaaS, the ToR switches and the BMC (over HTTPS, through the product's BMC interface);
 * then `rackpilot power` and `rackpilot boot` from the CLI.
 */
const LAB = { hosts: 6, racks: 1, seed: 4, redfishPercent: 100 };
const spec = generateLabSpec(LAB);
const bonded = spec.hosts.find((h) => h.nics.length >= 2)!;
const created = spec.hosts.find((h) => h.hostname !== bonded.hostname)!;

let tl: TestLab;
let op: Operator;
const hosts = new Map<string, Host>();

beforeAll(async () => {
  tl = await startTestLab({ ...LAB, maas: { unregistered: [created.hostname] } });
  op = await openOperator(tl);
  await seedCatalog(op);
}, 60_000);
afterAll(async () => {
  await op?.close();
  await tl?.close();
});

describe('Redfish hosts: every workflow', () => {
  it('add: adopted, or created in MaaS with power_type redfish and commissioned through the Redfish BMC', async () => {
    expect(tl.lab.bmcs.bmcs).toHaveLength(0);
    for (const h of [bonded, created]) hosts.set(h.hostname, await addHost(op, tl, h));
    const made = hosts.get(created.hostname)!;
    expect(made.ipmi.protocol).toBe('redfish');
    const m = await op.site.maas.readMachine(made.maasSystemId!);
    expect(m.power_type).toBe('redfish');
    expect(m.status).toBe(NODE_STATUS.READY);
  });

  it('deploy: the plan names the Redfish requests; the host runs, booting from disk', async () => {
    const host = hosts.get(bonded.hostname)!;
    const plan = (await planWorkflowLive(op.wb.deps, 'host.power', { hostId: host.id, action: 'on' }))
      .flatMap((s) => s.actions)
      .join('\n');
    expect(plan).toMatch(
      /Redfish https:\/\/127\.0\.0\.1:\d+: POST \/redfish\/v1\/Systems\/\{the one member\}\/Actions\/ComputerSystem\.Reset \{"ResetType":"On"\}/,
    );
    const { instance, taskId } = await startCreate(op.wb, op.site.maas, {
      name: 'vm-rf',
      offering: offeringFor(bonded),
      template: 'jammy',
      networks: ['tenant-a'],
      host: bonded.hostname,
    });
    const task = await op.wb.engine.wait(taskId);
    expectDone(task);
    const log = task.log.map((l) => l.text).join('\n');
    expect(log).toMatch(
      /PATCH \/redfish\/v1\/Systems\/\{the one member\} \{"Boot":\{"BootSourceOverrideTarget":"Hdd","BootSourceOverrideEnabled":"Continuous"/,
    );
    await expectRunning(op, instance.id);
    expect(tl.lab.world.isRunning(bonded.hostname)).toBe(true);
    // The BMC saw sessions and If-Match PATCHes, not IPMI.
    const bmc = tl.lab.redfish.bmc(bonded.hostname);
    expect(bmc.counts.PATCH).toBeGreaterThan(0);
  });

  it('stop and start: power off and on over Redfish, MaaS stays Deployed', async () => {
    const id = op.wb.store.instances.find((i) => i.name === 'vm-rf')!.id;
    const host = hosts.get(bonded.hostname)!;
    expectDone(await runTask(op, 'instance.stop', { instanceId: id }));
    const stopped = await peerState(op, host);
    expect(stopped.power).toBe('off');
    expect(stopped.status).toBe(NODE_STATUS.DEPLOYED);
    expectDone(await runTask(op, 'instance.start', { instanceId: id }));
    await expectRunning(op, id);
  });

  it('destroy: power off, PXE boot, release with erase, the host free again', async () => {
    const id = op.wb.store.instances.find((i) => i.name === 'vm-rf')!.id;
    op.wb.deps.settings.eraseMode = 'quick';
    expectDone(await runTask(op, 'instance.destroy', { instanceId: id }));
    await expectFree(op, hosts.get(bonded.hostname)!);
    expect(tl.lab.world.installedOs.has(bonded.hostname)).toBe(false);
  });

  it('CLI: rackpilot power and boot on a Redfish host, as tasks in the runner', async () => {
    await op.close();
    const env = tl.env(op.storePath, testRunMark());
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
    };
    const run = async (...argv: string[]) => {
      out.length = 0;
      const code = await main(argv, io, env);
      return { code, text: out.join('') };
    };
    const h = bonded.hostname;
    let r = await run('power', h, 'status', '--json');
    expect(r.code, r.text).toBe(0);
    expect(JSON.parse(r.text)).toMatchObject({ host: h, power: 'off' });
    r = await run('boot', h, 'disk', '--persistent', '--legacy', '--yes');
    expect(r.code, r.text).toBe(0);
    expect(r.text).toMatch(new RegExp(`${h}: boot device disk, persistent done`));
    r = await run('power', h, 'on', '--yes');
    expect(r.code, r.text).toBe(0);
    expect(tl.lab.world.host(h)).toMatchObject({
      power: 'on',
      bootDevice: 'disk',
      bootPersistent: true,
      bootEfi: false,
    });
    r = await run('power', h, 'status');
    expect(r.text).toMatch(new RegExp(`${h}: power on, boot override disk \\(persistent, legacy\\)`));
    r = await run('power', h, 'off', '--json', '--confirm', h);
    expect(r.code, r.text).toBe(0);
    expect(tl.lab.world.host(h).power).toBe('off');
    r = await run('ipmi', h, 'power', 'status');
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/has a Redfish BMC \(rack file\), not IPMI/);
    r = await run('power', h, 'sideways');
    expect(r.code).toBe(2);
    expect(r.text).toMatch(/ACTION "sideways": one of status, on, off, soft, cycle/);
    await run('runner', 'stop');
  });
});
