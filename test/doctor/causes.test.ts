import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployConfirmed, planDigest } from '../confirmed.ts';
import { labTroubles, type LabTroubles } from '../../src/lab/troubles.ts';
import type { LabHost } from '../../src/lab/spec.ts';
import type { Handlers } from '../../src/runner/service/context.ts';
import type { BmcPowerSweep } from '../../src/runner/power-sweep.ts';
import type { Diagnosis, FixId, InspectNode } from '../../src/protocol/doctor.ts';
import { offeringFor, until, type Operator, type TestLab } from '../e2e/helpers.ts';
import { handlersCall, openTroubleshootBench, testCaller, type TroubleshootBench } from './harness.ts';

/**
 * One test per cause of a stuck deployment: the lab is put in that state, the doctor (or the
 * inspection, or the cabling check) names the cause first with its evidence, and the fix it
 * proposes, run as a task through the runner's handlers, brings the host back.
 */
let tl: TestLab;
let op: Operator;
let trouble: LabTroubles;
let h: Handlers;
let tasks: Handlers;
let sweep: BmcPowerSweep;
let bench: TroubleshootBench;
const caller = testCaller;
const used = new Set<string>();

beforeAll(async () => {
  // MaaS's node_timeout far away: the doctor runs while the deploy is stuck, not failed by timeout.
  bench = await openTroubleshootBench(
    { hosts: 16, racks: 2, seed: 5, maas: { minStallTimeoutMs: 600_000 } },
    { ipmi: { timeoutMs: 150, retries: 1 }, settings: { pollMs: 50 } },
  );
  ({ tl, op, h, tasks, sweep } = bench);
  trouble = labTroubles(tl.lab);
}, 60_000);

afterAll(async () => {
  await bench?.close();
});

function pick(pred: (x: LabHost) => boolean = (x) => x.nics.length >= 2): LabHost {
  const x = tl.lab.spec.hosts.find((y) => pred(y) && !used.has(y.hostname));
  if (!x) throw new Error('no free lab host');
  used.add(x.hostname);
  return x;
}

async function deploy(x: LabHost): Promise<string> {
  const r = await deployConfirmed(handlersCall(tasks), {
    name: `vm-${x.hostname}`,
    offering: offeringFor(x),
    template: 'jammy',
    networks: ['tenant-a'],
    host: x.hostname,
  });
  return r.taskId;
}

const doctor = async (x: LabHost) => (await h['host.doctor']!({ host: x.hostname }, caller)) as Diagnosis;

async function doctorUntil(
  x: LabHost,
  cause: string,
  also: (d: Diagnosis) => boolean = () => true,
): Promise<Diagnosis> {
  let d: Diagnosis | undefined;
  await until(
    async () => {
      d = await doctor(x);
      return d.cause?.id === cause && also(d);
    },
    `the doctor to name ${cause} for ${x.hostname} (last: ${d?.cause?.id ?? 'none'})`,
    30_000,
  );
  return d!;
}

async function fix(x: LabHost, d: Diagnosis, id: string) {
  const f = d.fixes.find((y) => y.id === id);
  expect(f, `fix ${id} among ${d.fixes.map((y) => y.id).join(', ')}`).toBeDefined();
  const req = { host: x.hostname, fix: id as FixId, ...(f!.taskId && { taskId: f!.taskId }) };
  const plan = await planDigest(handlersCall(tasks), { action: 'fix', ...req });
  const r = (await h['host.fix']!({ ...req, plan }, caller)) as { taskId: string };
  return op.wb.engine.wait(r.taskId);
}

async function expectDeployed(x: LabHost, taskId: string) {
  const t = await op.wb.engine.wait(taskId);
  expect(t.state, `${t.kind}: ${t.error ?? ''}`).toBe('done');
  expect(
    (await op.site.maas.readMachine(tl.lab.maas.machines.byHostname(x.hostname)!.systemId)).status_name,
  ).toBe('Deployed');
}

const stepOf = (id: string) => op.wb.store.tasks.get(id);

