import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Claim, ClaimRequest, ClaimResult } from '../../src/runner/tasks/coordination.ts';
import { TaskEngine } from '../../src/runner/tasks/engine.ts';
import { LocalCoordinator } from '../../src/runner/tasks/local-coordinator.ts';
import { KeyedMutex, Semaphore } from '../../src/runner/tasks/locks.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { gate, rig, until, untilAborted, type Rig } from './helpers.ts';

let r: Rig;
afterEach(async () => {
  await r?.close();
});

const host = { hostname: 'r01-n001' };

async function refusal(p: Promise<unknown>): Promise<OperatorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OperatorError);
  return err as OperatorError;
}

/** A journal entry of a task killed mid-step, as recover() finds it. */
async function interruptedTask(id: string, hostname: string): Promise<void> {
  const now = new Date().toISOString();
  await r.store.tasks.insert({
    id,
    kind: 'deploy',
    target: { hostname },
    params: null,
    state: 'running',
    steps: [{ title: 'deploy', state: 'running', attempts: 1, startedAt: now }],
    log: [],
    createdAt: now,
    updatedAt: now,
  });
  await r.engine.recover();
}

describe('forced start', () => {
  it('takes a host another task holds, and both journals say who held it and why', async () => {
    r = await rig();
    const hold = gate();
    const first = await r.engine.start('deploy', host, null, {
      steps: [{ title: 'deploy', run: () => hold.promise }],
    });
    const err = await refusal(r.engine.start('host.power', host, null, { steps: [] }));
    expect(err.message).toContain(`task ${first} (deploy)`);

    const forced = await r.engine.start('host.power', host, null, {
      steps: [{ title: 'power off', run: async () => {} }],
      force: { reason: '--force from alice' },
    });
    expect(r.engine.holderOf(host)).toBe(forced);
    const t = await r.engine.wait(forced);
    expect(t.state).toBe('done');
    const line = t.log.find((l) => l.text.startsWith('forced start'));
    expect(line).toMatchObject({ level: 'warn' });
    expect(line!.text).toBe(
      `forced start (--force from alice): took r01-n001 while task ${first} (deploy) held it (running)`,
    );
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'log', taskId: forced, level: 'warn', text: line!.text }),
    );
    await until(
      () =>
        r.engine.get(first)!.log.some((l) => l.text.includes(`task ${forced} (host.power) took r01-n001`)),
      'the note in the first task',
    );
    // The first task was not stopped, and has its host again once the forced task is done.
    expect(r.engine.holderOf(host)).toBe(first);
    hold.open();
    expect((await r.engine.wait(first)).state).toBe('done');
    expect(r.engine.holderOf(host)).toBeUndefined();
  });

  it('keeps the host while the task it was taken from finishes first', async () => {
    r = await rig();
    const holdFirst = gate();
    const holdForced = gate();
    const first = await r.engine.start('deploy', host, null, {
      steps: [{ title: 'deploy', run: () => holdFirst.promise }],
    });
    const forced = await r.engine.start('host.power', host, null, {
      steps: [{ title: 'power off', run: () => holdForced.promise }],
      force: { reason: 'stuck deploy' },
    });
    expect(r.engine.holderOf(host)).toBe(forced);
    holdFirst.open();
    await r.engine.wait(first);
    expect(r.engine.holderOf(host)).toBe(forced);
    await refusal(r.engine.start('deploy', host, null, { steps: [] }));
    holdForced.open();
    await r.engine.wait(forced);
    expect(r.engine.holderOf(host)).toBeUndefined();
  });

  it('takes a host an interrupted task holds, saying its state on the gear is unknown', async () => {
    r = await rig();
    await interruptedTask('t-stuck001', 'r01-n001');
    const err = await refusal(r.engine.start('host.power', host, null, { steps: [] }));
    expect(err.message).toContain('interrupted task t-stuck001 (deploy)');
    const forced = await r.engine.start('host.power', host, null, {
      steps: [],
      force: { reason: 'power off a runaway host' },
    });
    const t = await r.engine.wait(forced);
    expect(t.log[0]).toMatchObject({
      level: 'warn',
      text: expect.stringContaining(
        'while task t-stuck001 (deploy) held it (interrupted, its state on the gear unknown)',
      ),
    });
    // The interrupted task still awaits its decision, and still holds the host.
    expect(r.engine.get('t-stuck001')!.state).toBe('interrupted');
    expect(r.engine.holderOf(host)).toBe('t-stuck001');
  });

  it('says so when the host was free anyway', async () => {
    r = await rig();
    const id = await r.engine.start('host.power', host, null, { steps: [], force: { reason: 'x' } });
    const t = await r.engine.wait(id);
    expect(t.log[0]).toMatchObject({ level: 'info', text: 'forced start (x); r01-n001 was free' });
  });
});

