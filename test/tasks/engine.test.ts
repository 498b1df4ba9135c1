import { readFileSync } from 'node:fs';
import { readStore } from '../../src/runner/store/store.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Task } from '../../src/protocol/records.ts';
import type { Step } from '../../src/runner/tasks/types.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { registerSecret } from '../../src/util/redact.ts';
import { taskEventSchema } from '../../src/protocol/events.ts';
import { gate, recordingClock, rig, until, untilAborted, type Rig } from './helpers.ts';

let r: Rig;
afterEach(async () => {
  await r?.close();
});

const host = { hostname: 'r01-n001' };

/** The task as the store file plus its journal hold it: what a restart would see. */
async function onDisk(file: string, id: string): Promise<Task> {
  const doc = await readStore(file);
  const t = doc.tasks.find((x) => x.id === id);
  if (!t) throw new Error(`task ${id} not on disk`);
  return t;
}

async function refusal(p: Promise<unknown>): Promise<OperatorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OperatorError);
  return err as OperatorError;
}

describe('running steps', () => {
  it('runs steps in order, passes outputs on, journals them, and streams typed events', async () => {
    r = await rig();
    const seen: string[] = [];
    const id = await r.engine.start(
      'demo',
      host,
      { vlan: 100 },
      {
        steps: [
          {
            title: 'Allocate machine abc in MaaS',
            key: 'allocate',
            run: async (ctx) => {
              seen.push('allocate');
              return { systemId: 'abc', vlan: (ctx.params as { vlan: number }).vlan };
            },
          },
          {
            title: 'deploy',
            run: async (ctx) => {
              seen.push(`deploy ${JSON.stringify(ctx.outputs.allocate)}`);
              ctx.progress(0.5, 'half way');
              ctx.log('deploying');
            },
          },
          { title: 'power on', run: async () => void seen.push('power on') },
        ],
      },
    );
    const t = await r.engine.wait(id);
    expect(seen).toEqual(['allocate', 'deploy {"systemId":"abc","vlan":100}', 'power on']);
    expect(t.state).toBe('done');
    expect(t.steps.map((s) => [s.state, s.attempts])).toEqual([
      ['done', 1],
      ['done', 1],
      ['done', 1],
    ]);
    expect((await onDisk(r.file, id)).steps[0]!.output).toEqual({ systemId: 'abc', vlan: 100 });
    const mine = r.events
      .filter((e) => e.taskId === id && e.type !== 'log')
      .map((e) => `${e.type}${'index' in e ? e.index : ''}`);
    expect(mine).toEqual([
      'task-created',
      'task-started',
      'step-started0',
      'step-done0',
      'step-started1',
      'step-progress1',
      'step-done1',
      'step-started2',
      'step-done2',
      'task-done',
    ]);
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'log', taskId: id, index: 1, text: 'deploying' }),
    );
    expect(t.log.map((l) => l.text)).toEqual([
      'started',
      'step 1/3 Allocate machine abc in MaaS: started',
      'step 1/3 Allocate machine abc in MaaS: done',
      'step 2/3 deploy: started',
      'deploying',
      'step 2/3 deploy: done',
      'step 3/3 power on: started',
      'step 3/3 power on: done',
      'task done',
    ]);
  });

  it("a step cannot change the task's params or an earlier step's output behind the journal", async () => {
    r = await rig();
    const tried: string[] = [];
    const attempt = (what: string, change: () => void) => {
      try {
        change();
        tried.push(`${what}: changed`);
      } catch (e) {
        tried.push(`${what}: ${e instanceof TypeError ? 'refused' : String(e)}`);
      }
    };
    const id = await r.engine.start(
      'demo',
      host,
      { vlan: 100, ports: ['Ethernet1/1'] },
      {
        steps: [
          { title: 'allocate', key: 'allocate', run: async () => ({ systemId: 'abc', nics: [{ id: 1 }] }) },
          {
            title: 'tamper',
            run: async (ctx) => {
              const p = ctx.params as { vlan: number; ports: string[] };
              const out = ctx.outputs['allocate'] as { systemId: string; nics: { id: number }[] };
              attempt('params', () => (p.vlan = 200));
              attempt('nested params', () => p.ports.push('Ethernet1/2'));
              attempt('output', () => (out.systemId = 'zzz'));
              attempt('nested output', () => (out.nics[0]!.id = 9));
              attempt('outputs', () => ((ctx.outputs as Record<string, unknown>)['allocate'] = null));
            },
          },
          {
            title: 'read',
            run: async (ctx) => ({ saw: ctx.outputs['allocate'] ?? null, params: ctx.params }),
          },
        ],
      },
    );
    const t = await r.engine.wait(id);
    expect(t.state).toBe('done');
    expect(tried).toEqual([
      'params: refused',
      'nested params: refused',
      'output: refused',
      'nested output: refused',
      'outputs: refused',
    ]);
    const disk = await onDisk(r.file, id);
    expect(disk.params).toEqual({ vlan: 100, ports: ['Ethernet1/1'] });
    expect(disk.steps[0]!.output).toEqual({ systemId: 'abc', nics: [{ id: 1 }] });
    expect(disk.steps[2]!.output).toEqual({
      saw: { systemId: 'abc', nics: [{ id: 1 }] },
      params: { vlan: 100, ports: ['Ethernet1/1'] },
    });
  });

  it('writes the journal ahead: running is on disk before run(), done + output before the next step', async () => {
    r = await rig();
    const views: Array<{ during: number; states: string[]; prevOutput: unknown }> = [];
    const mk = (n: number): Step => ({
      title: `step ${n}`,
      run: async (ctx) => {
        const t = await onDisk(r.file, ctx.taskId);
        views.push({ during: n, states: t.steps.map((s) => s.state), prevOutput: t.steps[n - 1]?.output });
        return { n };
      },
    });
    const id = await r.engine.start('demo', host, null, { steps: [mk(0), mk(1), mk(2)] });
    expect((await onDisk(r.file, id)).state).toMatch(/pending|running/);
    await r.engine.wait(id);
    expect(views).toEqual([
      { during: 0, states: ['running', 'pending', 'pending'], prevOutput: undefined },
      { during: 1, states: ['done', 'running', 'pending'], prevOutput: { n: 0 } },
      { during: 2, states: ['done', 'done', 'running'], prevOutput: { n: 1 } },
    ]);
    expect((await onDisk(r.file, id)).state).toBe('done');
  });

  it('asks verify() first: an effect already in place is not applied again, and its output is kept', async () => {
    r = await rig();
    let runs = 0;
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'set MAC',
          verify: async () => ({ output: { mac: '52:54:00:00:00:01' } }),
          run: async () => void runs++,
        },
        { title: 'check', verify: async () => false, run: async (ctx) => ctx.outputs['set MAC'] as never },
      ],
    });
    const t = await r.engine.wait(id);
    expect(runs).toBe(0);
    expect(t.steps[0]).toMatchObject({ state: 'done', attempts: 0, note: 'already in place' });
    expect(t.steps[1]!.output).toEqual({ mac: '52:54:00:00:00:01' });
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'step-done', index: 0, alreadyInPlace: true }),
    );
  });

  it('lets a step skip itself with a reason', async () => {
    r = await rig();
    const id = await r.engine.start('demo', host, null, {
      steps: [
        { title: 'bond', run: async (ctx) => ctx.skip('one NIC on the ToR: no bond') },
        { title: 'deploy', run: async () => 'ok' },
      ],
    });
    const t = await r.engine.wait(id);
    expect(t.state).toBe('done');
    expect(t.steps[0]).toMatchObject({ state: 'skipped', note: 'one NIC on the ToR: no bond' });
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'step-skipped', reason: 'one NIC on the ToR: no bond' }),
    );
  });

  it('keeps only the last 500 log lines in the journal', async () => {
    r = await rig();
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'chatty',
          run: async (ctx) => {
            for (let i = 0; i < 600; i++) ctx.log(`line ${i}`);
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    expect(t.log).toHaveLength(500);
    expect(t.log.some((l) => l.text === 'line 599')).toBe(true);
    expect(t.log.some((l) => l.text === 'line 0')).toBe(false);
  });

  it('tags log lines with their source in the journal, on disk and in events; the engine tags its own', async () => {
    r = await rig();
    registerSecret('ipmi-pw-5521');
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'talk to the gear',
          run: async (ctx) => {
            ctx.log('MaaS: Deploying', 'info', 'maas');
            ctx.log('switch tor-r01: switchport access vlan 200', 'info', 'switch');
            ctx.log('IPMI 10.0.0.5: Chassis Control 0x01 power up (ipmi-pw-5521)', 'info', 'ipmi');
            ctx.log('a note of the workflow');
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    const bySource = (lines: { text: string; source?: string }[]) =>
      lines
        .filter((l) => !l.text.includes('step 1/1') && l.text !== 'started' && l.text !== 'task done')
        .map((l) => [l.source, l.text]);
    const expected = [
      ['maas', 'MaaS: Deploying'],
      ['switch', 'switch tor-r01: switchport access vlan 200'],
      ['ipmi', 'IPMI 10.0.0.5: Chassis Control 0x01 power up (***)'],
      [undefined, 'a note of the workflow'],
    ];
    expect(bySource(t.log)).toEqual(expected);
    expect(bySource((await onDisk(r.file, id)).log)).toEqual(expected);
    const events = r.events.filter((e) => e.taskId === id && e.type === 'log');
    expect(bySource(events as { text: string; source?: string }[])).toEqual(expected);
    // They cross the runner's socket as they are.
    expect(events.map((e) => taskEventSchema.parse(e))).toEqual(events);
    // The engine's own lines say so.
    for (const l of t.log.filter((x) => x.text === 'started' || x.text.startsWith('step 1/1')))
      expect(l.source).toBe('engine');
    expect(t.log.at(-1)).toMatchObject({ text: 'task done', source: 'engine' });
  });

  it('redacts secrets in log lines, errors and events', async () => {
    r = await rig();
    registerSecret('bmc-pass-7731');
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'power',
          run: async (ctx) => {
            ctx.log('ipmitool -P bmc-pass-7731 chassis status');
            throw new Error('auth failed for password bmc-pass-7731');
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    const text =
      JSON.stringify(t) +
      JSON.stringify(r.events) +
      readFileSync(r.file, 'utf8') +
      readFileSync(`${r.file}.journal`, 'utf8');
    expect(text).not.toContain('bmc-pass-7731');
    expect(t.steps[0]!.error).toBe('auth failed for password ***');
    expect(t.log.map((l) => l.text)).toContain('ipmitool -P *** chassis status');
  });

  it('keeps running when a subscriber throws', async () => {
    r = await rig();
    r.engine.subscribe(() => {
      throw new Error('UI bug');
    });
    const id = await r.engine.start('demo', host, null, { steps: [{ title: 'a', run: async () => 1 }] });
    expect((await r.engine.wait(id)).state).toBe('done');
  });

  it('refuses unknown kinds and invalid parameters at the boundary', async () => {
    r = await rig();
    await refusal(r.engine.start('nope', host, {}));
    r.engine.define('vlan', (p: { vlan: number }) => [{ title: `VLAN ${p.vlan}`, run: async () => {} }], {
      params: z.object({ vlan: z.number().int().min(1).max(4094) }),
    });
    const err = await refusal(r.engine.start('vlan', host, { vlan: 5000 }));
    expect(err.message).toContain('vlan');
    const id = await r.engine.start('vlan', host, { vlan: 100 });
    expect((await r.engine.wait(id)).steps[0]!.title).toBe('VLAN 100');
  });
});

describe('retries and timeouts', () => {
  it('retries with exponential backoff, journaling every attempt', async () => {
    const clock = recordingClock();
    r = await rig({ clock });
    let calls = 0;
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'flaky',
          retry: { attempts: 4, backoffMs: 100 },
          run: async () => {
            calls++;
            if (calls < 3) throw new Error(`udp lost #${calls}`);
            return 'ok';
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    expect(t.state).toBe('done');
    expect(t.steps[0]).toMatchObject({ state: 'done', attempts: 3, output: 'ok' });
    expect(clock.sleeps).toEqual([100, 200]);
    const failed = r.events.filter((e) => e.type === 'step-failed');
    expect(failed.map((e) => (e.type === 'step-failed' ? [e.attempt, e.retryInMs, e.error] : null))).toEqual([
      [1, 100, 'udp lost #1'],
      [2, 200, 'udp lost #2'],
    ]);
  });

  it('gives up after the last attempt, or at once when retryIf says the error is final', async () => {
    const clock = recordingClock();
    r = await rig({ clock });
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'always fails',
          retry: { attempts: 3, backoffMs: 10, maxBackoffMs: 15 },
          run: async () => {
            throw new Error('no route');
          },
        },
        { title: 'never reached', run: async () => {} },
      ],
    });
    const t = await r.engine.wait(id);
    expect(t.state).toBe('failed');
    expect(t.error).toBe('step 1 (always fails) failed: no route');
    expect(t.steps.map((s) => [s.state, s.attempts])).toEqual([
      ['failed', 3],
      ['pending', 0],
    ]);
    expect(clock.sleeps).toEqual([10, 15]);

    const id2 = await r.engine.start('demo', { hostname: 'r01-n002' }, null, {
      steps: [
        {
          title: 'bad creds',
          retry: { attempts: 5, backoffMs: 10, retryIf: (e) => !String(e).includes('auth') },
          run: async () => {
            throw new Error('auth rejected');
          },
        },
      ],
    });
    expect((await r.engine.wait(id2)).steps[0]!.attempts).toBe(1);
  });

  it('checks verify() again before a retry: an attempt whose reply was lost is not repeated', async () => {
    r = await rig({ clock: recordingClock() });
    let applied = false;
    let runs = 0;
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'release with erase',
          retry: { attempts: 3, backoffMs: 5 },
          verify: async () => applied,
          run: async () => {
            runs++;
            applied = true;
            throw new Error('connection reset before the reply');
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    expect(runs).toBe(1);
    expect(t.state).toBe('done');
    expect(t.steps[0]).toMatchObject({ state: 'done', attempts: 1, note: 'already in place' });
  });

  it('times a step out, aborting its signal, and counts it as a failed attempt', async () => {
    r = await rig({ clock: recordingClock() });
    const signals: AbortSignal[] = [];
    const id = await r.engine.start('demo', host, null, {
      steps: [
        {
          title: 'hangs',
          timeoutMs: 20,
          retry: { attempts: 2, backoffMs: 1 },
          run: async (ctx) => {
            signals.push(ctx.signal);
            return untilAborted(ctx.signal);
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    expect(t.state).toBe('failed');
    expect(t.steps[0]).toMatchObject({ state: 'failed', attempts: 2, error: 'timed out after 20 ms' });
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
  });
});

describe('cancellation', () => {
  it('aborts the running step and leaves the journal saying where it stopped', async () => {
    r = await rig();
    const inside = gate();
    let sawAbort = false;
    const id = await r.engine.start('demo', host, null, {
      steps: [
        { title: 'one', run: async () => {} },
        {
          title: 'deploy',
          run: async (ctx) => {
            inside.open();
            await untilAborted(ctx.signal).catch((e) => {
              sawAbort = true;
              throw e;
            });
          },
        },
        { title: 'three', run: async () => {} },
      ],
    });
    await inside.promise;
    const t = await r.engine.cancel(id, 'operator pressed c');
    expect(sawAbort).toBe(true);
    expect(t.state).toBe('cancelled');
    expect(t.error).toBe('operator pressed c');
    expect(t.steps.map((s) => s.state)).toEqual(['done', 'failed', 'pending']);
    expect((await onDisk(r.file, id)).state).toBe('cancelled');
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'task-cancelled', taskId: id }));
  });

  it('cancels a queued task before any step runs', async () => {
    r = await rig({ concurrency: 1 });
    const hold = gate();
    const first = await r.engine.start('demo', { hostname: 'a' }, null, {
      steps: [{ title: 'x', run: () => hold.promise }],
    });
    let ran = false;
    const second = await r.engine.start('demo', { hostname: 'b' }, null, {
      steps: [{ title: 'y', run: async () => void (ran = true) }],
    });
    expect(r.engine.load()).toEqual({ running: 1, queued: 1 });
    const t = await r.engine.cancel(second);
    expect(t.state).toBe('cancelled');
    hold.open();
    expect((await r.engine.wait(first)).state).toBe('done');
    expect(ran).toBe(false);
  });
});

describe('locks and concurrency', () => {
  it('refuses a second task on the same host, naming the task that has it, by id or by name', async () => {
    r = await rig();
    const h = await r.store.hosts.insert({
      hostname: 'r01-n001',
      mac: '00:18:8b:52:79:80',
      macs: ['00:18:8b:52:79:80'],
      ipmi: { address: '127.0.0.1', username: 'admin', password: 'x' },
      cpuCores: 8,
      cpuMhz: 2000,
      memoryMb: 8192,
    });
    const hold = gate();
    const first = await r.engine.start('create-instance', { hostId: h.id }, null, {
      steps: [{ title: 'x', run: () => hold.promise }],
    });
    const err = await refusal(r.engine.start('stop', { hostname: 'r01-n001' }, null, { steps: [] }));
    expect(err.message).toContain(`task ${first} (create-instance)`);
    expect(err.message).toContain('r01-n001 is busy');
    expect(r.engine.holderOf({ hostname: 'r01-n001' })).toBe(first);
    // Another host is free.
    const other = await r.engine.start('stop', { hostname: 'r01-n002' }, null, { steps: [] });
    expect((await r.engine.wait(other)).state).toBe('done');
    hold.open();
    await r.engine.wait(first);
    const again = await r.engine.start('stop', { hostname: 'r01-n001' }, null, { steps: [] });
    expect((await r.engine.wait(again)).state).toBe('done');
  });

  function vlanTasks(
    locksOf: (n: number) => string[] | undefined,
    run: () => Promise<void>,
  ): Promise<string[]> {
    return Promise.all(
      Array.from({ length: 6 }, (_, n) => {
        const locks = locksOf(n);
        return r.engine.start('vlan', { hostname: `r01-n00${n}` }, null, {
          steps: [
            { title: 'set VLAN', ...(locks ? { locks } : {}), run },
            { title: 'after', run: async () => {} },
          ],
        });
      }),
    );
  }

  it('serialises steps that name the same switch', async () => {
    r = await rig({ concurrency: 6 });
    let inside = 0;
    let max = 0;
    const ids = await vlanTasks(
      () => ['switch:tor-r01'],
      async () => {
        inside++;
        max = Math.max(max, inside);
        await new Promise((res) => setTimeout(res, 5));
        inside--;
      },
    );
    for (const id of ids) expect((await r.engine.wait(id)).state).toBe('done');
    expect(max).toBe(1);
  });

  it('runs steps on different switches, or without locks, side by side', async () => {
    r = await rig({ concurrency: 6 });
    for (const locksOf of [(n: number) => [`switch:tor-r0${n}`], () => undefined]) {
      let inside = 0;
      const open = gate();
      const ids = await vlanTasks(locksOf, async () => {
        inside++;
        await open.promise;
      });
      // All six are inside their step at once; a wrongly shared lock would stall here.
      await until(() => inside === 6, 'six steps inside at once');
      open.open();
      for (const id of ids) expect((await r.engine.wait(id)).state).toBe('done');
    }
  });

  it('runs at most `concurrency` tasks at once, and does reach it', async () => {
    r = await rig({ concurrency: 3 });
    let running = 0;
    let max = 0;
    const gates = Array.from({ length: 8 }, () => gate());
    const ids: string[] = [];
    for (let n = 0; n < 8; n++) {
      ids.push(
        await r.engine.start('demo', { hostname: `h${n}` }, null, {
          steps: [
            {
              title: 'work',
              run: async () => {
                running++;
                max = Math.max(max, running);
                await gates[n]!.promise;
                running--;
              },
            },
          ],
        }),
      );
    }
    await until(() => running === 3, 'three tasks running');
    expect(r.engine.load()).toEqual({ running: 3, queued: 5 });
    for (const g of gates) g.open();
    for (const id of ids) await r.engine.wait(id);
    expect(max).toBe(3);
  });
});

describe('recover, resume, rollback', () => {
  /** A journal as a killed process leaves it: step 0 done with output, step 1 running, step 2 pending. */
  async function killedTask(id = 't-killed01', hostname = 'r01-n001'): Promise<string> {
    const now = new Date().toISOString();
    const t = await r.store.tasks.insert({
      id,
      kind: 'create',
      target: { hostname },
      params: { vlan: 100 },
      state: 'running',
      steps: [
        {
          title: 'allocate',
          state: 'done',
          attempts: 1,
          output: { systemId: 'abc' },
          startedAt: now,
          endedAt: now,
        },
        { title: 'set VLAN', state: 'running', attempts: 1, startedAt: now },
        { title: 'power on', state: 'pending', attempts: 0 },
      ],
      log: [],
      createdAt: now,
      updatedAt: now,
    });
    return t.id;
  }

  /** Another killed task, on another host. */
  const killedTask2 = (id = 't-killed02') => killedTask(id, `r01-n0${id.slice(-2)}`);

  function define(effects: string[], opts: { vlanInPlace: boolean; failUndo?: string }) {
    r.engine.define('create', (p: { vlan: number }) => [
      {
        title: 'allocate',
        run: async () => void effects.push('allocate'),
        undo: async (ctx) => void effects.push(`release ${(ctx.output as { systemId: string }).systemId}`),
      },
      {
        title: 'set VLAN',
        verify: async () => opts.vlanInPlace,
        run: async (ctx) =>
          void effects.push(`vlan ${p.vlan} for ${(ctx.outputs.allocate as { systemId: string }).systemId}`),
        undo: async () => {
          if (opts.failUndo === 'set VLAN') throw new Error('switch unreachable');
          effects.push('vlan back to PXE');
        },
      },
      { title: 'power on', run: async () => void effects.push('power on') },
    ]);
  }

  it('recover marks in-flight tasks interrupted without touching their steps', async () => {
    r = await rig();
    const id = await killedTask();
    expect(await r.engine.recover()).toEqual([id]);
    const t = await onDisk(r.file, id);
    expect(t.state).toBe('interrupted');
    expect(t.error).toContain('during step 2 (set VLAN)');
    expect(t.steps.map((s) => s.state)).toEqual(['done', 'running', 'pending']);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'task-interrupted', taskId: id }));
    expect(await r.engine.recover()).toEqual([]);
  });

  it('an interrupted task keeps its host until resumed, rolled back or cancelled', async () => {
    r = await rig();
    const id = await killedTask();
    await r.engine.recover();
    const err = await refusal(r.engine.start('destroy', { hostname: 'r01-n001' }, null, { steps: [] }));
    expect(err.message).toContain(`interrupted task ${id}`);
    expect(err.hint).toContain('resume or roll back');
    expect((await r.engine.cancel(id)).state).toBe('cancelled');
    const next = await r.engine.start('destroy', { hostname: 'r01-n001' }, null, { steps: [] });
    expect((await r.engine.wait(next)).state).toBe('done');
  });

  it('resume re-runs from the interrupted step; verify() keeps an applied effect from repeating', async () => {
    r = await rig();
    const effects: string[] = [];
    define(effects, { vlanInPlace: true });
    const id = await killedTask();
    await r.engine.recover();
    await r.engine.resume(id);
    const t = await r.engine.wait(id);
    expect(t.state).toBe('done');
    expect(effects).toEqual(['power on']);
    expect(t.steps.map((s) => [s.state, s.attempts])).toEqual([
      ['done', 1],
      ['done', 1],
      ['done', 1],
    ]);
    expect(r.events).toContainEqual(
      expect.objectContaining({ type: 'task-started', taskId: id, mode: 'resume' }),
    );
  });

  it('resume runs the interrupted step again when its effect is not in place, with earlier outputs', async () => {
    r = await rig();
    const effects: string[] = [];
    define(effects, { vlanInPlace: false });
    const id = await killedTask();
    await r.engine.recover();
    await r.engine.resume(id);
    const t = await r.engine.wait(id);
    expect(effects).toEqual(['vlan 100 for abc', 'power on']);
    expect(t.steps[1]!.attempts).toBe(2);
  });

  it('rollback undoes the started steps last first, including the interrupted one', async () => {
    r = await rig();
    const effects: string[] = [];
    define(effects, { vlanInPlace: false });
    const id = await killedTask();
    await r.engine.recover();
    await r.engine.rollback(id);
    const t = await r.engine.wait(id);
    expect(t.state).toBe('rolled-back');
    expect(effects).toEqual(['vlan back to PXE', 'release abc']);
    expect(t.steps.map((s) => s.state)).toEqual(['undone', 'undone', 'pending']);
    expect((await onDisk(r.file, id)).state).toBe('rolled-back');
    await refusal(r.engine.resume(id));
  });

  it('a resume and a rollback journal the plan the operator confirmed with the steps they cover', async () => {
    r = await rig();
    const effects: string[] = [];
    define(effects, { vlanInPlace: false });
    const id = await killedTask();
    await r.engine.recover();
    const resumed = [
      { index: 1, actions: ['switch tor-r01: configure', 'switch tor-r01: interface vlan 100'] },
      { index: 2, actions: ['IPMI 127.0.0.1:623: Chassis Control 0x01 power up'] },
    ];
    await r.engine.resume(id, { plan: resumed });
    let t = await r.engine.wait(id);
    expect(t.state).toBe('done');
    expect(t.steps.map((s) => s.plan)).toEqual([undefined, resumed[0]!.actions, resumed[1]!.actions]);
    expect(t.log.map((l) => l.text)).toContain(
      'resume requested (from step 2: set VLAN) as confirmed: its plan is journaled with the steps',
    );
    // A done task is not rolled back; a new interrupted one is, its undo lines on its steps.
    const again = await killedTask2();
    await r.engine.recover();
    const undo = [
      { index: 1, actions: ['switch tor-r01: no untagged 1/1/1'] },
      { index: 0, actions: ['MaaS POST machines/abc/?op=release erase=true'] },
    ];
    await r.engine.rollback(again, { plan: undo });
    t = await r.engine.wait(again);
    expect(t.state).toBe('rolled-back');
    expect(t.steps.map((s) => s.undoPlan)).toEqual([undo[1]!.actions, undo[0]!.actions, undefined]);
    expect((await onDisk(r.file, again)).steps[0]!.undoPlan).toEqual(undo[1]!.actions);
    // A plan naming a step the task lacks is not its plan: refused before anything runs.
    const third = await killedTask2('t-killed03');
    await r.engine.recover();
    const err = await refusal(r.engine.rollback(third, { plan: [{ index: 7, actions: ['x'] }] }));
    expect(err.message).toContain('has no step 8');
    expect((await onDisk(r.file, third)).state).toBe('interrupted');
  });

  it('a failed undo stops the rollback; rolling back again finishes it', async () => {
    r = await rig();
    const effects: string[] = [];
    define(effects, { vlanInPlace: false, failUndo: 'set VLAN' });
    const id = await killedTask();
    await r.engine.recover();
    await r.engine.rollback(id);
    let t = await r.engine.wait(id);
    expect(t.state).toBe('rollback-failed');
    expect(t.error).toContain('undo of step 2 (set VLAN) failed: switch unreachable');
    expect(t.steps.map((s) => s.state)).toEqual(['done', 'undo-failed', 'pending']);
    expect(effects).toEqual([]);

    define(effects, { vlanInPlace: false });
    await r.engine.rollback(id);
    t = await r.engine.wait(id);
    expect(t.state).toBe('rolled-back');
    expect(effects).toEqual(['vlan back to PXE', 'release abc']);
  });

  it('a rollback cut off by a crash continues with the steps not yet undone', async () => {
    r = await rig();
    const effects: string[] = [];
    define(effects, { vlanInPlace: false });
    const now = new Date().toISOString();
    // Killed while undoing 'allocate', after 'set VLAN' was undone.
    await r.store.tasks.insert({
      id: 't-rolling1',
      kind: 'create',
      target: { hostname: 'r01-n001' },
      params: { vlan: 100 },
      state: 'rolling-back',
      steps: [
        { title: 'allocate', state: 'done', attempts: 1, output: { systemId: 'abc' }, undoStartedAt: now },
        { title: 'set VLAN', state: 'undone', attempts: 1 },
        { title: 'power on', state: 'pending', attempts: 0 },
      ],
      log: [],
      createdAt: now,
      updatedAt: now,
    });
    expect(await r.engine.recover()).toEqual(['t-rolling1']);
    expect(r.store.tasks.get('t-rolling1')?.error).toContain(
      'while the task was rolling-back during step 1 (allocate)',
    );
    await r.engine.rollback('t-rolling1');
    const t = await r.engine.wait('t-rolling1');
    expect(t.state).toBe('rolled-back');
    expect(effects).toEqual(['release abc']);
  });

  it('refuses to resume a task twice at once', async () => {
    r = await rig();
    const effects: string[] = [];
    define(effects, { vlanInPlace: false });
    const id = await killedTask();
    await r.engine.recover();
    const first = r.engine.resume(id);
    const err = await refusal(r.engine.resume(id));
    expect(err.message).toContain('still in progress');
    await first;
    await refusal(r.engine.rollback(id));
    expect((await r.engine.wait(id)).state).toBe('done');
    expect(effects).toEqual(['vlan 100 for abc', 'power on']);
  });

  it('recover drops the oldest finished tasks beyond keepFinished, never failed ones', async () => {
    r = await rig({ keepFinished: 2 });
    const ids: string[] = [];
    for (let n = 0; n < 4; n++) {
      const id = await r.engine.start('demo', { hostname: `h${n}` }, null, {
        steps: [{ title: 'a', run: async () => {} }],
      });
      await r.engine.wait(id);
      ids.push(id);
    }
    const failed = await r.engine.start('demo', { hostname: 'hf' }, null, {
      steps: [{ title: 'a', run: async () => Promise.reject(new Error('no')) }],
    });
    await r.engine.wait(failed);
    await r.engine.recover();
    expect(
      r.store.tasks
        .list()
        .map((t) => t.id)
        .sort(),
    ).toEqual([ids[2], ids[3], failed].sort());
  });

  it('refuses to resume when the step list no longer matches the journal', async () => {
    r = await rig();
    r.engine.define('create', () => [{ title: 'allocate', run: async () => {} }]);
    const id = await killedTask();
    await r.engine.recover();
    const err = await refusal(r.engine.resume(id));
    expect(err.message).toContain('steps changed');
    expect(r.store.tasks.get(id)?.state).toBe('interrupted');
  });

  it('resumes a failed task after the cause is fixed', async () => {
    r = await rig({ clock: recordingClock() });
    let broken = true;
    r.engine.define('flaky', () => [
      { title: 'a', run: async () => 1 },
      {
        title: 'b',
        run: async () => {
          if (broken) throw new Error('cable unplugged');
        },
      },
    ]);
    const id = await r.engine.start('flaky', host, null);
    expect((await r.engine.wait(id)).state).toBe('failed');
    broken = false;
    await r.engine.resume(id);
    const t = await r.engine.wait(id);
    expect(t.state).toBe('done');
    expect(t.steps.map((s) => s.attempts)).toEqual([1, 2]);
  });
});
