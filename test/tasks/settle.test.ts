import { afterEach, describe, expect, it } from 'vitest';
import type { Step } from '../../src/runner/tasks/types.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { gate, recordingClock, rig, until, type Rig } from './helpers.ts';

/**
 * A step whose call outlives its abort (timeout or cancel) may still be changing the gear: the
 * engine waits for the call to settle before it retries, undoes, starts the next step, or lets go
 * of the step's locks and the task's host.
 */
let r: Rig;
afterEach(async () => {
  await r?.close();
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** A call that ignores its signal and ends `lateMs` after it was aborted; records its span. */
function stubborn(spans: { start: number; end?: number; aborted?: number }[], lateMs: number) {
  return async (ctx: { signal: AbortSignal }) => {
    const span: { start: number; end?: number; aborted?: number } = { start: performance.now() };
    spans.push(span);
    await new Promise<void>((res) =>
      ctx.signal.addEventListener('abort', () => {
        span.aborted = performance.now();
        setTimeout(res, lateMs);
      }),
    );
    span.end = performance.now();
    throw new Error('connection reset');
  };
}

async function refusal(p: Promise<unknown>): Promise<OperatorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OperatorError);
  return err as OperatorError;
}

describe('a call that outlives its abort', () => {
  it('is not overlapped by its own retry: attempt 2 starts after attempt 1 has settled', async () => {
    r = await rig({ clock: recordingClock(), settleWarnMs: 30 });
    const spans: { start: number; end?: number; aborted?: number }[] = [];
    const late = stubborn(spans, 200);
    const id = await r.engine.start('power', { hostname: 'r01-n001' }, null, {
      steps: [
        {
          title: 'power off',
          timeoutMs: 20,
          retry: { attempts: 2, backoffMs: 0 },
          run: async (ctx) => {
            if (ctx.attempt === 1) return late(ctx);
            spans.push({ start: performance.now(), end: performance.now() });
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    expect(t.state).toBe('done');
    expect(spans).toHaveLength(2);
    const [first, second] = spans as [Required<(typeof spans)[0]>, (typeof spans)[0]];
    expect(first.end - first.aborted).toBeGreaterThanOrEqual(190);
    expect(second.start).toBeGreaterThanOrEqual(first.end);
    expect(t.steps[0]).toMatchObject({ state: 'done', attempts: 2 });
    // The attempt counts as the timeout it was, and the operator was told why nothing moved.
    const texts = t.log.map((l) => `${l.level} ${l.text}`);
    expect(texts).toContainEqual(
      expect.stringMatching(/^warn power off: attempt 1 failed: timed out after 20 ms/),
    );
    expect(texts).toContainEqual(
      expect.stringMatching(
        /^warn power off: timed out after 20 ms, and the call has not stopped after 30 ms/,
      ),
    );
    expect(texts).toContainEqual(
      expect.stringMatching(/^info power off: the call stopped \d+ ms after it was aborted/),
    );
  });

  it('keeps the host and the step locks until it settles, then lets them go', async () => {
    // Warned about after 30 ms, but still waited for.
    r = await rig({ clock: recordingClock(), settleWarnMs: 30 });
    const spans: { start: number; end?: number; aborted?: number }[] = [];
    const a = await r.engine.start('power', { hostname: 'r01-n001' }, null, {
      steps: [{ title: 'set VLAN', timeoutMs: 20, locks: ['switch:tor-r01'], run: stubborn(spans, 250) }],
    });
    // B needs the same switch for a step on another host.
    let bStarted = 0;
    const b = await r.engine.start('vlan', { hostname: 'r01-n002' }, null, {
      steps: [
        {
          title: 'set VLAN',
          locks: ['switch:tor-r01'],
          run: async () => void (bStarted = performance.now()),
        },
      ],
    });
    await until(() => spans[0]?.aborted !== undefined, 'the timeout of task A');
    await sleep(50);
    // Timed out 50 ms ago, still running: the host is A's, and B has not had the switch.
    expect(spans[0]!.end).toBeUndefined();
    expect(r.engine.holderOf({ hostname: 'r01-n001' })).toBe(a);
    const err = await refusal(r.engine.start('power', { hostname: 'r01-n001' }, null, { steps: [] }));
    expect(err.message).toContain(`task ${a} (power)`);
    expect(bStarted).toBe(0);
    expect(r.engine.get(a)?.state).toBe('running');

    const ta = await r.engine.wait(a);
    expect(ta.state).toBe('failed');
    expect(ta.steps[0]).toMatchObject({ state: 'failed', error: 'timed out after 20 ms' });
    expect((await r.engine.wait(b)).state).toBe('done');
    expect(bStarted).toBeGreaterThanOrEqual(spans[0]!.end!);
    // Settled: the host is free again.
    expect(r.engine.holderOf({ hostname: 'r01-n001' })).toBeUndefined();
    const again = await r.engine.start('power', { hostname: 'r01-n001' }, null, { steps: [] });
    expect((await r.engine.wait(again)).state).toBe('done');
  });

  it('a cancel resolves once the call has settled, and no later step or undo overlaps it', async () => {
    r = await rig({ settleWarnMs: 30 });
    const inside = gate();
    let end = 0;
    let later = 0;
    const steps: Step[] = [
      {
        title: 'deploy',
        run: async (ctx) => {
          inside.open();
          await new Promise<void>((res) => ctx.signal.addEventListener('abort', () => setTimeout(res, 150)));
          end = performance.now();
        },
        undo: async () => void (later = performance.now()),
      },
      { title: 'after', run: async () => void (later = performance.now()) },
    ];
    const id = await r.engine.start('deploy', { hostname: 'r01-n001' }, null, { steps });
    await inside.promise;
    const t = await r.engine.cancel(id, 'operator pressed c');
    expect(end).toBeGreaterThan(0);
    expect(t.state).toBe('cancelled');
    expect(t.steps.map((s) => s.state)).toEqual(['failed', 'pending']);
    expect(later).toBe(0);
    expect(r.engine.holderOf({ hostname: 'r01-n001' })).toBeUndefined();
    // The rollback's undo starts only now, after the cancelled call ended.
    await r.engine.rollback(id, { steps });
    expect((await r.engine.wait(id)).state).toBe('rolled-back');
    expect(later).toBeGreaterThanOrEqual(end);
  });
});
