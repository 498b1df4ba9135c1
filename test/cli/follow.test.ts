import { describe, expect, it } from 'vitest';
import { followOrDetach, startTask } from '../../src/cli/follow.ts';
import type { CommandIo } from '../../src/cli/io.ts';
import type { RunnerClient } from '../../src/client/runner-client.ts';
import type { Task } from '../../src/protocol/records.ts';
import type { TaskEvent } from '../../src/protocol/events.ts';

const task = (state: string, steps: [string, string][]) =>
  ({
    id: 't-1',
    kind: 'host.power',
    state,
    steps: steps.map(([title, s]) => ({ title, state: s })),
  }) as unknown as Task;

/** A runner that answers `tasks.follow` with `now` and sends no event after it. */
function runner(now: Task): RunnerClient {
  return {
    onEvent: () => () => undefined,
    onClose: () => () => undefined,
    call: async (method: string) => {
      if (method !== 'tasks.follow' && method !== 'tasks.get') throw new Error(method);
      return now;
    },
  } as unknown as RunnerClient;
}

function io() {
  const out = { stdout: '', stderr: '' };
  const sink: CommandIo = {
    stdout: { write: (s: string) => (out.stdout += s) },
    stderr: { write: (s: string) => (out.stderr += s) },
  };
  return { sink, out };
}

describe('a command following the task it started', () => {
  it('prints the steps of a task that finished before it looked (no event will come)', async () => {
    const { sink, out } = io();
    const code = await followOrDetach(runner(task('done', [['Power on', 'done']])), 't-1', sink, {});
    expect(code).toBe(0);
    expect(out.stderr).toContain('[1] Power on ✓');
  });

  it('prints the steps under way, not the ones still pending', async () => {
    const { sink, out } = io();
    const steps: [string, string][] = [
      ['Allocate', 'done'],
      ['Deploy', 'failed'],
      ['Power on', 'pending'],
    ];
    const code = await followOrDetach(runner(task('failed', steps)), 't-1', sink, {});
    expect(code).toBe(1);
    expect(out.stderr).toContain('[1] Allocate ✓\n[2] Deploy ✗');
    expect(out.stderr).not.toContain('Power on');
    expect(out.stderr).toContain('rackpilot task resume t-1');
  });
});

/** The events of a power task from its creation to its end, as a runner streams them. */
const stream = (id: string): TaskEvent[] =>
  [
    {
      type: 'task-created',
      taskId: id,
      at: 1,
      kind: 'host.power',
      target: { hostname: 'r01-n001' },
      steps: ['Power on'],
    },
    { type: 'task-started', taskId: id, at: 2, mode: 'run' },
    { type: 'step-started', taskId: id, at: 3, index: 0, title: 'Power on', attempt: 1 },
    { type: 'log', taskId: id, at: 4, level: 'info', index: 0, text: 'ipmi → Chassis Control: power up' },
    { type: 'step-done', taskId: id, at: 5, index: 0, title: 'Power on', alreadyInPlace: false },
    { type: 'task-done', taskId: id, at: 6 },
  ] as TaskEvent[];

/**
 * A runner whose start request sends the task's events before it answers, as a runner does for a
 * client that asked to follow the task it starts; it refuses `tasks.follow` (there is no need).
 */
function startingRunner(answer: { taskId: string; followed?: true }, events: TaskEvent[]) {
  const listeners = new Set<(e: TaskEvent) => void>();
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  const client = {
    onEvent: (l: (e: TaskEvent) => void) => (listeners.add(l), () => listeners.delete(l)),
    onClose: () => () => undefined,
    call: async (method: string, params: Record<string, unknown>) => {
      calls.push({ method, params });
      if (method === 'tasks.get') return task('done', [['Power on', 'done']]);
      if (method !== 'host.power') throw new Error(`${method} was not expected`);
      if (params['follow']) for (const e of events) for (const l of [...listeners]) l(e);
      return answer;
    },
  } as unknown as RunnerClient;
  return { client, calls };
}

