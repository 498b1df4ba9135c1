import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { main } from '../../src/cli/main.ts';
import { startCreate } from '../../src/runner/site/provision.ts';
import type { Host } from '../../src/protocol/records.ts';
import {
  addHost,
  expectDone,
  expectFree,
  expectRunning,
  maasEvents,
  offeringFor,
  openOperator,
  peerState,
  runTask,
  seedCatalog,
  startTestLab,
  until,
  type Operator,
  type TestLab,
} from './helpers.ts';
import { runnerPid } from '../runner/helpers.ts';
import { testRunMark } from '../runner/cli-process.ts';

/**
 * Every workflow of the seed against the lab, each checked in all three peers through the
 * product's clients: MaaS (status, bond, MACs, events), the ToR switches (`show` over SSH) and
 * the BMCs (chassis status and boot flags over RMCP+).
 */
const LAB = { hosts: 16, racks: 4, seed: 4 };
const spec = generateLabSpec(LAB);
const pick = (n: number, skip: string[] = []) =>
  spec.hosts.find((h) => h.nics.length === n && !skip.includes(h.hostname))!;
const single = pick(1);
const two = pick(2);
const three = pick(3);
const four = pick(4);
const unknownToMaas = pick(2, [two.hostname]);
// Hosts of one shape for the planner, not used by the other tests.
const used = new Set([single, two, three, four, unknownToMaas].map((h) => h.hostname));
const shape = spec.hosts.filter((h) => !used.has(h.hostname) && h.cpuCount === 16).slice(0, 3);

let tl: TestLab;
let op: Operator;
const hosts = new Map<string, Host>();
const instances = new Map<string, string>();

beforeAll(async () => {
  tl = await startTestLab({ ...LAB, maas: { unregistered: [unknownToMaas.hostname] } });
  op = await openOperator(tl);
  await seedCatalog(op);
}, 60_000);
afterAll(async () => {
  await op?.close();
  await tl?.close();
});

async function create(name: string, hostname: string, networks: string[]) {
  const h = hosts.get(hostname)!;
  const { instance, taskId } = await startCreate(op.wb, op.site.maas, {
    name,
    offering: offeringFor(spec.hosts.find((x) => x.hostname === hostname)!),
    template: 'jammy',
    networks,
    host: h.hostname,
  });
  const task = await op.wb.engine.wait(taskId);
  expectDone(task);
  instances.set(name, instance.id);
  return instance.id;
}

describe('add host', () => {
  it('adopts the machines MaaS already has (single NIC, bonded pairs, 3 and 4 NICs)', async () => {
    for (const h of [single, two, three, four]) {
      const host = await addHost(op, tl, h);
      hosts.set(h.hostname, host);
      expect(host.maasSystemId).toBe(tl.lab.maas.machines.byHostname(h.hostname)!.systemId);
      const task = op.wb.store.tasks.list().find((t) => t.target.hostId === host.id)!;
      expect(task.log.map((l) => l.text).join('\n')).toMatch(/adopted/);
      await expectFree(op, host);
    }
  });

  it('creates a machine MaaS lacks, with IPMI power, and commissions it to Ready', async () => {
    const macs = unknownToMaas.nics.map((n) => n.mac);
    expect(await op.site.maas.listMachines({ mac_address: macs })).toHaveLength(0);
    const host = await addHost(op, tl, unknownToMaas);
    hosts.set(unknownToMaas.hostname, host);
    const [m] = await op.site.maas.listMachines({ mac_address: macs });
    expect(m).toMatchObject({ system_id: host.maasSystemId, hostname: unknownToMaas.hostname });
    expect(m!.power_type).toBe('ipmi');
    const events = await maasEvents(op, host);
    expect(events.join('\n')).toMatch(/PXE Request - commissioning/);
    expect(events.join('\n')).toMatch(/to 'Ready'/);
    // Commissioning ran on the real BMC over IPMI and MaaS powered the host off after it.
    await expectFree(op, host);
  });
});

