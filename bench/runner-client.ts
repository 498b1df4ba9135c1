/**
 * One client process of the runner bench: connects to the site's runner like any `rackpilot`
 * command and runs its share of create+destroy pairs, `inFlight` at a time, each task followed by
 * events from its creation (the start request says `follow`, as the CLI's do). Prints one JSON
 * line: failures, CPU, the latency of every event it received (from the engine's emit, stamped in
 * the runner, to its arrival here), and how long each start took to show its task (request sent →
 * the task's `task-created` here).
 */
import { connectRunner } from '../src/client/runner-client.ts';
import { FINAL_EVENTS } from '../src/protocol/events.ts';
import type { TaskEvent } from '../src/runner/tasks/events.ts';
import { pairRequest, warmUpName } from './support/pairs.ts';

interface Job {
  storePath: string;
  site: string;
  indices: number[];
  /** Warm-up pairs, run before the client says it is ready, each on its own host (by index). */
  warmUp: number[];
  /** The lab's hosts, in the order of `offerings`. */
  hosts: string[];
  offerings: string[];
  inFlight: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
const latencies: number[] = [];
const finals = new Map<string, (e: TaskEvent) => void>();
const early = new Map<string, TaskEvent>();
/** When each task's `task-created` arrived here (performance.now()). */
const createdAt = new Map<string, number>();
/** How long each start took to show its task: request sent → its `task-created` here (ms). */
const startMs: number[] = [];

/** The task's final event: the stream since its creation (the start asked to follow it) holds it. */
function finished(
  started: { taskId: string; followed?: true | undefined },
  asked: number,
): Promise<TaskEvent['type']> {
  const id = started.taskId;
  if (!started.followed)
    return Promise.reject(new Error(`task ${id}: the runner did not subscribe this client`));
  const shown = createdAt.get(id);
  if (shown !== undefined) startMs.push(shown - asked);
  createdAt.delete(id);
  const seen = early.get(id);
  if (seen) return Promise.resolve(seen.type);
  return new Promise((resolve) => finals.set(id, (e) => resolve(e.type)));
}

const client = await connectRunner({
  storePath: job.storePath,
  site: job.site,
  client: { kind: 'cli', readOnly: false },
  env: process.env,
  start: false,
});
client.onEvent((e) => {
  latencies.push(Date.now() - e.at);
  if (e.type === 'task-created') createdAt.set(e.taskId, performance.now());
  if (!FINAL_EVENTS.has(e.type)) return;
  const f = finals.get(e.taskId);
  if (f) {
    finals.delete(e.taskId);
    f(e);
  } else early.set(e.taskId, e);
});

/** One create+destroy pair (on the given host, else the plan's pick); resolves to whether both tasks were done. */
async function pair(i: number, name: string, host?: string): Promise<boolean> {
  try {
    // As `rackpilot deploy --yes` and `destroy --confirm` do: planned, then started with the
    // plan's digest (the runner refuses a change without one).
    const req = pairRequest(i, name, job.offerings, host);
    const planned = await client.call('instance.plan', req);
    const created = performance.now();
    const c = await client.call('instance.create', {
      ...req,
      host: planned.host,
      mac: planned.mac,
      plan: planned.digest,
      follow: true,
    });
    if ((await finished(c, created)) !== 'task-done') return false;
    const destroy = { verb: 'destroy', instance: name } as const;
    const shown = await client.call('action.plan', { action: 'instance', ...destroy });
    const destroyed = performance.now();
    const d = await client.call('instance.action', { ...destroy, plan: shown.digest, follow: true });
    return (await finished(d, destroyed)) === 'task-done';
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n`);
    return false;
  }
}

/** Runs pairs from the queue, `job.inFlight` at a time; resolves to how many failed. */
async function pairs(
  queue: number[],
  name: (i: number) => string,
  host?: (i: number) => string,
): Promise<number> {
  let failed = 0;
  await Promise.all(
    Array.from({ length: job.inFlight }, async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift())
        if (!(await pair(i, name(i), host?.(i)))) failed++;
    }),
  );
  return failed;
}

// Pinned: a plan's own pick is passed over by the next picks for a while, and the clock's pairs pick.
if ((await pairs([...job.warmUp], warmUpName, (i) => job.hosts[i]!)) > 0) {
  process.stderr.write('the warm-up failed\n');
  process.exit(1);
}
// Connected and warm: the bench starts its clock once every client is, and says go on stdin.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
// What is measured starts here: the warm-up's events and follows are not.
latencies.length = 0;
startMs.length = 0;
const cpu0 = process.cpuUsage();
const failed = await pairs([...job.indices], (i) => `vm${i}`);
const cpu = process.cpuUsage(cpu0);
client.close();
process.stdout.write(
  JSON.stringify({ failed, cpuMs: (cpu.user + cpu.system) / 1000, latencies, startMs }) + '\n',
);
