import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyHistory, estimateOf, learn } from '../../src/runner/doctor/history.ts';
import { startCreate } from '../../src/runner/site/provision.ts';
import type { TaskEvent } from '../../src/runner/tasks/events.ts';
import {
  addHost,
  expectDone,
  offeringFor,
  openOperator,
  seedCatalog,
  startTestLab,
  type Operator,
  type TestLab,
} from '../e2e/helpers.ts';

/**
 * A long wait on MaaS takes its estimate from the site's stage history (what the doctor learned of
 * finished operations): the median of the whole operations, else the sum of the stages' typical
 * times; the task log says which. Without enough history there is no estimate at all.
 */
const op1 = (id: number, operation: string, stages: [string, number][]) => ({
  startEventId: id,
  operation,
  stages: stages.map(([s, durationS]) => ({ id: s, durationS })),
});

describe('estimates from the stage history', () => {
  it('none before three finished operations', () => {
    let h = emptyHistory();
    expect(estimateOf(h, 'deploy')).toBeNull();
    h = learn(
      h,
      op1(1, 'deploy', [
        ['requested', 10],
        ['installer', 290],
      ]),
    );
    h = learn(
      h,
      op1(2, 'deploy', [
        ['requested', 20],
        ['installer', 340],
      ]),
    );
    expect(estimateOf(h, 'deploy')).toBeNull();
    h = learn(
      h,
      op1(3, 'deploy', [
        ['requested', 30],
        ['installer', 500],
      ]),
    );
    expect(estimateOf(h, 'deploy')).toEqual({
      seconds: 360,
      from: "the median of this site's last 3 deploy operations (stage history)",
    });
    // Learned once per operation: the same start event adds nothing.
    expect(learn(h, op1(3, 'deploy', [['requested', 9999]]))).toBe(h);
    expect(estimateOf(h, 'erase')).toBeNull();
  });

  it("a history older than the operations' totals: the sum of the typical stage times", () => {
    const h = {
      ...emptyHistory(),
      stages: { 'erase/requested': [10, 12, 14], 'erase/erasing': [100, 200, 300], 'deploy/pxe': [5] },
    };
    expect(estimateOf(h, 'erase')).toEqual({
      seconds: 212,
      from: "the sum of this site's typical erase stage times (stage history, 3+ samples each)",
    });
    // One stage seen too rarely: no estimate rather than a short one.
    expect(estimateOf(h, 'deploy')).toBeNull();
  });
});

let tl: TestLab;
let op: Operator;
beforeAll(async () => {
  tl = await startTestLab({ hosts: 3, racks: 1, seed: 5 });
  const storePath = join(mkdtempSync(join(tl.dir, 'op-')), 'store.json');
  // Three deploys the doctor learned here: 5, 6 and 7 minutes.
  const history = { ...emptyHistory(), operations: { deploy: [300, 360, 420] } };
  writeFileSync(`${storePath}.stage-history.json`, JSON.stringify(history), { mode: 0o600 });
  op = await openOperator(tl, { storePath });
  await seedCatalog(op);
}, 60_000);
afterAll(async () => {
  await op?.close();
  await tl?.close();
});

describe('a deploy in the lab', () => {
  it("its wait for Deployed moves against the site's typical deploy, and says where the figure comes from", async () => {
    const h = tl.lab.spec.hosts[0]!;
    await addHost(op, tl, h);
    const progress: Extract<TaskEvent, { type: 'step-progress' }>[] = [];
    const off = op.wb.engine.subscribe((e) => {
      if (e.type === 'step-progress') progress.push(e);
    });
    try {
      const { taskId } = await startCreate(op.wb, op.site.maas, {
        name: 'vm-est',
        offering: offeringFor(h),
        template: 'jammy',
        networks: ['tenant-a'],
        host: h.hostname,
      });
      const task = await op.wb.engine.wait(taskId);
      expectDone(task);
      const wait = task.steps.findIndex((s) => /until Deployed|report Deployed/i.test(s.title));
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(task.log.map((l) => l.text)).toContain(
        "estimate: ~6m00s for the deploy, the median of this site's last 3 deploy operations (stage history)",
      );
      const mine = progress.filter((e) => e.taskId === taskId && e.index === wait);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((e) => e.estimateMs === 360_000)).toBe(true);
      // Other steps waited on nothing the history knows: no estimate there.
      expect(
        progress
          .filter((e) => e.taskId === taskId && e.index !== wait)
          .every((e) => e.estimateMs === undefined),
      ).toBe(true);
    } finally {
      off();
    }
  }, 120_000);
});
