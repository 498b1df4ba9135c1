import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientCall, deployConfirmed } from '../confirmed.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { OWNER_DATA_TASK } from '../../src/runner/workflows/instance-create.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { skipWithoutEtcd, startEtcd, type TestEtcd } from './etcd-server.ts';
import { offeringsByHost, seedSite, settled, startJumpHost, until, type JumpHost } from './helpers.ts';

/**
 * Two jump hosts, each with its own runner and state directory, on one site (one lab) through one
 * real etcd. Each is sent 50 deploys at once for the same 60 hosts: every deploy ends done or is
 * refused with a reason, no host is allocated twice (the site's records, MaaS's owner_data), no
 * two CLI sessions overlap on any lab switch, and both runners list every task.
 */
const skip = skipWithoutEtcd();

const HOSTS = 60;
const PER_RUNNER = 50;

let etcd: TestEtcd;
let tl: TestLab;
let a: JumpHost;
let b: JumpHost;

beforeAll(async () => {
  if (skip) return;
  etcd = await startEtcd();
  tl = await startTestLab({ hosts: HOSTS, racks: 3, seed: 12 });
  a = await startJumpHost(tl, etcd, '/rp-two/', 'a');
  b = await startJumpHost(tl, etcd, '/rp-two/', 'b');
  await seedSite(a, tl);
  await until(
    'b sees every host',
    () => b.runner.wb.store.hosts.list().filter((h) => h.maasSystemId).length === HOSTS,
  );
}, 180_000);

afterAll(async () => {
  await a?.stop().catch(() => undefined);
  await b?.stop().catch(() => undefined);
  await tl?.close();
  await etcd?.close();
});

describe.skipIf(skip)('two jump hosts, one etcd', () => {
  it('50 deploys at each of two runners for the same 60 hosts: done or refused, no host twice, no overlapping switch sessions', async () => {
    const offerings = offeringsByHost(tl);
    const requests = (side: string) =>
      Array.from({ length: PER_RUNNER }, (_, i) => ({
        name: `${side}${String(i).padStart(2, '0')}`,
        offering: offerings[i % offerings.length]!,
        template: 'jammy',
        networks: ['tenant-a'],
      }));
    const send = (jh: JumpHost, r: ReturnType<typeof requests>[number]) =>
      deployConfirmed(clientCall(jh.client), r).then(
        (ok) => ({ ok: true as const, ...ok }),
        (err: Error) => ({ ok: false as const, error: err.message }),
      );
    // Interleaved, all at once: both runners pick from the same hosts at the same moments.
    const ra = requests('a');
    const rb = requests('b');
    const all = await Promise.all(ra.flatMap((r, i) => [send(a, r), send(b, rb[i]!)]));
    const started = all.filter((r) => r.ok);
    const refused = all.filter((r) => !r.ok);
    // A refusal names its reason (no free host of that shape, or the host another jump host took).
    // Each deploy is planned, then started with its plan's digest: a host the other jump host took
    // between the two is refused as taken, or as a plan that changed since it was confirmed.
    for (const r of refused)
      expect(r.error).toMatch(/no free|no host|busy|already used|Ready|is taken|plan changed/i);
    const reasons = new Set(refused.map((r) => r.error.replace(/vm\w+|[ab]\d\d|t-\w+|h-\w+/g, '…')));
    expect(started.length).toBeGreaterThan(0);
    expect(started.length).toBeLessThanOrEqual(HOSTS);

    const ids = started.map((s) => s.taskId);
    await until(
      'every deploy settled at both runners',
      () =>
        [a, b].every((jh) => {
          const tasks = ids.map((id) => jh.runner.wb.engine.coordinator.task(id));
          return tasks.every((t) => t !== undefined) && settled(tasks as never);
        }),
      240_000,
    );
    const tasks = ids.map((id) => a.runner.wb.engine.get(id)!);
    const notDone = tasks.filter((t) => t.state !== 'done');
    expect(notDone.map((t) => `${t.id} ${t.state}: ${t.error}`)).toEqual([]);

    // Every task listed from both runners.
    const listA = new Set((await a.client.call('tasks.list', { all: true })).map((t) => t.id));
    const listB = new Set((await b.client.call('tasks.list', { all: true })).map((t) => t.id));
    for (const id of ids) {
      expect(listA.has(id)).toBe(true);
      expect(listB.has(id)).toBe(true);
    }

    // No host twice: in the shared records, and in MaaS (each Deployed machine names one task).
    const hostIds = started.map((s) => s.host);
    expect(new Set(hostIds).size).toBe(hostIds.length);
    for (const jh of [a, b]) {
      const inst = jh.runner.wb.store.instances.list();
      expect(new Set(inst.map((i) => i.hostId)).size).toBe(inst.length);
    }
    const machines = await a.runner.site.maas.listMachines();
    const deployed = machines.filter((m) => m.status === NODE_STATUS.DEPLOYED);
    const byTask = new Map<string, number>();
    for (const m of deployed) {
      const t = m.owner_data?.[OWNER_DATA_TASK];
      if (t) byTask.set(t, (byTask.get(t) ?? 0) + 1);
    }
    for (const id of ids) expect(byTask.get(id)).toBe(1);

    // One CLI session at a time on every switch, whichever runner sent it.
    for (const s of tl.lab.spec.switches) expect(tl.lab.switches.shells(s.name).peak).toBe(1);

    console.log(
      `two runners: ${started.length} deploys done, ${refused.length} refused (${HOSTS} hosts); ` +
        `from a: ${started.filter((s) => s.instance.startsWith('a')).length}, from b: ${started.filter((s) => s.instance.startsWith('b')).length}; ` +
        `refusals: ${[...reasons].join(' | ')}`,
    );
    const status = await b.client.call('runner.status', {});
    expect(status.coordination).toMatchObject({ backend: 'etcd', available: true });
    expect(status.coordination!.runners.map((r) => r.owner).sort()).toEqual(
      [a.runner.wb.etcd!.owner, b.runner.wb.etcd!.owner].sort(),
    );
  }, 300_000);
});
