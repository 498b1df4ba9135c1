import { existsSync, readFileSync, statSync, watch } from 'node:fs';
import { z } from 'zod';
import { runnerMain } from '../runner/runner.ts';
import { runnerPaths } from '../config/runner-paths.ts';
import { OperatorError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import type { CommandContext } from './context.ts';
import { etcdCondition, leaseStory } from './etcd-text.ts';
import { findStoreRunner, storeRunners, type StoreRunners } from './runner-find.ts';
import { describeSetting } from '../config/fingerprint.ts';
import type { RunnerStatus } from '../protocol/messages.ts';
import { pidAlive } from '../util/pid.ts';
import { eprintln, intFlag, parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { RUNNER_USAGE } from './usage.ts';

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `runner status|stop|restart|logs`, and `runner serve` (the runner process itself, started by clients). */
export async function runnerCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseCommandArgs(
    rest,
    {
      force: { type: 'boolean' },
      now: { type: 'boolean' },
      json: { type: 'boolean' },
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f' },
    },
    z.object({
      force: z.boolean().optional(),
      now: z.boolean().optional(),
      json: z.boolean().optional(),
      lines: intFlag(1, 100_000).optional(),
      follow: z.boolean().optional(),
    }),
    RUNNER_USAGE,
  );
  if (sub === 'serve') return runnerMain(ctx.env);
  // status, stop, restart and logs never start a runner, and find the store's whatever the MaaS
  // variables of this terminal say.
  let memo: StoreRunners | undefined;
  const stores = () => (memo ??= storeRunners(ctx));
  switch (sub) {
    case 'status': {
      const found = await findStoreRunner(ctx, stores());
      if (!found) {
        if (values.json) printJson(ctx.io, { running: false, stores: stores().stores });
        else println(ctx.io, `no runner is running for ${stores().stores.join(' or ')} (none was started)`);
        return 3;
      }
      try {
        const s = await found.runner.call('runner.status', {});
        if (values.json) printJson(ctx.io, { ...s, settingsDrift: found.runner.settingsDrift });
        else printStatus(ctx, s, found.runner.settingsDrift);
      } finally {
        found.runner.close();
      }
      return 0;
    }
    case 'stop': {
      const found = await findStoreRunner(ctx, stores());
      if (!found) {
        println(ctx.io, `no runner is running for ${stores().stores.join(' or ')}`);
        return 0;
      }
      const { runner } = found;
      const r = await runner
        .call('runner.stop', { force: values.force ?? false })
        .finally(() => runner.close());
      if (values.json) printJson(ctx.io, r);
      else {
        println(ctx.io, `runner ${runner.runnerPid} (store ${found.store}) stopping`);
        if (r.interrupted.length)
          eprintln(
            ctx.io,
            `tasks left interrupted: ${r.interrupted.join(', ')} — \`rackpilot task resume ID\` or \`rackpilot task rollback ID\``,
          );
      }
      return 0;
    }
    case 'restart':
      // The runner this terminal's settings name, not another site's beside it.
      return restartRunner(
        ctx,
        { ...stores(), stores: stores().configured ? [stores().configured!] : stores().stores },
        values.now ?? false,
      );
    case 'logs': {
      const paths = runnerPaths(
        stores().stores.find((st) => existsSync(runnerPaths(st).log)) ?? stores().stores[0]!,
      );
      let text: string;
      try {
        text = readFileSync(paths.log, 'utf8');
      } catch {
        throw new OperatorError(`no runner log at ${paths.log}`, {
          hint: 'no runner has run for this site yet',
        });
      }
      const lines = text.trimEnd().split('\n');
      for (const l of lines.slice(-(values.lines ?? 50))) println(ctx.io, l);
      if (!values.follow) return 0;
      let offset = statSync(paths.log).size;
      await new Promise<void>((done) => {
        const w = watch(paths.log, () => {
          const size = statSync(paths.log).size;
          if (size < offset) offset = 0;
          if (size === offset) return;
          const buf = readFileSync(paths.log).subarray(offset, size);
          offset = size;
          ctx.io.stdout.write(redact(buf.toString('utf8')));
        });
        process.once('SIGINT', () => {
          w.close();
          done();
        });
      });
      return 0;
    }
    default:
      throw new UsageError(`unknown runner subcommand ${JSON.stringify(sub ?? '')}`, {
        hint: `usage: ${RUNNER_USAGE}`,
      });
  }
}

function printStatus(ctx: CommandContext, s: RunnerStatus, drift: readonly string[]): void {
  println(ctx.io, `runner ${s.pid}, up ${duration(s.uptimeMs)}, serving ${s.site}`);
  if (s.draining) println(ctx.io, '  RESTARTING once its running tasks end: changes are refused until then');
  println(ctx.io, `  clients   ${s.clients} connected (this one included)`);
  println(ctx.io, `  tasks     ${s.tasksRunning} running, ${s.tasksQueued} queued`);
  println(ctx.io, `  store     ${s.store}`);
  println(ctx.io, `  socket    ${s.socket}`);
  println(ctx.io, `  log       ${s.log}`);
  if (s.rackFile) println(ctx.io, `  rack file ${s.rackFile.path}, loaded ${s.rackFile.loadedAt}`);
  const differ =
    drift.length === 1
      ? describeSetting(drift[0]!)
      : `${drift.slice(0, 4).join(', ')}${drift.length > 4 ? ` and ${drift.length - 4} more` : ''}`;
  println(
    ctx.io,
    `  settings  ${drift.length === 0 ? "the same as this terminal's" : `this terminal's differ: ${differ} (\`rackpilot runner restart\` to use this terminal's)`}`,
  );
  println(
    ctx.io,
    `  idle exit ${s.idleExitMs > 0 ? `after ${duration(s.idleExitMs)} with no client and no task` : 'off'}`,
  );
  for (const n of s.notices.slice(-5))
    println(ctx.io, `  notice    ${new Date(n.at).toISOString()} ${n.text}`);
  const c = s.coordination;
  if (c) {
    println(ctx.io, `  etcd      ${c.endpoints.join(', ')} prefix ${c.prefix}: ${etcdCondition(c)}`);
    const lease = leaseStory(c.lease);
    if (lease) println(ctx.io, `  lease     ${lease}`);
    for (const r of c.runners)
      println(
        ctx.io,
        `  runner    ${r.owner === c.owner ? '(this one) ' : ''}${r.host} pid ${r.pid} since ${r.startedAt}`,
      );
  }
}

