import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatherDoctorFacts } from '../../src/runner/doctor/gather.ts';
import { diagnose } from '../../src/runner/doctor/diagnose.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { until } from '../e2e/helpers.ts';
import { openTroubleshootBench, type TroubleshootBench } from './harness.ts';

/**
 * A full disk erase on the lab, slow and still progressing: the lab's MaaS takes as long as its
 * disks need (their size at a plain disk's write rate, scaled by the lab's clock); the doctor
 * expects a duration from the disk sizes, names no cause while the erase is within it — even past
 * the generic wait of an erase — and calls it stalled only once it is far past what its disks take.
 */
const SCALE = 0.002;
let bench: TroubleshootBench;

beforeAll(async () => {
  bench = await openTroubleshootBench(
    { hosts: 2, racks: 1, seed: 3, timeScale: SCALE },
    { ipmi: { timeoutMs: 150, retries: 1 }, settings: { pollMs: 50 } },
  );
}, 60_000);

afterAll(async () => {
  await bench?.close();
});

describe('a full erase of big disks on the lab', () => {
  it('is slow but progressing: no cause, its expected duration from the disk sizes; stalled only far past it', async () => {
    const { tl, op } = bench;
    const x = tl.lab.spec.hosts[0]!.hostname;
    const m = tl.lab.maas.machines.byHostname(x)!;
    await op.site.maas.allocate(m.systemId);
    await op.site.maas.release(m.systemId, { erase: 'full', comment: 'tenant left' });
    const tctx = { site: op.site, wb: op.wb };
    let facts = await gatherDoctorFacts(tctx, x);
    await until(
      async () => {
        facts = await gatherDoctorFacts(tctx, x);
        return diagnose({ ...facts, timeScale: SCALE }).timeline.stages.at(-1)?.id === 'erasing';
      },
      `${x} erasing its disks`,
      30_000,
    );
    expect(m.status).toBe(NODE_STATUS.DISK_ERASING);
    const at = (lateS: number) => diagnose({ ...facts, timeScale: SCALE, now: facts.now + lateS * 1000 });

    // Its disks (MaaS's `storage`, in MB): 960 GB at the assumed 100 MiB/s, on the lab's clock.
    const bytes = Math.round(m.storageBytes / 1e6) * 1e6;
    const now = at(0);
    expect(now.cause).toBeNull();
    expect(now.timeline.erase).toMatchObject({ bytes, rateFrom: 'assumed' });
    const expectedS = now.timeline.erase!.expectedS;
    expect(expectedS).toBe(Math.round((bytes / (100 * 1024 * 1024)) * SCALE));
    expect(now.summary).toMatch(
      /^Disk erasing: erase on time: "erasing disks" for .*, expected about .* for its disks; next: disks erased$/,
    );

    // Past an erase's generic two hours (scaled), within what its disks take: still no cause.
    const slow = at(7200 * SCALE + 10);
    expect(slow.timeline.stages.at(-1)!.durationS).toBeGreaterThan(7200 * SCALE);
    expect(slow.timeline.stalled).toBe(false);
    expect(slow.cause).toBeNull();

    // Far past what its disks take: the erase stalled.
    const stalled = at(expectedS * 3);
    expect(stalled.cause?.id).toBe('erase-stalled');
    expect(stalled.cause!.sentence).toMatch(/disk erase has run .*, past the .* its 960 GB should take/);

    // And the lab's erase does end, after about the time its disks need.
    await until(() => m.status === NODE_STATUS.READY, `${x} Ready after its erase`, 120_000);
  }, 180_000);
});
