import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdSite } from '../../src/runner/coord/etcd-site.ts';
import { EtcdConflictError, EtcdStoreRemote } from '../../src/runner/coord/etcd-store.ts';
import { EtcdCoordinator } from '../../src/runner/tasks/etcd-coordinator.ts';
import { openStore, type Store } from '../../src/runner/store/store.ts';
import type { Task } from '../../src/protocol/records.ts';
import { skipWithoutEtcd, startEtcd, type TestEtcd } from './etcd-server.ts';

/**
 * The etcd backend of the store and the coordinator, two "runners" in one process on one real
 * etcd: records follow each other, unique values and planner picks are transactions, claims and
 * step locks exclude each other, a runner whose lease ends has its tasks interrupted for the other.
 */
const skip = skipWithoutEtcd();

let etcd: TestEtcd;
const opened: { close(): Promise<void> }[] = [];

interface Side {
  site: EtcdSite;
  store: Store;
  coord: EtcdCoordinator;
  close(): Promise<void>;
  /** Dies without giving its lease back (a jump host switched off). */
  die(): Promise<void>;
}

async function side(prefix: string, ttl = 2): Promise<Side> {
  const site = await EtcdSite.open({ endpoints: [etcd.endpoint], prefix, ttlSeconds: ttl });
  const remote = new EtcdStoreRemote(site, 20);
  const store = await openStore(join(mkdtempSync(join(tmpdir(), 'rp-etcd-store-')), 'store.json'), {
    remote,
  });
  const coord = new EtcdCoordinator(store, site, remote);
  const s: Side = {
    site,
    store,
    coord,
    close: async () => {
      coord.close();
      await store.close();
      await site.close();
    },
    die: async () => {
      coord.close();
      (site as unknown as { closed: boolean }).closed = true;
      site.client.close();
    },
  };
  opened.push(s);
  return s;
}

const host = (n: number) => ({
  hostname: `h${n}`,
  mac: `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`,
  macs: [`52:54:00:00:00:${n.toString(16).padStart(2, '0')}`],
  ipmi: { address: '127.0.0.1', port: 6230 + n, username: 'admin', password: 'pw' },
  cpuCores: 16,
  cpuMhz: 2400,
  memoryMb: 65536,
});

