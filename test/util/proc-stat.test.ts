import { describe, expect, it } from 'vitest';
import { mainThreadSched, processCpuMs, processRssMb, threadClock } from '../../bench/support/proc-stat.ts';

/**
 * Keeps this thread on a core until it has used `ms` of CPU: this thread's own clock, not the
 * process's, which also counts V8's background threads (a GC helper's 11 ms once left the main
 * thread at 189 ms of a process's 200).
 */
function burn(ms: number): void {
  const start = process.threadCpuUsage();
  for (;;) {
    const used = process.threadCpuUsage(start);
    if ((used.user + used.system) / 1000 >= ms) return;
  }
}

describe('the benches read another process from /proc', () => {
  it('counts CPU on the main thread, where JavaScript ran', () => {
    const clock = threadClock(process.pid);
    const total0 = processCpuMs(process.pid);
    const sched0 = mainThreadSched(process.pid);
    burn(200);
    const { threads: d, mainWaitedMs } = clock();
    // /proc counts in 10 ms ticks: 200 ms of CPU shows as 190 ms or more, on the main thread.
    expect(d.main).toBeGreaterThanOrEqual(190);
    expect(processCpuMs(process.pid) - total0).toBeGreaterThanOrEqual(190);
    expect(d.libuv).toBeGreaterThanOrEqual(0);
    expect(d.other).toBeGreaterThanOrEqual(0);
    const sched1 = mainThreadSched(process.pid);
    if (sched0 && sched1) {
      expect(sched1.ranMs - sched0.ranMs).toBeGreaterThanOrEqual(190);
      expect(sched1.waitedMs).toBeGreaterThanOrEqual(sched0.waitedMs);
      expect(mainWaitedMs).toBeGreaterThanOrEqual(0);
    } else expect(mainWaitedMs).toBeUndefined();
  });

  it('reads the resident set in megabytes', () => {
    const rss = processRssMb(process.pid);
    const own = process.memoryUsage().rss / 1048576;
    expect(rss).toBeGreaterThan(own * 0.8);
    expect(rss).toBeLessThan(own * 1.25);
  });
});
