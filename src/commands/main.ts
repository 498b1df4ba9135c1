import { ConfigError } from '../config/index.ts';
import { describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import { CommandContext } from './context.ts';
import { onWaitLine } from './wait-line.ts';
import { eprintln, println, UsageError, type CommandIo } from './io.ts';
import {
  CABLING_USAGE,
  DEPLOY_USAGE,
  DOCTOR_USAGE,
  HOST_USAGE,
  HOSTS_USAGE,
  INSPECT_USAGE,
  IPMI_USAGE,
  POWER_USAGE,
  BOOT_USAGE,
  LAB_USAGE,
  NETWORK_USAGE,
  OFFERING_USAGE,
  RACK_USAGE,
  RUNNER_USAGE,
  SWITCH_USAGE,
  TASK_USAGE,
  TEMPLATE_USAGE,
} from './usage.ts';

export const USAGE = `rackpilot — provision and troubleshoot baremetal through MaaS, ToR switches and IPMI

  rackpilot [--read-only]        the dashboard (the lab when no MaaS is configured)
  ${HOSTS_USAGE}
  ${LAB_USAGE}
  ${RACK_USAGE}
  ${HOST_USAGE}
  ${TEMPLATE_USAGE}
  ${OFFERING_USAGE}
  ${NETWORK_USAGE}
  ${DEPLOY_USAGE}
  rackpilot start|stop|destroy NAME [--plan] [--detach] [--json]
  rackpilot attach|detach NAME NETWORK [--plan] [--detach] [--json]
  rackpilot ls [--json]
  ${TASK_USAGE}
  ${SWITCH_USAGE.replace(/^usage: /, '')}
  ${POWER_USAGE}
  ${BOOT_USAGE}
  ${IPMI_USAGE.replace(/^usage: /, '')}
  ${RUNNER_USAGE}
  ${DOCTOR_USAGE}
  ${INSPECT_USAGE}
  ${CABLING_USAGE}

Every task runs in the site's runner, a background process the first command starts: closing the
terminal does not stop a task (Ctrl-C detaches; \`rackpilot task follow ID\` watches it again).
Settings come from the environment or .env (see .env.example). Secrets never go on the command line.`;

/** Runs one command line; returns the exit code. Errors are printed for operators, never as stacks. */
export async function main(
  argv: readonly string[],
  io: CommandIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  // --read-only anywhere on the line: this client only looks (the runner refuses its changes).
  const readOnly = argv.includes('--read-only');
  const ctx = new CommandContext(io, env, { kind: 'cli', readOnly, json: argv.includes('--json') });
  const [cmd, ...rest] = argv.filter((a) => a !== '--read-only');
  try {
    switch (cmd) {
      case undefined:
      case 'dashboard': {
        const { dashboardCommand } = await import('./dashboard.tsx');
        return await dashboardCommand(ctx);
      }
      case 'help':
      case '--help':
      case '-h':
        println(io, USAGE);
        return 0;
      case 'hosts':
        return await (await import('./hosts.ts')).hostsCommand(rest, ctx);
      case 'lab':
        return await (await import('./lab.ts')).labCommand(rest, ctx);
      case 'rack':
        return await (await import('./rack.ts')).rackCommand(rest, io, { env: ctx.config().env });
      case 'host':
        return await (await import('./catalog.ts')).hostCommand(rest, ctx);
      case 'template':
        return await (await import('./catalog.ts')).templateCommand(rest, ctx);
      case 'offering':
        return await (await import('./catalog.ts')).offeringCommand(rest, ctx);
      case 'network':
        return await (await import('./catalog.ts')).networkCommand(rest, ctx);
      case 'deploy':
        return await (await import('./instances.ts')).deployCommand(rest, ctx);
      case 'start':
      case 'stop':
      case 'destroy':
      case 'attach':
      case 'detach':
        return await (await import('./instances.ts')).lifecycleCommand(cmd, rest, ctx);
      case 'ls':
        return await (await import('./instances.ts')).listInstancesCommand(rest, ctx);
      case 'tasks':
        return await (await import('./tasks.ts')).tasksCommand(rest, ctx);
      case 'task':
        return await (await import('./tasks.ts')).taskCommand(rest, ctx);
      case 'switch': {
        const [{ switchCommand }, { switchTargetInput }] = await Promise.all([
          import('./switch.ts'),
          import('../rack/switch-target.ts'),
        ]);
        const site = await ctx.site();
        const targets = site.topology.switches().map((sw) => switchTargetInput(sw, site.env));
        const sw = (what: string) => (t: { name?: string }) =>
          `waiting for ${t.name ?? 'the switch'} (${what})`;
        const service = onWaitLine(site.switches, ctx.waitLine, {
          showPort: sw('login, show port'),
          showVlans: sw('login, show vlan'),
          findMac: sw('login, MAC table'),
        });
        return await switchCommand(rest, { targets, io, service });
      }
      case 'ipmi':
        return await (await import('./ipmi-site.ts')).ipmiViaRunner(rest, ctx);
      case 'power':
        return await (await import('./power.ts')).powerCommand(rest, ctx);
      case 'boot':
        return await (await import('./power.ts')).bootCommand(rest, ctx);
      case 'runner':
        return await (await import('./runner.ts')).runnerCommand(rest, ctx);
      case 'doctor':
        return await (await import('./troubleshoot.ts')).doctorCommand(rest, ctx);
      case 'inspect':
        return await (await import('./troubleshoot.ts')).inspectCommand(rest, ctx);
      case 'cabling':
        return await (await import('./troubleshoot.ts')).cablingCommand(rest, ctx);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`, {
          hint: 'rackpilot --help lists them',
        });
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      eprintln(io, err.message);
      eprintln(io, `  → ${err.hint}`);
      return 2;
    }
    eprintln(io, `rackpilot${cmd ? ` ${cmd}` : ''}: ${describeError(err)}`);
    if (env.RACKPILOT_DEBUG && err instanceof Error && err.stack) eprintln(io, redact(err.stack));
    return err instanceof UsageError ? 2 : 1;
  } finally {
    await ctx.close();
  }
}
