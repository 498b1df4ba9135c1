/**
 * Journal throughput: N hosts each get a create task then a destroy task (20 steps each, two log
 * lines and a small output per step), steps finishing at once as with the lab at time scale 0.
 * Every step boundary is a durable, write-ahead journal write; the figure is how far coalescing
 * lets that go. `BENCH_TASK_HOSTS` and `BENCH_TASK_CONCURRENCY` (comma list) override the defaults.
 *
 * Measured on the 2-CPU build box while shared with other builds (load average 8-15, so disk
 * latency varied 3x between runs), 500 tasks (250 create + 250 destroy): concurrency 1: 9.8-27.8 s,
 * 8: 6.3-8.4 s, 32: 5.2-5.5 s; 1000 tasks: concurrency 1: 31.2 s, 16: 13.0 s. One durable write per
 * step (the 'done' of a step rides on the next step's 'running'). Rewriting the whole store file per
 * journal point instead cost ~6.5 ms each (temp file + fdatasync + rename) against 0.4-2 ms for an
 * append + fdatasync, which is why task changes go to the append-only journal.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/runner/store/store.ts';
import { TaskEngine } from '../src/runner/tasks/engine.ts';
import { scaledClock } from '../src/runner/tasks/clock.ts';
import type { Step } from '../src/runner/tasks/types.ts';

const STEPS = 20;

function steps(kind: string): Step[] {
  return Array.from({ length: STEPS }, (_, n) => ({
    title: `${kind} step ${n + 1}`,
    locks: n === 5 ? ['switch:tor-r01'] : undefined,
    run: async (ctx) => {
      ctx.log(`${kind}: step ${n + 1} talking to the gear`);
      await new Promise<void>((r) => setImmediate(r));
      ctx.log(`${kind}: step ${n + 1} done`);
      return { n, at: Date.now() };
    },
  }));
}

async function once(hosts: number, concurrency: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rp-bench-tasks-'));
  const file = join(dir, 'store.json');
  const store = await openStore(file);
  const engine = new TaskEngine({ store, concurrency, clock: scaledClock(0) });
  engine.define('create', () => steps('create'));
  engine.define('destroy', () => steps('destroy'));
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: hosts }, async (_, h) => {
      const target = { hostname: `r01-n${String(h).padStart(3, '0')}` };
      const c = await engine.start('create', target, { h });
      if ((await engine.wait(c)).state !== 'done') throw new Error('create failed');
      const d = await engine.start('destroy', target, { h });
      if ((await engine.wait(d)).state !== 'done') throw new Error('destroy failed');
    }),
  );
  const ms = performance.now() - t0;
  await store.close();
  const { fileWrites, journalAppends, bytes } = store.stats();
  const writes = fileWrites + journalAppends;
  const tasks = hosts * 2;
  // Durable journal points: task created, running, and per step running + done, then finished.
  const points = tasks * (3 + 2 * STEPS);
  const size = (await stat(file)).size + (await stat(`${file}.journal`)).size;
  console.log(
    `${tasks} tasks x ${STEPS} steps, concurrency ${String(concurrency).padStart(3)}: ${(ms / 1000).toFixed(1)} s, ` +
      `${((tasks * STEPS) / (ms / 1000)).toFixed(0)} steps/s, ${writes} file writes for ${points} journal points ` +
      `(${(points / writes).toFixed(1)} per write; ${fileWrites} of them whole-file rewrites), ${(bytes / 1e6).toFixed(0)} MB written, store + journal ${(size / 1e6).toFixed(1)} MB`,
  );
  await rm(dir, { recursive: true, force: true });
}

export async function run(): Promise<void> {
  const hosts = Number(process.env.BENCH_TASK_HOSTS ?? 250);
  const levels = (process.env.BENCH_TASK_CONCURRENCY ?? '1,8,32').split(',').map(Number);
  for (const c of levels) await once(hosts, c);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