describe('the doctor on a stuck deployment', () => {
  it('port left on a tenant VLAN: names it, ports back to PXE, the deploy reaches Deployed', async () => {
    const x = pick();
    trouble.tenantVlanDuringDeploy(x.hostname, 201);
    const deployTask = await deploy(x);
    const d = await doctorUntil(x, 'tenant-vlan');
    expect(d.statusName).toBe('Deploying');
    expect(d.cause!.sentence).toMatch(/untagged 201/);
    expect(d.checks.find((c) => c.id.startsWith('port:') && c.state === 'fail')!.evidence.join('\n')).toMatch(
      /untagged 201/,
    );
    expect(d.timer?.timeoutS).toBe(1800);
    expect(d.fixes[0]!.id).toBe('ports-pxe');
    expect((await fix(x, d, 'ports-pxe')).state).toBe('done');
    await expectDeployed(x, deployTask);
  }, 90_000);

  it('boot device forced to disk: names it, PXE boot fix, the deploy reaches Deployed', async () => {
    const x = pick();
    trouble.bootDiskDuringDeploy(x.hostname);
    const deployTask = await deploy(x);
    const d = await doctorUntil(x, 'boot-disk');
    expect(d.checks.find((c) => c.id === 'boot')!.evidence[0]).toMatch(/override disk, persistent/);
    expect(d.fixes[0]!.id).toBe('pxe-boot');
    expect((await fix(x, d, 'pxe-boot')).state).toBe('done');
    await expectDeployed(x, deployTask);
  }, 90_000);

  it('host powered off out of band mid-deploy: names it, PXE boot + power on, Deployed', async () => {
    const x = pick();
    trouble.powerOffDuringDeploy(x.hostname);
    const deployTask = await deploy(x);
    const d = await doctorUntil(x, 'powered-off');
    expect(d.checks.find((c) => c.id === 'power')!.evidence.join('\n')).toMatch(/BMC: power off/);
    // MaaS logs "Node powered off" only for a power action of its own (power_change_success): its
    // power poll records a power button's change without an event, so the BMC is the witness.
    expect(d.events.some((e) => e.type === 'Node powered off')).toBe(false);
    expect(d.fixes[0]!.id).toBe('pxe-boot');
    expect((await fix(x, d, 'pxe-boot')).state).toBe('done');
    await expectDeployed(x, deployTask);
  }, 90_000);

  it('BMC unreachable: names it, and once the BMC answers the resumed deploy finishes', async () => {
    const x = pick();
    trouble.bmcUnreachable(x.hostname, { duringDeploy: true });
    const deployTask = await deploy(x);
    await until(() => stepOf(deployTask)?.state === 'failed', 'the deploy task to fail on the BMC', 60_000);
    const d = await doctorUntil(x, 'bmc-unreachable');
    expect(d.checks.find((c) => c.id === 'bmc')!.state).toBe('fail');
    expect(d.fixes[0]).toMatchObject({ id: 'resume', taskId: deployTask });
    trouble.clear(x.hostname);
    expect((await fix(x, d, 'resume')).state).toBe('done');
    await expectDeployed(x, deployTask);
  }, 120_000);

  it('BMC password changed: names it (RAKP refused), and after it is set back the resumed deploy finishes', async () => {
    const x = pick();
    trouble.bmcPasswordChanged(x.hostname, { duringDeploy: true });
    const deployTask = await deploy(x);
    await until(() => stepOf(deployTask)?.state === 'failed', 'the deploy task to fail on the BMC', 60_000);
    const d = await doctorUntil(x, 'bmc-auth');
    expect(d.checks.find((c) => c.id === 'bmc')!.evidence[0]).toMatch(/refused the credentials/);
    trouble.clear(x.hostname);
    expect((await fix(x, d, 'resume')).state).toBe('done');
    await expectDeployed(x, deployTask);
  }, 120_000);

  it("curtin failure: names it with curtin's output, reset to Ready and resume: Deployed", async () => {
    const x = pick();
    trouble.curtinFails(x.hostname);
    const deployTask = await deploy(x);
    await until(() => stepOf(deployTask)?.state === 'failed', 'the deploy task to fail', 60_000);
    const d = await doctorUntil(x, 'curtin-failed');
    expect(d.statusName).toBe('Failed deployment');
    expect(d.curtin?.status).toBe('Failed');
    expect(d.curtin!.tail.join('\n')).toMatch(/FAIL: configuring storage/);
    expect(d.cause!.sentence).toMatch(/curtin/);
    expect(d.fixes.map((f) => f.id)).toEqual(['reset-failed', 'resume']);
    trouble.clear(x.hostname);
    expect((await fix(x, d, 'reset-failed')).state).toBe('done');
    expect((await fix(x, d, 'resume')).state).toBe('done');
    await expectDeployed(x, deployTask);
  }, 120_000);
});