describe('create instance', () => {
  it('single NIC: no bond, the NIC carries the instance MAC, two networks on the port', async () => {
    const id = await create('vm-single', single.hostname, ['tenant-a', 'tenant-b']);
    await expectRunning(op, id);
    expect(tl.lab.world.isRunning(single.hostname)).toBe(true);
  });

  it('bonded: 2, 3 and 4 ToR NICs become one active-backup bond with the instance MAC', async () => {
    const ids = await Promise.all([
      create('vm-two', two.hostname, ['tenant-a']),
      create('vm-three', three.hostname, ['tenant-b']),
      create('vm-four', four.hostname, ['tenant-c', 'tenant-a']),
      create('vm-new', unknownToMaas.hostname, ['tenant-d']),
    ]);
    for (const id of ids) await expectRunning(op, id);
  });

  it('a template whose image MaaS lacks fails the first step and touches nothing', async () => {
    await op.wb.store.templates.insert({ name: 'bionic', image: 'ubuntu/bionic' });
    const h = await addHost(op, tl, shape[2]!);
    const { instance, taskId } = await startCreate(op.wb, op.site.maas, {
      name: 'vm-bad-image',
      offering: offeringFor(shape[2]!),
      template: 'bionic',
      networks: ['tenant-a'],
      host: h.hostname,
    });
    const task = await op.wb.engine.wait(taskId);
    expect(task.state).toBe('failed');
    expect(task.steps[0]).toMatchObject({ state: 'failed' });
    expect(task.steps[0]!.error).toMatch(/MaaS has no boot image for template bionic \(ubuntu\/bionic\)/);
    expect(task.steps[0]!.error).toMatch(/ubuntu\/jammy/);
    expect(task.steps.slice(1).every((s) => s.state === 'pending')).toBe(true);
    await op.wb.engine.rollback(taskId);
    expect((await op.wb.engine.wait(taskId)).state).toBe('rolled-back');
    expect(op.wb.store.instances.get(instance.id)).toBeUndefined();
    await expectFree(op, h);
    await op.wb.store.hosts.remove(h.id);
  });
});

describe('networks', () => {
  it('attaches two extra networks and detaches them again', async () => {
    const id = instances.get('vm-two')!;
    const net = (n: string) => op.wb.store.networks.find((x) => x.name === n)!.id;
    for (const n of ['tenant-b', 'tenant-c']) {
      expectDone(await runTask(op, 'network.attach', { instanceId: id, networkId: net(n) }));
    }
    expect(op.wb.store.instances.get(id)!.networkIds).toHaveLength(3);
    const s = await expectRunning(op, id);
    expect(s.ports[0]).toMatchObject({ untagged: 200, tagged: [201, 202] });
    for (const n of ['tenant-b', 'tenant-c']) {
      expectDone(await runTask(op, 'network.detach', { instanceId: id, networkId: net(n) }));
    }
    const after = await expectRunning(op, id);
    expect(after.ports.every((p) => p.untagged === 200 && p.tagged.length === 0)).toBe(true);
  });

  it('refuses to detach the default network', async () => {
    const id = instances.get('vm-two')!;
    const def = op.wb.store.instances.get(id)!.networkIds[0]!;
    const task = await runTask(op, 'network.detach', { instanceId: id, networkId: def });
    expect(task.state).toBe('failed');
    expect(task.error).toMatch(/default network/);
    await expectRunning(op, id);
  });
});

describe('stop and start', () => {
  it('stop powers off only; start powers on only: MaaS stays Deployed, no deploy call', async () => {
    const id = instances.get('vm-three')!;
    const host = hosts.get(three.hostname)!;
    const deploy = vi.spyOn(op.site.maas, 'deploy');
    const release = vi.spyOn(op.site.maas, 'release');
    const before = (await maasEvents(op, host)).filter((e) => e.startsWith('Deploying')).length;
    expectDone(await runTask(op, 'instance.stop', { instanceId: id }));
    const stopped = await peerState(op, host);
    expect(stopped.power).toBe('off');
    expect(stopped.status).toBe(NODE_STATUS.DEPLOYED);
    expect(stopped.boot).toMatchObject({ device: 'disk', persistent: true });
    expect(op.wb.store.instances.get(id)!.state).toBe('stopped');
    // Ports keep the tenant VLANs while stopped.
    expect(stopped.ports.every((p) => p.untagged === 201)).toBe(true);
    expectDone(await runTask(op, 'instance.start', { instanceId: id }));
    await expectRunning(op, id);
    expect(deploy).not.toHaveBeenCalled();
    expect(release).not.toHaveBeenCalled();
    const afterEvents = (await maasEvents(op, host)).filter((e) => e.startsWith('Deploying')).length;
    expect(afterEvents).toBe(before);
    expect(tl.lab.world.isRunning(three.hostname)).toBe(true);
    deploy.mockRestore();
    release.mockRestore();
  });
});

