/**
 * Instances created and destroyed in the lab at time scale 0, through the product's own path: the
 * site's real MaaS (HTTP), switch (SSH) and IPMI (RMCP+) clients against a lab on loopback, the
 * task engine journaling every step to the store, the planner picking hosts. Prints the total wall
 * time and CPU, MaaS requests per instance by kind, and per step: how often it ran, wall time
 * (mean, p95). The lab runs in this process too, so the CPU figure covers both sides.
 *
 * BENCH_INSTANCES (default 500) sets the count; BENCH_LARGE=1 adds a run of 2,000 and prints the
 * two side by side, per instance, to show the cost stays flat as the count grows.
 */
import { join } from 'node:path';
import { startCreate } from '../src/runner/site/provision.ts';
import type { TaskEvent } from '../src/runner/tasks/index.ts';
import { openBenchWorkbench, seedBenchStore, startBenchSite } from './bench-site.ts';

const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 500);
const LARGE = process.env['BENCH_LARGE'] === '1' ? 2000 : 0;
/** Creates (then destroys) in flight at once. */
const IN_FLIGHT = 100;
const GOAL_MS = 25_000;
const GOAL_CPU_PER_STEP_MS = 3;
const GOAL_REQUESTS_PER_INSTANCE = 24;

interface Figures {
  instances: number;
  failed: number;
  wallMs: number;
  cpuMs: number;
  stepRuns: number;
  requests: number;
  byKind: Map<string, number>;
  perStep: Map<string, number[]>;
  store: { fileWrites: number; journalAppends: number; bytes: number };
}

async function measure(instances: number): Promise<Figures> {
  const bs = await startBenchSite(instances, 'rp-bench-wf-');
  const { lab } = bs;
  const { site, wb, close } = await openBenchWorkbench(bs, join(bs.dir, 'store.json'), IN_FLIGHT);
  try {
    const { store, engine } = wb;
    // Setup, not measured: every lab host added (adopted from MaaS).
    const t0 = performance.now();
    const offerings = await seedBenchStore(bs, wb);
    console.log(`setup: ${instances} hosts added in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Per-step wall time from the engine's events.
    const startedAt = new Map<string, number>();
    const perStep = new Map<string, number[]>();
    let stepRuns = 0;
    const off = engine.subscribe((e: TaskEvent) => {
      if (e.type === 'step-started') startedAt.set(`${e.taskId}#${e.index}`, performance.now());
      else if (e.type === 'step-done' || e.type === 'step-failed') {
        const k = `${e.taskId}#${e.index}`;
        const s = startedAt.get(k);
        // A step found already in place (verify() said so) never started: it is not a step run.
        if (s === undefined) return;
        startedAt.delete(k);
        stepRuns++;
        const title = e.title.replace(/with \w+ disk erase/, 'with … disk erase');
        const list = perStep.get(title) ?? [];
        list.push(performance.now() - s);
        perStep.set(title, list);
      }
    });

    const requests0 = lab.maas.stats.requests;
    const kinds0 = new Map(lab.maas.stats.byKind);
    const store0 = store.stats();
    let failed = 0;
    let next = 0;
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    // Each worker: create (the planner picks the host), then destroy; IN_FLIGHT workers at once.
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < instances; i = next++) {
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
    const st = store.stats();
    const byKind = new Map<string, number>();
    for (const [k, n] of lab.maas.stats.byKind)
      if (n - (kinds0.get(k) ?? 0) > 0) byKind.set(k, n - (kinds0.get(k) ?? 0));
    return {
      instances,
      failed,
      wallMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      stepRuns,
      requests: lab.maas.stats.requests - requests0,
      byKind,
      perStep,
      store: {
        fileWrites: st.fileWrites - store0.fileWrites,
        journalAppends: st.journalAppends - store0.journalAppends,
        bytes: st.bytes - store0.bytes,
      },
    };
  } finally {
    await close();
    await bs.close();
  }
}

