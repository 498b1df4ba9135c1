import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labTroubles, type LabTroubles } from '../../src/lab/troubles.ts';
import { troubleshootHandlers } from '../../src/runner/service/troubleshoot.ts';
import type { Handlers } from '../../src/runner/service/context.ts';
import { testCaller } from './harness.ts';
import { gatherDoctorFacts } from '../../src/runner/doctor/gather.ts';
import { diagnose } from '../../src/runner/doctor/diagnose.ts';
import type { Diagnosis } from '../../src/protocol/doctor.ts';
import type { Triage } from '../../src/protocol/doctor.ts';
import {
  hostRecord,
  openOperator,
  startTestLab,
  until,
  type Operator,
  type TestLab,
} from '../e2e/helpers.ts';

/**
 * Every cause reproduced on the lab: its MaaS logs the real event types and descriptions, curtin's
 * and cloud-init's real messages, and fails a stalled operation after its (short) node_timeout.
 * The doctor names each cause from the story; `doctor --all` lists them, most urgent first.
 */
let tl: TestLab;
let op: Operator;
let trouble: LabTroubles;
let h: Handlers;
const caller = testCaller;
let next = 0;

beforeAll(async () => {
  tl = await startTestLab({ hosts: 14, racks: 2, seed: 7, maas: { minStallTimeoutMs: 3000 } });
  op = await openOperator(tl, { ipmi: { timeoutMs: 150, retries: 1 }, settings: { pollMs: 50 } });
  for (const lh of tl.lab.spec.hosts) {
    const systemId = tl.lab.maas.machines.byHostname(lh.hostname)!.systemId;
    await op.wb.store.hosts.insert({ ...hostRecord(tl, lh), maasSystemId: systemId });
  }
  trouble = labTroubles(tl.lab);
  h = troubleshootHandlers({ site: op.site, wb: op.wb }, undefined);
}, 60_000);

afterAll(async () => {
  await op?.close();
  await tl?.close();
});

const host = () => tl.lab.spec.hosts[next++]!.hostname;
const sid = (hostname: string) => tl.lab.maas.machines.byHostname(hostname)!.systemId;
const doctor = async (hostname: string) => (await h['host.doctor']!({ host: hostname }, caller)) as Diagnosis;

async function deploy(hostname: string) {
  await op.site.maas.allocate(sid(hostname));
  await op.site.maas.deploy(sid(hostname), { distroSeries: 'ubuntu/jammy' });
}

async function doctorUntil(hostname: string, cause: string): Promise<Diagnosis> {
  let d: Diagnosis | undefined;
  await until(
    async () => {
      d = await doctor(hostname);
      return d.cause?.id === cause;
    },
    `the doctor to name ${cause} for ${hostname} (last: ${d?.cause?.id ?? 'none'}: ${d?.summary ?? ''})`,
    30_000,
  );
  return d!;
}

const named: Record<string, string> = {};