describe('a command following the task it starts from its creation', () => {
  it('prints the whole story from the events that came with the answer, without reading the record', async () => {
    const { sink, out } = io();
    const other = stream('t-2').slice(0, 2);
    const { client, calls } = startingRunner({ taskId: 't-1', followed: true }, [...other, ...stream('t-1')]);
    const { task: started } = await startTask(client, false, (follow) =>
      client.call('host.power', { host: 'r01-n001', ...follow } as never),
    );
    expect(started.events?.map((e) => e.taskId)).toEqual(Array(6).fill('t-1'));
    const code = await followOrDetach(client, started, sink, {});
    expect(code).toBe(0);
    expect(out.stderr).toContain('[1] Power on\n    ipmi → Chassis Control: power up');
    expect(calls.map((c) => c.method)).toEqual(['host.power', 'tasks.get']);
    expect(calls[0]!.params['follow']).toBe(true);
  });

  it('reads the record when the runner did not subscribe it, and does not ask to follow when detaching', async () => {
    const { client, calls } = startingRunner({ taskId: 't-1' }, stream('t-1'));
    const { task: started } = await startTask(client, false, (follow) =>
      client.call('host.power', { ...follow } as never),
    );
    expect(started).toEqual({ id: 't-1' });
    const detached = await startTask(client, true, (follow) =>
      client.call('host.power', { ...follow } as never),
    );
    expect(detached.task).toEqual({ id: 't-1' });
    expect(calls.map((c) => c.params['follow'])).toEqual([true, undefined]);
  });
});

describe('the steps a command prints', () => {
  const created = (id: string, steps: string[]) =>
    ({ type: 'task-created', taskId: id, at: 1, kind: 'instance.create', target: {}, steps }) as TaskEvent;
  const log = (index: number, text: string) =>
    ({ type: 'log', taskId: 't-1', at: 2, level: 'info', index, text, source: 'engine' }) as TaskEvent;
  const started = (index: number, title: string) =>
    ({ type: 'step-started', taskId: 't-1', at: 3, index, title, attempt: 1 }) as TaskEvent;

  it("heads a step's checks with that step, not the one before, and keeps [N] for a step that began", async () => {
    const { sink, out } = io();
    const events = [
      created('t-1', ['Check constraints', 'ToR ports to the PXE VLAN', 'Allocate', 'Tenant VLANs']),
      started(0, 'Check constraints'),
      log(0, 'r01-n009: 2 ToR NIC(s)'),
      log(1, 'switch tor-r01 1/1/17: untagged 10, no tagged VLAN'),
      log(1, 'ToR ports to the PXE VLAN: already in place; not run'),
      {
        type: 'step-done',
        taskId: 't-1',
        at: 4,
        index: 1,
        title: 'ToR ports to the PXE VLAN',
        alreadyInPlace: true,
      },
      started(2, 'Allocate'),
      log(2, 'MaaS POST machines/?op=allocate'),
      log(3, 'switch tor-r01 1/1/17: untagged 10'),
      started(3, 'Tenant VLANs'),
      log(3, 'switch tor-r01: configure'),
      { type: 'task-done', taskId: 't-1', at: 5 },
    ] as TaskEvent[];
    const code = await followOrDetach(runner(task('done', [])), { id: 't-1', events }, sink, {});
    expect(code).toBe(0);
    expect(out.stderr).toBe(
      [
        '[1] Check constraints',
        '    r01-n009: 2 ToR NIC(s)',
        '  [2] ToR ports to the PXE VLAN: checked before it runs',
        '    switch tor-r01 1/1/17: untagged 10, no tagged VLAN',
        '    ToR ports to the PXE VLAN: already in place; not run',
        '[3] Allocate',
        '    MaaS POST machines/?op=allocate',
        '  [4] Tenant VLANs: checked before it runs',
        '    switch tor-r01 1/1/17: untagged 10',
        '[4] Tenant VLANs',
        '    switch tor-r01: configure',
        '',
      ].join('\n'),
    );
  });

  it('adds no heading to the log of the step a followed record shows under way', async () => {
    const { sink, out } = io();
    const now = task('running', [
      ['Check constraints', 'done'],
      ['Allocate', 'running'],
    ]);
    let emit!: (e: TaskEvent) => void;
    const client = {
      onEvent: (l: (e: TaskEvent) => void) => ((emit = l), () => undefined),
      onClose: () => () => undefined,
      call: async (method: string) => {
        if (method === 'tasks.follow') {
          setImmediate(() => {
            emit(log(1, 'MaaS POST machines/?op=allocate'));
            emit({ type: 'task-done', taskId: 't-1', at: 5 } as TaskEvent);
          });
          return now;
        }
        return task('done', [
          ['Check constraints', 'done'],
          ['Allocate', 'done'],
        ]);
      },
    } as unknown as RunnerClient;
    expect(await followOrDetach(client, 't-1', sink, {})).toBe(0);
    expect(out.stderr).toContain('[2] Allocate ▶\n    MaaS POST machines/?op=allocate\n');
  });
});
