import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SHOW_AFTER_MS, WaitLine, waitLineStream } from '../../src/cli/wait-line.ts';
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

  it("names a switch or BMC read through the runner after its target, with that peer's deadline", () => {
    const tty = new TtyRecorder();
    const env = { MAAS_URL: '', RACKPILOT_SWITCH_TIMEOUT: '3', RACKPILOT_BMC_TIMEOUT: '2' };
    const ctx = new CommandContext({ stdout: tty, stderr: tty }, env, { kind: 'cli' });
    const runner: Pick<RunnerClient, 'showWait' | 'watch'> = { showWait: undefined, watch: undefined };
    ctx.observe(runner);
    const cases = [
      [
        'switch.port',
        { switch: 'tor-r01', port: '1/1/1' },
        'waiting for tor-r01 (login, show port)',
        'RACKPILOT_SWITCH_TIMEOUT',
        6000,
      ],
      [
        'switch.vlans',
        { switch: 'tor-r02' },
        'waiting for tor-r02 (login, show vlan)',
        'RACKPILOT_SWITCH_TIMEOUT',
        6000,
      ],
      [
        'switch.mac',
        { switch: 'tor-r03', mac: '02:00:00:00:00:01' },
        'waiting for tor-r03 (login, MAC table)',
        'RACKPILOT_SWITCH_TIMEOUT',
        6000,
      ],
      [
        'host.bmcRead',
        { host: 'r01-n004', read: 'power' },
        'waiting for the BMC of r01-n004',
        'RACKPILOT_BMC_TIMEOUT',
        4000,
      ],
    ] as const;
    for (const [method, params, label, setting, ms] of cases) {
      const wait = runner.watch!(method, params);
      vi.advanceTimersByTime(SHOW_AFTER_MS + 10);
      expect(tty.text).toContain(label);
      expect(wait?.deadline).toMatchObject({ setting, ms });
      wait?.done();
    }
    // The switch list is the runner's own rack file: no gear, no deadline.
    expect(runner.watch!('switch.list', {})?.deadline).toBeUndefined();
    void ctx.close();
  });

  it('says elapsed time in seconds, then minutes', () => {
    expect(formatElapsed(999)).toBe('0s');
    expect(formatElapsed(59_999)).toBe('59s');
    expect(formatElapsed(125_000)).toBe('2m05s');
    expect(formatElapsed(3_725_000)).toBe('1h02m');
  });
});