const until = async (what: string, ok: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

function task(id: string, hostId: string): Task {
  const now = new Date().toISOString();
  return {
    id,
    kind: 'test',
    target: { hostId },
    params: null,
    state: 'pending',
    steps: [{ title: 'one', state: 'pending', attempts: 0 }],
    log: [],
    createdAt: now,
    updatedAt: now,
  };
}

beforeAll(async () => {
  if (!skip) etcd = await startEtcd();
}, 30_000);

afterAll(async () => {
  for (const o of opened) await o.close().catch(() => undefined);
  await etcd?.close();
});

describe.skipIf(skip)('etcd store and coordinator', () => {
  it('records written at one runner appear at the other; a unique value taken at once by both goes to one', async () => {
    const a = await side('/t1/');
    const b = await side('/t1/');
    const h = await a.store.hosts.insert(host(1));
    await until('b sees h1', () => b.store.hosts.peekBy('hostname', 'h1') !== undefined);
    expect(b.store.hosts.get(h.id)!.ipmi.address).toBe('127.0.0.1');
    const results = await Promise.allSettled([a.store.hosts.insert(host(2)), b.store.hosts.insert(host(2))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(failed.reason).toBeInstanceOf(EtcdConflictError);
    expect(String(failed.reason.message)).toMatch(/hostname h2 is already used/);
    await until('both see one h2', () =>
      [a, b].every((s) => s.store.hosts.list().filter((x) => x.hostname === 'h2').length === 1),
    );
    // An instance per host: two runners placing an instance on the same host, one wins.
    const inst = (name: string, mac: string) => ({
      name,
      hostId: h.id,
      offeringId: 'off-1',
      templateId: 'tpl-1',
      networkIds: ['net-1'],
      mac,
      state: 'creating' as const,
    });
    const picks = await Promise.allSettled([
      a.store.instances.insert(inst('vm-a', '02:00:00:00:00:01')),
      b.store.instances.insert(inst('vm-b', '02:00:00:00:00:02')),
    ]);
    expect(picks.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    await until('both see one instance', () => [a, b].every((s) => s.store.instances.list().length === 1));
  });

  it('a watch etcd cancels (its revision compacted) is replaced after a fresh read of the prefix', async () => {
    const a = await side('/t4/');
    const b = await side('/t4/');
    const h = await b.store.hosts.insert(host(5));
    await until('a sees h5', () => a.store.hosts.get(h.id) !== undefined);
    const watcher = (a.site as unknown as { watcher: { emit(e: string, err: Error): void } }).watcher;
    // What etcd sends when the watch's revision was compacted, while B changes the records.
    await b.store.hosts.remove(h.id);
    const h6 = await b.store.hosts.insert(host(6));
    watcher.emit('error', new Error('Watcher canceled: mvcc: required revision has been compacted'));
    await until(
      "a has B's changes",
      () => a.store.hosts.get(h.id) === undefined && a.store.hosts.get(h6.id) !== undefined,
    );
    const h7 = await b.store.hosts.insert(host(7));
    await until('a follows again', () => a.store.hosts.get(h7.id) !== undefined);
  });

  it('claims exclude each other across runners; a runner whose lease ends has its tasks interrupted', async () => {
    const a = await side('/t2/', 1);
    const b = await side('/t2/', 1);
    const h = await a.store.hosts.insert(host(3));
    await until('b sees the host', () => b.store.hosts.get(h.id) !== undefined);
    const keys = a.coord.keysFor({ hostId: h.id });
    const ca = await a.coord.claim({ taskId: 't-aaaa0001', kind: 'test', keys });
    expect(ca.ok).toBe(true);
    await a.coord.insertTask(task('t-aaaa0001', h.id));
    await a.coord.mutateTask('t-aaaa0001', (t) => (t.state = 'running'));
    const cb = await b.coord.claim({
      taskId: 't-bbbb0001',
      kind: 'test',
      keys: b.coord.keysFor({ hostId: h.id }),
    });
    expect(cb.ok).toBe(false);
    if (!cb.ok) expect(cb.holder).toMatchObject({ taskId: 't-aaaa0001', owner: a.site.owner });
    await until('b lists the task running', () => b.coord.task('t-aaaa0001')?.state === 'running');
    // Step locks: one holder at a time across runners.
    const never = new AbortController().signal;
    const unlockA = await a.coord.lock(['switch:tor-r01'], 't-aaaa0001', never);
    let bGot = false;
    const bLock = b.coord.lock(['switch:tor-r01'], 't-cccc0001', never).then((u) => ((bGot = true), u));
    await new Promise((r) => setTimeout(r, 300));
    expect(bGot).toBe(false);
    await unlockA();
    const unlockB = await bLock;
    await unlockB();
    // A dies: after its lease (1 s) B marks its task interrupted, and may then take the host.
    const lost = ca.ok ? ca.claim.lost : never;
    const died = Date.now();
    await a.die();
    await until(
      'b sees the task interrupted',
      () => b.coord.task('t-aaaa0001')?.state === 'interrupted',
      8_000,
    );
    expect(Date.now() - died).toBeLessThan(1_000 * 2 + 2_000);
    expect(b.coord.task('t-aaaa0001')!.error).toMatch(/etcd lease ended/);
    expect(lost.aborted).toBe(false); // A is dead: nobody there to tell
    const again = await b.coord.claim({
      taskId: 't-aaaa0001',
      kind: 'test',
      keys: b.coord.keysFor({ hostId: h.id }),
    });
    expect(again.ok).toBe(true);
    if (again.ok) await b.coord.release(again.claim);
  });

  it('a forced start hands the host back to the task it took it from, while that task is active', async () => {
    const a = await side('/t6/', 2);
    const b = await side('/t6/', 2);
    const h = await a.store.hosts.insert(host(9));
    await until('b sees the host', () => b.store.hosts.get(h.id) !== undefined);
    const keys = a.coord.keysFor({ hostId: h.id });
    const ca = await a.coord.claim({ taskId: 't-aaaa0006', kind: 'test', keys });
    if (!ca.ok) throw new Error('claim refused');
    await until('b sees the claim', () => b.coord.holderOf(keys)?.taskId === 't-aaaa0006');
    const forced = await b.coord.claim({ taskId: 't-bbbb0006', kind: 'test', keys, force: true });
    if (!forced.ok) throw new Error('forced claim refused');
    expect(forced.displaced.map((d) => d.taskId)).toEqual(['t-aaaa0006']);
    await until('a sees the forced task', () => a.coord.holderOf(keys)?.taskId === 't-bbbb0006');
    // The forced task ends: the host is the first task's again, on both runners, with A's lease.
    await b.coord.release(forced.claim);
    expect(b.coord.holderOf(keys)?.taskId).toBe('t-aaaa0006');
    await until('a sees its claim back', () => a.coord.holderOf(keys)?.taskId === 't-aaaa0006');
    const refused = await b.coord.claim({ taskId: 't-cccc0006', kind: 'test', keys });
    expect(refused.ok).toBe(false);
    // Forced again, and the first task ends meanwhile: then nothing is handed back.
    const again = await b.coord.claim({ taskId: 't-dddd0006', kind: 'test', keys, force: true });
    if (!again.ok) throw new Error('forced claim refused');
    await a.coord.release(ca.claim);
    await until('b sees the first task gone', () => b.site.get('active/t-aaaa0006')?.value == null);
    await b.coord.release(again.claim);
    expect(b.coord.holderOf(keys)).toBeUndefined();
    await until('a sees the host free', () => a.coord.holderOf(keys) === undefined);
  });

  it('a runner stops within seconds while etcd is away, its journal write pending', async () => {
    const a = await side('/t5/', 2);
    const h = await a.store.hosts.insert(host(8));
    const c = await a.coord.claim({
      taskId: 't-aaaa0003',
      kind: 'test',
      keys: a.coord.keysFor({ hostId: h.id }),
    });
    expect(c.ok).toBe(true);
    await a.coord.insertTask(task('t-aaaa0003', h.id));
    await etcd.stop();
    try {
      const pending = a.coord.mutateTask('t-aaaa0003', (t) => (t.state = 'running'));
      pending.catch(() => undefined);
      await expect(a.store.templates.insert({ name: 'jammy', image: 'ubuntu/jammy' })).rejects.toThrow(
        /etcd at .* is unreachable/,
      );
      const t0 = Date.now();
      await a.close();
      expect(Date.now() - t0).toBeLessThan(8_000);
    } finally {
      await etcd.start();
    }
  });

  it('a runner alive but whose lease ended (cut off from etcd) loses its claims, can no longer write its task, and serves again under a new lease', async () => {
    const a = await side('/t3/', 1);
    const b = await side('/t3/', 1);
    const h = await a.store.hosts.insert(host(4));
    await until('b sees the host', () => b.store.hosts.get(h.id) !== undefined);
    const c = await a.coord.claim({
      taskId: 't-aaaa0002',
      kind: 'test',
      keys: a.coord.keysFor({ hostId: h.id }),
    });
    if (!c.ok) throw new Error('claim refused');
    await a.coord.insertTask(task('t-aaaa0002', h.id));
    await a.coord.mutateTask('t-aaaa0002', (t) => (t.state = 'running'));
    // etcd ends A's lease (as after a partition longer than the TTL).
    const leaseId = (a.site as unknown as { leaseId: string }).leaseId;
    await b.site.client.leaseClient.leaseRevoke({ ID: leaseId });
    await until('b sees the task interrupted', () => b.coord.task('t-aaaa0002')?.state === 'interrupted');
    await until(
      'a learns its lease is gone',
      () => c.claim.lost.aborted && a.site.getHealth().lease.lostAt !== null,
      5_000,
    );
    // A's late write is refused, and etcd keeps B's record.
    await expect(a.coord.mutateTask('t-aaaa0002', (t) => (t.state = 'done'))).rejects.toThrow(/claim/);
    await until('a shows the task interrupted', () => a.coord.task('t-aaaa0002')?.state === 'interrupted');
    expect(b.coord.task('t-aaaa0002')!.state).toBe('interrupted');
    // A takes a new lease as soon as etcd answers (it does at once here) and serves again, without
    // a restart; its old claim stays lost and the task stays interrupted.
    await until('a renews its lease', () => a.site.getHealth().lease.renewedAt !== null, 5_000);
    expect(a.site.lost.aborted).toBe(false);
    await a.store.templates.insert({ name: 'jammy', image: 'ubuntu/jammy' });
    await until('b sees the template', () => b.store.templates.list().length === 1);
    expect(c.claim.lost.aborted).toBe(true);
    expect(a.coord.holds('t-aaaa0002')).toBe(false);
    expect(a.coord.task('t-aaaa0002')!.state).toBe('interrupted');
    expect(b.coord.describe().runners.map((r) => r.owner)).toContain(a.coord.owner);
  });
});