describe('planner', () => {
  it('picks an exactly matching free host and never a busy one', async () => {
    const planned: Host[] = [];
    for (const h of shape.slice(0, 2)) planned.push(await addHost(op, tl, h));
    // Busy (vm-single runs on it) and of the same shape: never picked.
    expect(single.cpuCount).toBe(16);
    const sorted = [...planned].sort((a, b) => a.hostname.localeCompare(b.hostname));
    const got: string[] = [];
    for (const name of ['vm-p1', 'vm-p2']) {
      const { instance, host, taskId } = await startCreate(op.wb, op.site.maas, {
        name,
        offering: 'c16',
        template: 'jammy',
        networks: ['tenant-a'],
      });
      got.push(host.hostname);
      expectDone(await op.wb.engine.wait(taskId));
      instances.set(name, instance.id);
    }
    expect(got).toEqual(sorted.map((h) => h.hostname));
    await expect(
      startCreate(op.wb, op.site.maas, {
        name: 'vm-p3',
        offering: 'c16',
        template: 'jammy',
        networks: ['tenant-a'],
      }),
    ).rejects.toThrow(/no free host matches offering c16/);
    for (const name of ['vm-p1', 'vm-p2']) {
      expectDone(await runTask(op, 'instance.destroy', { instanceId: instances.get(name)! }));
      instances.delete(name);
    }
    for (const h of planned) await expectFree(op, h);
  });
});

describe('destroy', () => {
  it('each erase mode: power off, VLANs to PXE, boot PXE, release with that erase, NICs restored', async () => {
    const plan = [
      ['vm-single', 'full', single.hostname],
      ['vm-two', 'quick', two.hostname],
      ['vm-four', 'secure', four.hostname],
      ['vm-new', 'none', unknownToMaas.hostname],
    ] as const;
    for (const [name, mode, hostname] of plan) {
      const host = hosts.get(hostname)!;
      const seen = (await maasEvents(op, host)).length;
      op.wb.deps.settings.eraseMode = mode;
      const task = await runTask(op, 'instance.destroy', { instanceId: instances.get(name)! });
      expectDone(task);
      expect(task.steps.map((s) => s.title)).toContain(`Release with ${mode} disk erase and wait for Ready`);
      const events = (await maasEvents(op, host)).slice(seen).join('\n');
      expect(events).toMatch(/Releasing/);
      if (mode === 'none') {
        expect(events).not.toMatch(/Erasing disk/);
        // Without an erase the OS stays on the disk, as MaaS leaves it.
        expect(tl.lab.world.installedOs.has(hostname)).toBe(true);
      } else {
        expect(events).toMatch(new RegExp(`Erasing disk - Performing ${mode} erase on all disks`));
        expect(events).toMatch(/Disks erased/);
        expect(tl.lab.world.installedOs.has(hostname)).toBe(false);
      }
      await expectFree(op, host);
      instances.delete(name);
    }
  });
});

describe('remove host (CLI)', () => {
  it('is refused while an instance runs on the host; after destroy it leaves MaaS untouched', async () => {
    // The CLI's runner owns the store while it runs: hand it over, and take it back after.
    await op.close();
    const env = tl.env(op.storePath, { RACKPILOT_ERASE_MODE: 'quick', ...testRunMark() });
    const out: string[] = [];
    const io = {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
    };
    expect(await main(['host', 'rm', three.hostname], io, env)).toBe(1);
    expect(out.join('')).toMatch(new RegExp(`host ${three.hostname} runs instance vm-three`));
    expect(await main(['destroy', 'vm-three', '--confirm', three.hostname], io, env)).toBe(0);
    out.length = 0;
    expect(await main(['host', 'rm', three.hostname, '--json'], io, env)).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ removed: three.hostname });
    // --plan names the planner's host and every MaaS call, switch line and IPMI command; changes nothing.
    out.length = 0;
    const planArgs = ['deploy', 'vm-plan', '--offering', offeringFor(two), '--template', 'jammy'];
    expect(
      await main([...planArgs, '--network', 'tenant-a', '--network', 'tenant-b', '--plan'], io, env),
    ).toBe(0);
    const plan = out.join('');
    expect(plan).toMatch(new RegExp(`host ${two.hostname}, MAC 02:00:`));
    expect(plan).toMatch(/op=create_bond name=bond0 bond_mode=active-backup/);
    expect(plan).toMatch(/op=deploy distro_series=ubuntu\/jammy/);
    expect(plan).toMatch(/switch tor-r\d\d: /);
    expect(plan).toMatch(/Set System Boot Options param 5: boot disk/);
    expect(plan).toMatch(/\(plan only: nothing was changed\)/);
    expect(await main(['runner', 'stop'], io, env)).toBe(0);
    await until(() => runnerPid(op.storePath) === null, 'the runner to stop');
    op = await openOperator(tl, { storePath: op.storePath });
    expect(op.wb.store.instances.find((i) => i.name === 'vm-plan')).toBeUndefined();
    expect(op.wb.store.hosts.find((h) => h.hostname === three.hostname)).toBeUndefined();
    const m = await op.site.maas.readMachine(hosts.get(three.hostname)!.maasSystemId!);
    expect(m.status).toBe(NODE_STATUS.READY);
  }, 60_000);
});