describe('holder lookups', () => {
  it('answer from an index: no scan of the tasks or the hosts', async () => {
    r = await rig({ keepFinished: 10_000 });
    const h = await r.store.hosts.insert({
      hostname: 'r01-n001',
      mac: '00:18:8b:52:79:80',
      macs: ['00:18:8b:52:79:80'],
      ipmi: { address: '127.0.0.1', username: 'admin', password: 'x' },
      cpuCores: 8,
      cpuMhz: 2000,
      memoryMb: 8192,
    });
    for (let n = 0; n < 200; n++) {
      await r.engine.wait(await r.engine.start('noop', { hostname: `r02-n${n}` }, null, { steps: [] }));
    }
    await interruptedTask('t-stuck001', 'r01-n001');
    const peekAll = vi.spyOn(r.store.tasks, 'peekAll');
    const find = vi.spyOn(r.store.hosts, 'find');
    // By id, finding the interrupted task journaled by hostname.
    expect(r.engine.holderOf({ hostId: h.id })).toBe('t-stuck001');
    expect(r.engine.holderOf({ hostname: 'r02-n7' })).toBeUndefined();
    await refusal(r.engine.start('destroy', { hostId: h.id }, null, { steps: [] }));
    expect(peekAll).not.toHaveBeenCalled();
    expect(find).not.toHaveBeenCalled();
    // Closing the interrupted task frees the host in the index too.
    await r.engine.cancel('t-stuck001');
    expect(r.engine.holderOf({ hostId: h.id })).toBeUndefined();
  });

  it('an index built at start-up knows the interrupted tasks already in the journal', async () => {
    r = await rig();
    await interruptedTask('t-stuck001', 'r01-n001');
    const engine = new TaskEngine({ store: r.store });
    expect(engine.holderOf(host)).toBe('t-stuck001');
    await engine.resume('t-stuck001', { steps: [{ title: 'deploy', run: async () => {} }] });
    expect(engine.holderOf(host)).toBe('t-stuck001');
    expect((await engine.wait('t-stuck001')).state).toBe('done');
    expect(engine.holderOf(host)).toBeUndefined();
  });
});

describe('the coordinator interface', () => {
  /** A coordinator whose claims can be lost, as an etcd lease can expire. */
  class LosingCoordinator extends LocalCoordinator {
    readonly leases: AbortController[] = [];
    override async claim(req: ClaimRequest): Promise<ClaimResult> {
      const r = await super.claim(req);
      if (!r.ok) return r;
      const lease = new AbortController();
      this.leases.push(lease);
      const claim: Claim = { ...r.claim, lost: lease.signal };
      // Release must see the claim it made.
      const release = super.release.bind(this);
      this.release = (c) => release(c === claim ? r.claim : c);
      return { ...r, claim };
    }
  }

  it('runs a task through a coordinator alone, and stops a task whose claim is lost', async () => {
    r = await rig();
    const coordinator = new LosingCoordinator(r.store, { owner: 'jump-1' });
    const engine = new TaskEngine({ coordinator });
    const events: string[] = [];
    engine.subscribe((e) => events.push(e.type));
    const inside = gate();
    const id = await engine.start('deploy', host, null, {
      steps: [
        {
          title: 'deploy',
          run: (ctx) => {
            inside.open();
            return untilAborted(ctx.signal);
          },
        },
      ],
    });
    expect(coordinator.holderOf(coordinator.keysFor(host))).toMatchObject({
      taskId: id,
      kind: 'deploy',
      owner: 'jump-1',
    });
    await inside.promise;
    coordinator.leases[0]!.abort(new Error('lease expired'));
    const t = await engine.wait(id);
    expect(t.state).toBe('cancelled');
    expect(t.error).toBe('lost the claim on its host: lease expired');
    expect(events).toContain('task-cancelled');
    expect(engine.holderOf(host)).toBeUndefined();
  });

  it('orders step locks so overlapping sets cannot deadlock, and gives them back', async () => {
    r = await rig();
    const c = new LocalCoordinator(r.store);
    const signal = new AbortController().signal;
    const a = await c.lock(['switch:b', 'switch:a'], 't-1', signal);
    let second = false;
    const b = c.lock(['switch:a', 'switch:c'], 't-2', signal).then((u) => {
      second = true;
      return u;
    });
    await new Promise((res) => setTimeout(res, 10));
    expect(second).toBe(false);
    await a();
    await (
      await b
    )();
    expect(second).toBe(true);
  });
});

describe('locks on p-limit and async-mutex', () => {
  it('Semaphore: FIFO, counts, and a waiter that aborts gives up its place at once', async () => {
    const s = new Semaphore(1);
    const first = await s.acquire();
    const quit = new AbortController();
    const order: string[] = [];
    const gone = s.acquire(quit.signal).then(
      () => order.push('gone: granted'),
      () => order.push('gone: aborted'),
    );
    const next = s.acquire().then((rel) => {
      order.push('next');
      return rel;
    });
    expect({ running: s.running, waiting: s.waiting }).toEqual({ running: 1, waiting: 2 });
    quit.abort(new Error('cancelled'));
    await gone;
    expect(s.waiting).toBe(1);
    first();
    (await next)();
    expect(order).toEqual(['gone: aborted', 'next']);
    await until(() => s.running === 0, 'all slots free');
    expect(s.waiting).toBe(0);
    await expect(s.acquire(AbortSignal.abort(new Error('late')))).rejects.toThrow('late');
  });

  it('KeyedMutex: one holder per key, the key forgotten when free, aborted waiters skipped', async () => {
    const m = new KeyedMutex();
    const a = await m.acquire('switch:tor');
    expect(m.isHeld('switch:tor')).toBe(true);
    const quit = new AbortController();
    const skipped = m.acquire('switch:tor', quit.signal);
    quit.abort(new Error('cancelled'));
    await expect(skipped).rejects.toThrow('cancelled');
    const b = m.acquire('switch:tor');
    a();
    (await b)();
    await until(() => !m.isHeld('switch:tor'), 'the key to be free');
    const again = await m.acquire('switch:tor');
    again();
  });
});
