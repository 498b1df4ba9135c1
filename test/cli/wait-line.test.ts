import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { onWaitLine, SHOW_AFTER_MS, WaitLine, waitLineStream } from '../../src/cli/wait-line.ts';
import { formatElapsed } from '../../components/step-progress.ts';
import { CommandContext } from '../../src/cli/context.ts';
import type { Writable } from 'node:stream';
import type { RunnerClient } from '../../src/client/runner-client.ts';

/** A terminal stream as the spinner library drives it, keeping everything written. */
class TtyRecorder {
  isTTY = true;
  columns = 100;
  text = '';
  write = (s: string) => ((this.text += s), true);
  cursorTo = () => true;
  moveCursor = () => true;
  clearLine = () => ((this.text += '<clear>'), true);
}

let savedCi: string | undefined;
beforeEach(() => {
  savedCi = process.env['CI'];
  delete process.env['CI']; // the spinner library treats CI as "not a terminal"
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
  if (savedCi !== undefined) process.env['CI'] = savedCi;
});

describe('the wait line', () => {
  it('shows nothing for a wait shorter than 300 ms', () => {
    const tty = new TtyRecorder();
    const line = new WaitLine(tty as unknown as Writable);
    const end = line.begin('waiting for MaaS');
    vi.advanceTimersByTime(SHOW_AFTER_MS - 10);
    end();
    vi.advanceTimersByTime(1000);
    expect(tty.text).toBe('');
  });

  it('shows the innermost wait with its elapsed time, and clears the line when the last ends', () => {
    const tty = new TtyRecorder();
    const line = new WaitLine(tty as unknown as Writable);
    const outer = line.begin('starting the runner');
    vi.advanceTimersByTime(SHOW_AFTER_MS + 10);
    expect(tty.text).toMatch(/starting the runner \(0s\)/);
    const inner = line.begin("waiting for MaaS's machine list");
    vi.advanceTimersByTime(2300);
    expect(tty.text).toMatch(/waiting for MaaS's machine list \(2s\)/);
    inner();
    tty.text = '';
    vi.advanceTimersByTime(300);
    expect(tty.text).toMatch(/starting the runner \(2s\)/);
    outer();
    expect(tty.text).toMatch(/<clear>[^]*\u001b\[\?25h|\u001b\[\?25h[^]*<clear>/);
    tty.text = '';
    vi.advanceTimersByTime(1000);
    expect(tty.text).toBe('');
  });

  it('is off with no terminal, with --json, with TERM=dumb', () => {
    const tty = new TtyRecorder();
    expect(waitLineStream(tty, { json: false, env: {} })).toBe(tty);
    expect(waitLineStream({ write: () => true }, { json: false, env: {} })).toBeNull();
    expect(waitLineStream(tty, { json: true, env: {} })).toBeNull();
    expect(waitLineStream(tty, { json: false, env: { TERM: 'dumb' } })).toBeNull();
    expect(waitLineStream(tty, { json: false, env: { CI: 'true' } })).toBeNull();
  });

  it('a --json command on a terminal draws nothing while it waits', () => {
    const tty = new TtyRecorder();
    const ctx = new CommandContext({ stdout: tty, stderr: tty }, {}, { kind: 'cli', json: true });
    ctx.waitLine.begin('waiting for MaaS');
    vi.advanceTimersByTime(5000);
    expect(tty.text).toBe('');
  });

  it('the dashboard keeps its screen: its requests to the runner draw no wait line', () => {
    for (const kind of ['cli', 'tui'] as const) {
      const tty = new TtyRecorder();
      const ctx = new CommandContext({ stdout: tty, stderr: tty }, { MAAS_URL: '' }, { kind: 'cli' });
      if (kind === 'tui') ctx.asDashboard();
      const runner: Pick<RunnerClient, 'showWait' | 'watch'> = { showWait: undefined, watch: undefined };
      ctx.observe(runner);
      const wait = runner.watch!('tasks.list', {});
      vi.advanceTimersByTime(1000);
      wait?.done();
      expect(runner.showWait === undefined, kind).toBe(kind === 'tui');
      expect(tty.text.includes("waiting for the runner's answer (tasks.list)"), kind).toBe(kind === 'cli');
    }
  });

  it('names a direct BMC or switch read after its target while it waits', async () => {
    const tty = new TtyRecorder();
    const line = new WaitLine(tty as unknown as Writable);
    let answer!: (v: string) => void;
    const ipmi = {
      powerStatus: (_t: { name: string }) => new Promise<string>((r) => (answer = r)),
      close: () => 'not watched',
    };
    const watched = onWaitLine(ipmi, line, { powerStatus: (t) => `waiting for the ${t.name}` });
    const read = watched.powerStatus({ name: 'BMC of r01-n004' });
    vi.advanceTimersByTime(SHOW_AFTER_MS + 10);
    expect(tty.text).toMatch(/waiting for the BMC of r01-n004 \(0s\)/);
    answer('on');
    expect(await read).toBe('on');
    expect(tty.text).toMatch(/<clear>/);
    expect(watched.close()).toBe('not watched');
  });

  it('says elapsed time in seconds, then minutes', () => {
    expect(formatElapsed(999)).toBe('0s');
    expect(formatElapsed(59_999)).toBe('59s');
    expect(formatElapsed(125_000)).toBe('2m05s');
    expect(formatElapsed(3_725_000)).toBe('1h02m');
  });
});
