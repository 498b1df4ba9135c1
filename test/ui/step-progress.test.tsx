import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { TaskPane } from '../../components/TaskPane.tsx';
import {
  formatElapsed,
  maasProgressText,
  runningStep,
  runningStepLine,
} from '../../components/step-progress.ts';
import type { StepProgress } from '../../state/runner-task-feed.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { waitForStatus } from '../../src/runner/workflows/wait.ts';
import type { StepProgressFacts } from '../../src/runner/tasks/types.ts';
import { ctx, fakes } from '../workflows/fakes.ts';
import { fakeTask } from './harness.tsx';

afterEach(() => cleanup());

/**
 * A long MaaS phase moves on screen (issue 24, finding 6 of issue 19): a 6-minute disk erase shows
 * its running time and MaaS's own word, the same facts in the dashboard's task pane and in the line
 * a CLI following the task draws.
 */
const STARTED = Date.parse('2026-01-01T00:10:00.000Z');
const erase = fakeTask({
  id: 't-destroy',
  kind: 'instance.destroy',
  target: { hostname: 'r01-n004' },
  createdAt: '2026-01-01T00:09:30.000Z',
  steps: [
    { title: 'Power off', state: 'done', attempts: 1 },
    { title: 'ToR ports back to the PXE VLAN', state: 'done', attempts: 1 },
    {
      title: 'Release with full erase',
      state: 'running',
      attempts: 1,
      startedAt: new Date(STARTED).toISOString(),
    },
    { title: 'Forget the instance', state: 'pending', attempts: 0 },
  ],
  log: [],
});
const erasing: StepProgress = {
  index: 2,
  fraction: 0,
  maas: { status: 'Disk erasing', message: 'Erasing disks', event: 'Performing release - erase' },
};
const layout = { placement: 'beside' as const, height: 8, width: 100, card: true };

function pane(now: number, progress: StepProgress) {
  return (
    <TaskPane
      tasks={[erase]}
      layout={layout}
      selected={-1}
      now={now}
      progress={new Map([['t-destroy', progress]])}
      maasStatus={new Map([['r01-n004', 'Releasing']])}
      hint="W pick"
    />
  );
}

describe('a long MaaS phase in the task pane and the CLI', () => {
  it('the pane shows the step time moving and MaaS status, message and latest event through the erase', () => {
    const h = render(pane(STARTED + 60_000, erasing));
    let frame = h.lastFrame() ?? '';
    expect(frame).toContain('✓✓▶· Release with full erase · 1m00s');
    expect(frame).toContain('MaaS Disk erasing: Erasing disks · Performing release - erase');
    h.rerender(
      pane(STARTED + 5 * 60_000 + 7_000, { ...erasing, maas: { ...erasing.maas!, event: 'Erased' } }),
    );
    frame = h.lastFrame() ?? '';
    expect(frame).toContain('Release with full erase · 5m07s');
    expect(frame).toContain('MaaS Disk erasing: Erasing disks · Erased');
  });

  it('the CLI line holds the same facts: step, bar over the steps, time, MaaS', () => {
    const r = runningStep(erase, erasing, STARTED + 61_000)!;
    expect(r).toMatchObject({ number: 3, count: 4, title: 'Release with full erase', elapsedMs: 61_000 });
    expect(runningStepLine(r, 8)).toBe(
      '[3/4] Release with full erase ████░░░░ 1m01s · MaaS Disk erasing: Erasing disks · Performing release - erase',
    );
    // With a history's estimate the step's own share moves the bar, and the time says against what.
    const withEstimate = runningStep(
      erase,
      { ...erasing, fraction: 0.5, estimateMs: 360_000 },
      STARTED + 180_000,
    )!;
    expect(runningStepLine(withEstimate, 8)).toMatch(
      /^\[3\/4\] Release with full erase █████░░░ 3m00s of ~6m00s/,
    );
    expect(maasProgressText({ status: 'Deploying' })).toBe('MaaS Deploying');
    expect(formatElapsed(6 * 60_000)).toBe('6m00s');
  });

  it('a MaaS wait reports MaaS status, status message and latest event after each poll', async () => {
    const f = fakes();
    f.machines.set('abc123', {
      status: NODE_STATUS.DISK_ERASING,
      status_name: 'Disk erasing',
      status_message: 'Erasing disks',
    });
    let polls = 0;
    (f.deps.maas as unknown as { queryEvents: unknown }).queryEvents = async (q: { after?: number }) => {
      if (q.after === undefined) return { events: [{ id: 1, type: 'old', description: '' }] };
      // The second poll finds the machine Ready: the erase is over.
      if (++polls === 2) f.machines.set('abc123', { status: NODE_STATUS.READY, status_name: 'Ready' });
      return { events: polls === 1 ? [{ id: 2, type: 'Disk erasing', description: 'wiping sda' }] : [] };
    };
    const c = ctx({});
    const seen: { fraction: number; facts: StepProgressFacts | undefined }[] = [];
    await waitForStatus(f.deps, {
      systemId: 'abc123',
      hostname: 'r01-n004',
      want: [NODE_STATUS.READY],
      via: [NODE_STATUS.DISK_ERASING],
      timeoutMs: 60_000,
      what: 'releasing',
      signal: c.signal,
      log: c.log,
      progress: (fraction, _text, facts) => seen.push({ fraction, facts }),
    });
    expect(seen[0]).toEqual({
      fraction: 0,
      facts: {
        maas: { status: 'Disk erasing', message: 'Erasing disks', event: 'Disk erasing - wiping sda' },
      },
    });
    // No estimate, no invented percentage: the fraction stays put, MaaS's word changes.
    expect(seen.every((s) => s.fraction === 0 && s.facts?.estimateMs === undefined)).toBe(true);
    expect(seen.at(-1)!.facts!.maas!.status).toBe('Ready');
  });
});
