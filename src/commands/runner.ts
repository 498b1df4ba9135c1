import { readFileSync, statSync, watch } from 'node:fs';
import { z } from 'zod';
import { runnerMain } from '../runner/runner.ts';
import type { RunnerStatus } from '../runner/protocol.ts';
import { siteStorePath } from '../runner/site-files.ts';
import { runnerPaths } from '../runner/paths.ts';
import { OperatorError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import type { CommandContext } from './context.ts';
import { eprintln, intFlag, parseCommandArgs, printJson, println, UsageError } from './io.ts';
import { RUNNER_USAGE } from './usage.ts';

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `runner status|stop|logs`, and `runner serve` (the runner process itself, started by clients). */
export async function runnerCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseCommandArgs(
    rest,
    {
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f' },
    },
    z.object({
      force: z.boolean().optional(),
      json: z.boolean().optional(),
      lines: intFlag(1, 100_000).optional(),
      follow: z.boolean().optional(),
    }),
    RUNNER_USAGE,
  );
  const paths = runnerPaths(siteStorePath(ctx.config()));
  switch (sub) {
    case 'serve':
      return runnerMain(ctx.env);
    case 'status': {
      const s = await (await ctx.runner()).call('runner.status', {});
      if (values.json) {
        printJson(ctx.io, s);
        return 0;
      }
      println(ctx.io, `runner ${s.pid}, up ${duration(s.uptimeMs)}, serving ${s.site}`);
      println(ctx.io, `  clients   ${s.clients} connected (this one included)`);
      println(ctx.io, `  tasks     ${s.tasksRunning} running, ${s.tasksQueued} queued`);
      println(ctx.io, `  store     ${s.store}`);
      println(ctx.io, `  socket    ${s.socket}`);
      println(ctx.io, `  log       ${s.log}`);
      println(
        ctx.io,
        `  idle exit ${s.idleExitMs > 0 ? `after ${duration(s.idleExitMs)} with no client and no task` : 'off'}`,
      );
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
      return 0;
    }
    case 'stop': {
      let runner;
      try {
        runner = await ctx.runnerIfRunning();
      } catch {
        runner = null;
      }
      if (!runner) {
        println(ctx.io, 'no runner is running for this site');
        return 0;
      }
      const r = await runner.call('runner.stop', { force: values.force ?? false });
      if (values.json) printJson(ctx.io, r);
      else {
        println(ctx.io, `runner ${runner.runnerPid} stopping`);
        if (r.interrupted.length)
          eprintln(
            ctx.io,
            `tasks left interrupted: ${r.interrupted.join(', ')} — \`rackpilot task resume ID\` or \`rackpilot task rollback ID\``,
          );
      }
      return 0;
    }
    case 'logs': {
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

type Coordination = NonNullable<RunnerStatus['coordination']>;

/** etcd's condition as `runner status` says it: a quorum answers, none answers, or no quorum. */
function etcdCondition(c: Coordination): string {
  if (c.available) return 'a quorum answers';
  const members = c.members ? ` (${c.members.answering} of ${c.members.total} members answer)` : '';
  const what = c.condition === 'quorum-lost' ? 'QUORUM LOST' : 'UNREACHABLE';
  return (
    `${what} since ${c.staleSince ?? '?'}${members}${c.error ? ` (${c.error})` : ''}: ` +
    'changes refused, reads from the last known state'
  );
}

/** The lease's story, or null while it was never lost. */
function leaseStory(l: Coordination['lease']): string | null {
  if (l.lostAt === null) return null;
  return l.renewedAt
    ? `lost at ${l.lostAt}, renewed at ${l.renewedAt}: the tasks this runner held then were interrupted`
    : `LOST at ${l.lostAt}: a new one is taken as soon as etcd answers; changes refused until then`;
}
