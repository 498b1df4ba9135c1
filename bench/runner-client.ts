/**
 * One client process of the runner bench: connects to the site's runner like any `rackpilot`
 * command and runs its share of create+destroy pairs, `inFlight` at a time, each task followed by
 * events. Prints one JSON line: failures, CPU, the latency of every event it received (from the
 * engine's emit, stamped in the runner, to its arrival here), and how long each tasks.follow took.
 */
import { connectRunner, type RunnerClient } from '../src/client/runner-client.ts';
import { FINAL_EVENTS } from '../src/protocol/events.ts';
import { isSettled } from '../src/protocol/task-states.ts';
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
/** tasks.follow calls not yet answered: the client closes once they are. */
const following = new Set<Promise<void>>();
/** How long each tasks.follow took to answer (ms). */
const followMs: number[] = [];

/**
 * The task's final event, as `rackpilot task follow` reads it: the record tasks.follow answers,
 * then the events after it (a task settled before the follow answered is done by its record).
 */
function finished(client: RunnerClient, id: string): Promise<TaskEvent['type']> {
  const seen = early.get(id);
  if (seen) return Promise.resolve(seen.type);
  return new Promise((resolve, reject) => {
    finals.set(id, (e) => resolve(e.type));
    // The final event can come before this answer, and the pair goes on without waiting for it;
    // the client closes only once every answer is in (closing first rejected the call in flight,
    // and the client died of that rejection in 2 of 20 short runs).
    const asked = performance.now();
    const answer = client.call('tasks.follow', { id }).then(
      (t) => {
        followMs.push(performance.now() - asked);
        if (!isSettled(t.state) || !finals.has(id)) return;
        finals.delete(id);
        resolve(t.state === 'done' ? 'task-done' : 'task-failed');
      },
      (err: unknown) => {
        if (finals.delete(id)) reject(err as Error);
      },
    );
    following.add(answer);
    void answer.finally(() => following.delete(answer));
  });
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
    const c = await client.call('instance.create', {
      ...req,
      host: planned.host,
      mac: planned.mac,
      plan: planned.digest,
    });
    if ((await finished(client, c.taskId)) !== 'task-done') return false;
    const destroy = { verb: 'destroy', instance: name } as const;
    const shown = await client.call('action.plan', { action: 'instance', ...destroy });
    const d = await client.call('instance.action', { ...destroy, plan: shown.digest });
    return (await finished(client, d.taskId)) === 'task-done';
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
await Promise.all(following);
// Connected and warm: the bench starts its clock once every client is, and says go on stdin.
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
// What is measured starts here: the warm-up's events and follows are not.
latencies.length = 0;
followMs.length = 0;
const cpu0 = process.cpuUsage();
const failed = await pairs([...job.indices], (i) => `vm${i}`);
const cpu = process.cpuUsage(cpu0);
await Promise.all(following);
client.close();
process.stdout.write(
  JSON.stringify({ failed, cpuMs: (cpu.user + cpu.system) / 1000, latencies, followMs }) + '\n',
);