const met = (ok: boolean) => (ok ? 'met' : 'MISSED');

function printDetails(f: Figures): void {
  const cpuPerStep = f.cpuMs / f.stepRuns;
  const perInstance = f.requests / f.instances;
  console.log(
    `${f.instances} create+destroy, ${IN_FLIGHT} in flight, ${f.failed} failed: ${(f.wallMs / 1000).toFixed(1)} s wall` +
      // The wall goal is the issue's, for 500; a larger row is compared per instance instead.
      (f.instances === 500 ? ` (goal < ${GOAL_MS / 1000} s: ${met(f.wallMs < GOAL_MS)})` : '') +
      `, ${(f.cpuMs / 1000).toFixed(1)} s CPU (${((f.cpuMs / f.wallMs) * 100).toFixed(0)}% of one core), ` +
      `${(f.instances / (f.wallMs / 1000)).toFixed(1)} instances/s`,
  );
  console.log(
    `${f.stepRuns} steps run: ${cpuPerStep.toFixed(2)} ms CPU per step, client and lab ` +
      `(goal < ${GOAL_CPU_PER_STEP_MS} ms: ${met(cpuPerStep < GOAL_CPU_PER_STEP_MS)}); ` +
      `${f.requests} MaaS requests, ${perInstance.toFixed(1)} per instance ` +
      `(goal ≤ ${GOAL_REQUESTS_PER_INSTANCE}: ${met(perInstance <= GOAL_REQUESTS_PER_INSTANCE)})`,
  );
  console.log('MaaS requests per instance, by kind:');
  for (const [k, n] of [...f.byKind].sort((a, b) => b[1] - a[1]))
    console.log(`  ${(n / f.instances).toFixed(2).padStart(6)}  ${k}`);
  console.log(
    `store: ${f.store.fileWrites} whole-file writes, ${f.store.journalAppends} journal appends, ` +
      `${(f.store.bytes / 1e6).toFixed(0)} MB written`,
  );
  console.log('step                                                          runs   mean ms    p95 ms');
  for (const [title, list] of f.perStep) {
    const sorted = [...list].sort((a, b) => a - b);
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const p95 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
    console.log(
      `${title.slice(0, 60).padEnd(60)} ${String(sorted.length).padStart(6)} ${mean.toFixed(1).padStart(9)} ${p95.toFixed(1).padStart(9)}`,
    );
  }
}

/** One row per count: per-instance wall, CPU and requests, and each against the first row. */
function printScaling(rows: Figures[]): void {
  const base = rows[0]!;
  const per = (f: Figures) => ({
    wall: f.wallMs / f.instances,
    cpu: f.cpuMs / f.instances,
    step: f.cpuMs / f.stepRuns,
    req: f.requests / f.instances,
  });
  const b = per(base);
  console.log(
    'instances   wall s   wall ms/inst   CPU ms/inst   CPU ms/step   requests/inst   ratio to first row',
  );
  for (const f of rows) {
    const p = per(f);
    console.log(
      `${String(f.instances).padStart(9)} ${(f.wallMs / 1000).toFixed(1).padStart(8)} ${p.wall.toFixed(1).padStart(14)} ` +
        `${p.cpu.toFixed(1).padStart(13)} ${p.step.toFixed(2).padStart(13)} ${p.req.toFixed(1).padStart(15)}   ` +
        `wall ${(p.wall / b.wall).toFixed(2)}×, CPU ${(p.cpu / b.cpu).toFixed(2)}×, requests ${(p.req / b.req).toFixed(2)}×`,
    );
  }
}

export async function run(): Promise<void> {
  const main = await measure(INSTANCES);
  printDetails(main);
  if (!LARGE) {
    console.log('(BENCH_LARGE=1 adds a 2,000 create+destroy row beside this one)');
    return;
  }
  const large = await measure(LARGE);
  printDetails(large);
  printScaling([main, large]);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