describe('each cause on the lab, from its MaaS story', () => {
  it('boot loader, then no kernel: stopped at the loader, MaaS timed it out', async () => {
    const x = host();
    trouble.noKernel(x);
    await deploy(x);
    const d = await doctorUntil(x, 'no-kernel');
    expect(d.cause!.stage).toBe('boot loader over TFTP/HTTP');
    expect(d.cause!.evidence.join('\n')).toMatch(/TFTP Request - (\/grubx64\.efi|\/lpxelinux\.0)/);
    expect(d.timeline.failure?.timedOut).toBe(true);
    named[x] = 'no-kernel';
  }, 60_000);

  it('ephemeral up, then no installer', async () => {
    const x = host();
    trouble.noInstaller(x);
    await deploy(x);
    const d = await doctorUntil(x, 'no-installer');
    expect(d.timeline.stages.at(-1)!.evidence).toMatch(/squashfs|Loading ephemeral/);
    named[x] = 'no-installer';
  }, 60_000);

  it('curtin fails: the stage and the first error line of its log', async () => {
    const x = host();
    trouble.curtinFails(x);
    await deploy(x);
    const d = await doctorUntil(x, 'curtin-failed');
    expect(d.cause!.stage).toBe('curtin stage partitioning (configuring storage)');
    expect(d.cause!.sentence).toMatch(/Failed to find device for serial/);
    const log = (await h['host.doctor']!({ host: x, log: true }, caller)) as Diagnosis;
    expect(log.installLog!.join('\n')).toMatch(/^curtin: Installation started/);
    expect(log.installLog!.at(-1)).toBe('finish: cmd-install: FAIL: curtin command install');
    named[x] = 'curtin-failed';
  }, 60_000);

  it('installed and rebooted, then never came back', async () => {
    const x = host();
    trouble.neverComesBack(x);
    await deploy(x);
    const d = await doctorUntil(x, 'never-came-back');
    expect(d.timeline.stages.map((s) => s.id)).toContain('rebooting');
    expect(d.fixes[0]!.id).toBe('disk-boot');
    named[x] = 'never-came-back';
  }, 60_000);

  it('Deployed, then cloud-init fails the user data', async () => {
    const x = host();
    trouble.userDataFails(x);
    await deploy(x);
    const d = await doctorUntil(x, 'cloud-init-failed');
    expect(d.statusName).toBe('Deployed');
    expect(d.cause!.sentence).toMatch(/user data \(module scripts_user\)/);
    named[x] = 'cloud-init-failed';
  }, 60_000);

  it('the BMC refuses MaaS: MaaS cannot power it, and the BMC refuses rackpilot too', async () => {
    const x = host();
    trouble.bmcPasswordChanged(x);
    await deploy(x);
    const d = await doctorUntil(x, 'bmc-auth');
    expect(d.cause!.sentence).toMatch(/^MaaS cannot power .*: "Failed to power on node - /);
    named[x] = 'bmc-auth';
  }, 60_000);

  it("an operator's Broken, verbatim, with mark fixed", async () => {
    const x = host();
    await op.site.maas.markBroken(sid(x), 'PSU 2 failed; waiting for a replacement');
    const d = await doctorUntil(x, 'operator-marked');
    expect(d.cause!.sentence).toMatch(/: "PSU 2 failed; waiting for a replacement"/);
    expect(d.fixes.map((f) => f.id)).toEqual(['mark-fixed']);
    named[x] = 'operator-marked';
  }, 60_000);

  it('rescue mode, read ten hours later: stuck in rescue mode', async () => {
    const x = host();
    trouble.rescueMode(x);
    await until(() => tl.lab.maas.machines.byHostname(x)!.status === 16, `${x} in rescue mode`, 30_000);
    const tctx = { site: op.site, wb: op.wb };
    const facts = await gatherDoctorFacts(tctx, x);
    expect(diagnose(facts).cause).toBeNull();
    const d = diagnose({ ...facts, now: facts.now + 10 * 3600_000 });
    expect(d.cause?.id).toBe('rescue-stuck');
  }, 60_000);

  it('powered on, never network-booted (network boot off in the firmware): no-pxe from the timeline', async () => {
    const x = host();
    trouble.netbootDisabled(x);
    await deploy(x);
    await doctorUntil(x, 'no-pxe');
    // Reset is offered once MaaS has failed the stalled deploy (its short node_timeout here): on a
    // quiet machine the doctor names the cause before that.
    let d = await doctor(x);
    await until(
      async () => (d = await doctor(x)).fixes.some((f) => f.id === 'reset-failed'),
      `MaaS to fail ${x}'s deploy on its node_timeout`,
      30_000,
    );
    expect(d.cause?.id).toBe('no-pxe');
    expect(d.cause!.stage).toBe('powered on');
    expect(d.cause!.sentence).toMatch(
      new RegExp(`^${x} never network-booted after power-on: stopped after "powered on"`),
    );
    expect(d.cause!.evidence.join('\n')).toMatch(/Node powered on[\s\S]*no "PXE Request" event after it/);
    expect(d.timeline.stages.map((st) => st.id)).not.toContain('pxe');
    // The ports were read on the PXE VLAN: no port fix, a pointer at the firmware instead.
    expect(d.fixes.map((f) => f.id)).toEqual(['pxe-boot', 'reset-failed']);
    expect(d.cause!.hints.join('\n')).toMatch(
      /ToR ports are on the PXE VLAN: look at the firmware's network boot/,
    );
    named[x] = 'no-pxe';
  }, 60_000);

  it('no switch or BMC answers the jump host: the timeline alone concludes, and says what it could not check', async () => {
    const x = host();
    // The port goes to a tenant VLAN and the BMC stops answering as MaaS powers the host on; the
    // switches refuse rackpilot's logins: no live check can explain it, MaaS's story still does.
    trouble.tenantVlanDuringDeploy(x, 201);
    trouble.bmcUnreachable(x, { duringDeploy: true });
    tl.lab.switches.faults.refuseLogin();
    try {
      await deploy(x);
      const d = await doctorUntil(x, 'no-pxe');
      expect(d.unchecked).toEqual(
        expect.arrayContaining(['BMC power and boot device', 'ToR ports and VLANs']),
      );
      expect(d.cause!.sentence).toMatch(/never network-booted after power-on/);
      expect(d.timeline.failure?.timedOut).toBe(true);
    } finally {
      tl.lab.switches.faults.refuseLogin('*', false);
      tl.lab.bmcs.faults.clear(x);
    }
  }, 60_000);

  it("reads MaaS's machine only once its events are in: the status is never older than the story", async () => {
    // Read the other way round, a deploy that ended between the two reads showed as Deploying
    // beside the cloud-init failure MaaS logged after Deployed.
    const x = host();
    await deploy(x);
    const maas = op.site.maas;
    const { readMachine, queryEvents } = maas;
    const seen: string[] = [];
    maas.readMachine = (...a: Parameters<typeof readMachine>) => {
      seen.push('machine asked');
      return readMachine.apply(maas, a);
    };
    maas.queryEvents = async (...a: Parameters<typeof queryEvents>) => {
      const page = await queryEvents.apply(maas, a);
      seen.push('events answered');
      return page;
    };
    try {
      await gatherDoctorFacts({ site: op.site, wb: op.wb }, x);
    } finally {
      maas.readMachine = readMachine;
      maas.queryEvents = queryEvents;
    }
    expect(seen).toContain('events answered');
    expect(seen.filter((s) => s === 'machine asked')).toHaveLength(1);
    expect(seen.at(-1)).toBe('machine asked');
  }, 60_000);

  it('a healthy deployment gets no cause', async () => {
    const x = host();
    await deploy(x);
    await until(() => tl.lab.maas.machines.byHostname(x)!.status === 6, `${x} deployed`, 30_000);
    const d = await doctor(x);
    expect(d.cause).toBeNull();
    expect(d.timeline.outcome).toBe('done');
    expect(d.timeline.stages.at(-1)!.id).toBe('deployed');
  }, 60_000);

  it('doctor --all lists every host in trouble with its cause, most urgent first', async () => {
    const t = (await h['site.triage']!({}, caller)) as Triage;
    for (const [x, cause] of Object.entries(named)) {
      const row = t.rows.find((r) => r.hostname === x);
      expect(
        row,
        `${x} in the triage (status ${tl.lab.maas.machines.byHostname(x)!.status}, ${JSON.stringify(named)})`,
      ).toBeDefined();
      // The triage reads no BMC: the refusing BMC shows as MaaS's own failure to power it.
      expect(row!.cause?.id).toBe(cause === 'bmc-auth' ? 'maas-cannot-power' : cause);
    }
    const urgencies = t.rows.map((r) => r.urgency);
    expect(urgencies).toEqual([...urgencies].sort((a, b) => a - b));
  }, 60_000);
});
