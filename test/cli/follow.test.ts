import { describe, expect, it } from 'vitest';
import { followOrDetach } from '../../src/cli/follow.ts';
import type { CommandIo } from '../../src/cli/io.ts';
import type { RunnerClient } from '../../src/client/runner-client.ts';
import type { Task } from '../../src/protocol/records.ts';

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