describe('cabling and inspection', () => {
  it('a NIC cabled to another port: the cabling check names the port; recabled, it reads ok', async () => {
    const x = pick();
    const nic = x.nics[0]!;
    const rackName = op.site.topology.rack.racks.find((r) => r.switch.name === nic.switch)!.name ?? 'rack1';
    const spare = tl.lab.spec.switches.find((s) => s.name === nic.switch)!.ports.at(-1)!;
    trouble.nicOnAnotherPort(nic.mac, spare);
    const c = (await h['rack.cabling']!({ rack: rackName }, caller)) as {
      nics: { mac: string; state: string; seenOn: string | null }[];
      switches: { entries: number }[];
    };
    expect(c.switches).toHaveLength(1);
    expect(c.nics.find((n) => n.mac === nic.mac)).toMatchObject({ state: 'other-port', seenOn: spare });
    expect(c.nics.filter((n) => n.state === 'other-port')).toHaveLength(1);
    trouble.clear();
    const again = (await h['rack.cabling']!({ rack: rackName }, caller)) as {
      nics: { mac: string; state: string }[];
    };
    expect(again.nics.find((n) => n.mac === nic.mac)!.state).toBe('ok');
  }, 60_000);

  it('a bond created as balance-rr in MaaS: drift on the mode; the reconcile task makes it read clean', async () => {
    const x = pick();
    trouble.bondBalanceRr(x.hostname);
    const i = (await h['host.inspect']!({ host: x.hostname }, caller)) as {
      drift: string[];
      plan: { step: string; actions: string[] }[];
      tree: InspectNode;
    };
    expect(i.drift[0]).toMatch(/bond0: bond_mode balance-rr in MaaS; expected active-backup/);
    const bond = i.tree.children.find((c) => c.kind === 'bond')!;
    expect(bond.values['mode']).toMatchObject({ actual: 'balance-rr', drift: true });
    // Both NICs under the bond, the one whose MAC the bond carries included, and none beside it.
    expect(bond.children.map((c) => c.label)).toEqual(x.nics.map((n, k) => `eth${k} ${n.mac}`));
    expect(i.tree.children.filter((c) => c.kind === 'nic')).toEqual([]);
    expect(i.plan.flatMap((s) => s.actions).join('\n')).toMatch(/bond_mode=active-backup/);
    const plan = await planDigest(handlersCall(tasks), { action: 'reconcile', host: x.hostname });
    const r = (await h['host.reconcile']!({ host: x.hostname, plan }, caller)) as { taskId: string };
    expect((await op.wb.engine.wait(r.taskId)).state).toBe('done');
    const after = (await h['host.inspect']!({ host: x.hostname }, caller)) as { drift: string[] };
    expect(after.drift).toEqual([]);
  }, 60_000);
});

describe('power from the BMCs', () => {
  it('follows the BMC within one sweep when the host is powered off out of band, and flags it', async () => {
    const x = pick(() => true);
    const rec = op.wb.store.hosts.find((r) => r.hostname === x.hostname)!;
    // On through rackpilot: our own command, not flagged.
    const on = await op.wb.engine.start(
      'host.power',
      { hostId: rec.id, hostname: x.hostname },
      { hostId: rec.id, action: 'on' },
    );
    expect((await op.wb.engine.wait(on)).state).toBe('done');
    await sweep.sweep();
    expect(sweep.snapshot().get(x.hostname)).toMatchObject({ power: 'on', answer: 'ok' });
    const flagged: string[] = [];
    const off = sweep.onChange((c) => c.outOfBand && flagged.push(c.hostname));
    tl.lab.world.setPower(x.hostname, 'off', 'power button');
    await sweep.sweep();
    off();
    const p = sweep.snapshot().get(x.hostname)!;
    expect(p.power).toBe('off');
    expect(p.outOfBand).toMatchObject({ from: 'on', to: 'off' });
    expect(flagged).toEqual([x.hostname]);
    const snap = (await h['power.snapshot']!({}, caller)) as { hosts: { hostname: string; power: string }[] };
    expect(snap.hosts.find((y) => y.hostname === x.hostname)!.power).toBe('off');
  }, 60_000);
});
