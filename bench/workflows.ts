/**
 * 500 instances created and destroyed in the lab at time scale 0, through the product's own path:
 * the site's real MaaS (HTTP), switch (SSH) and IPMI (RMCP+) clients against a lab on loopback,
 * the task engine journaling every step to the store, the planner picking hosts. Prints the total
 * wall time and CPU, and per step: how often it ran, wall time (mean, p95), and CPU per step run.
 * The lab runs in this process too, so the CPU figure covers both sides.
 */
import { join } from 'node:path';
import { startCreate } from '../src/runner/site/provision.ts';
import type { TaskEvent } from '../src/runner/tasks/index.ts';
import { openBenchWorkbench, seedBenchStore, startBenchSite } from './bench-site.ts';

const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 500);
/** Creates (then destroys) in flight at once. */
const IN_FLIGHT = 100;
const GOAL_MS = 60_000;

export async function run(): Promise<void> {
  const bs = await startBenchSite(INSTANCES, 'rp-bench-wf-');
  const { lab } = bs;
  const { site, wb, close } = await openBenchWorkbench(bs, join(bs.dir, 'store.json'), IN_FLIGHT);
  try {
    const { store, engine } = wb;
    // Setup, not measured: every lab host added (adopted from MaaS).
    const t0 = performance.now();
    const offerings = await seedBenchStore(bs, wb);
    console.log(`setup: ${INSTANCES} hosts added in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Per-step wall time from the engine's events.
    const startedAt = new Map<string, number>();
    const perStep = new Map<string, number[]>();
    const off = engine.subscribe((e: TaskEvent) => {
      if (e.type === 'step-started') startedAt.set(`${e.taskId}#${e.index}`, performance.now());
      else if (e.type === 'step-done' || e.type === 'step-failed') {
        const k = `${e.taskId}#${e.index}`;
        const s = startedAt.get(k);
        if (s === undefined) return;
        startedAt.delete(k);
        const title = e.title.replace(/with \w+ disk erase/, 'with … disk erase');
        const list = perStep.get(title) ?? [];
        list.push(performance.now() - s);
        perStep.set(title, list);
      }
    });

    const requests0 = lab.maas.stats.requests;
    const store0 = store.stats();
    let failed = 0;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    // Each worker: create (the planner picks the host), then destroy; IN_FLIGHT workers at once.
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < INSTANCES; i = next++) {
          const { instance, host, taskId } = await startCreate(wb, site.maas, {
            name: `vm${i}`,
            offering: offerings[i]!,
            template: 'jammy',
            networks: i % 2 ? ['tenant-a', 'tenant-b'] : ['tenant-a'],
          });
          const created = await engine.wait(taskId);
          if (created.state !== 'done') {
            failed++;
            console.log(`create vm${i} on ${host.hostname}: ${created.state} ${created.error ?? ''}`);
            continue;
          }
          const id = await engine.start(
            'instance.destroy',
            { hostId: host.id, hostname: host.hostname, instanceId: instance.id },
            { instanceId: instance.id },
          );
          const destroyed = await engine.wait(id);
          if (destroyed.state !== 'done') {
            failed++;
            console.log(`destroy vm${i}: ${destroyed.state} ${destroyed.error ?? ''}`);
          }
        }
      }),
    );
    const wallMs = performance.now() - w0;
    const cpu = process.cpuUsage(cpu0);
    off();
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const stepRuns = [...perStep.values()].reduce((a, l) => a + l.length, 0);

    console.log(
      `${INSTANCES} create+destroy, ${IN_FLIGHT} in flight, ${failed} failed: ${(wallMs / 1000).toFixed(1)} s wall ` +
        `(goal < ${GOAL_MS / 1000} s: ${wallMs < GOAL_MS ? 'met' : 'MISSED'}), ` +
        `${(cpuMs / 1000).toFixed(1)} s CPU (${((cpuMs / wallMs) * 100).toFixed(0)}% of one core), ` +
        `${(INSTANCES / (wallMs / 1000)).toFixed(1)} instances/s`,
    );
    console.log(
      `${stepRuns} steps run: ${(cpuMs / stepRuns).toFixed(2)} ms CPU per step (client and lab), ` +
        `${lab.maas.stats.requests - requests0} MaaS requests (${((lab.maas.stats.requests - requests0) / INSTANCES).toFixed(1)} per instance)`,
    );
    const st = store.stats();
    console.log(
      `store: ${st.fileWrites - store0.fileWrites} whole-file writes, ${st.journalAppends - store0.journalAppends} journal appends, ` +
        `${((st.bytes - store0.bytes) / 1e6).toFixed(0)} MB written`,
    );
    console.log('step                                                          runs   mean ms    p95 ms');
    for (const [title, list] of perStep) {
      const sorted = [...list].sort((a, b) => a - b);
      const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
      const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
      console.log(
        `${title.slice(0, 60).padEnd(60)} ${String(sorted.length).padStart(6)} ${mean.toFixed(1).padStart(9)} ${p95.toFixed(1).padStart(9)}`,
      );
    }
  } finally {
    await close();
    await bs.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