/**
 * `runner restart`: the runner stops once its running tasks end (refusing new ones meanwhile), or
 * at once with --now (its tasks left interrupted, to resume); then this terminal starts the new one
 * with its own settings.
 */
async function restartRunner(ctx: CommandContext, stores: StoreRunners, now: boolean): Promise<number> {
  const found = await findStoreRunner(ctx, stores);
  if (found) {
    const { runner } = found;
    const pid = runner.runnerPid;
    const gone = new Promise<void>((resolve) => runner.onClose(() => resolve()));
    const before = await runner.call('runner.status', {});
    let r;
    try {
      r = await runner.call('runner.stop', now ? { force: true } : { whenIdle: true });
    } catch (err) {
      runner.close();
      throw err;
    }
    const busy = before.tasksRunning + before.tasksQueued;
    if (now && r.interrupted.length)
      eprintln(
        ctx.io,
        `tasks left interrupted: ${r.interrupted.join(', ')} — \`rackpilot task resume ID\` once the new runner is up`,
      );
    else if (busy > 0)
      eprintln(
        ctx.io,
        `runner ${pid} restarts once its ${busy} running task(s) end; changes are refused until then (Ctrl-C leaves it to stop then; the next command starts the new one)`,
      );
    await gone;
    // The lock goes with the process: a new runner started before would find it taken.
    while (pidAlive(pid)) await new Promise((res) => setTimeout(res, 50));
    println(ctx.io, `runner ${pid} stopped`);
  }
  const runner = await ctx.runner();
  println(ctx.io, `runner ${runner.runnerPid} started with this terminal's settings`);
  return 0;
}
