import { z } from 'zod';
import { ConfigError } from '../config/index.ts';
import { failed as fail, passed, type SiteCheck } from '../protocol/check-result.ts';
import { describeError } from '../util/errors.ts';
import type { CommandContext } from './context.ts';
import { flagOptions, usageOf } from './help.ts';
import { parseCommandArgs, printJson, println } from './io.ts';

/**
 * `rackpilot check [--all] [--json]`: the settings and the rack file here, then the site's gear
 * through the runner (`site.check`: only the runner talks to gear). Stops where a later item
 * could only fail for the same reason. Exit 0 only when nothing failed.
 */
export async function checkCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommandArgs(
    argv,
    flagOptions('check'),
    z.object({ all: z.boolean().optional(), json: z.boolean().optional() }),
    usageOf('check'),
  );
  const checks = await localChecks(ctx);
  if (!checks.some((c) => c.state === 'fail')) {
    try {
      const runner = await ctx.runner();
      checks.push(...(await runner.call('site.check', { allBmcs: values.all ?? false })).checks);
    } catch (err) {
      checks.push(
        fail(
          'runner',
          "the site's runner starts and answers",
          describeError(err),
          '`rackpilot runner logs` says why',
        ),
      );
    }
  }
  const ok = !checks.some((c) => c.state === 'fail');
  if (values.json) printJson(ctx.io, { ok, checks });
  else for (const line of renderChecks(checks)) println(ctx.io, line);
  return ok ? 0 : 1;
}

async function localChecks(ctx: CommandContext): Promise<SiteCheck[]> {
  let config;
  try {
    config = ctx.config();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [fail('settings', 'the settings are valid', err.message, err.hint ?? 'see .env.example')];
  }
  const where = config.envFile ? `environment and ${config.envFile}` : 'environment';
  const out: SiteCheck[] = [
    passed(
      'settings',
      'the settings are valid',
      config.lab
        ? `no MaaS configured: the built-in lab (from the ${where})`
        : `MaaS ${config.maas?.url ?? '(none)'} (from the ${where})`,
    ),
  ];
  if (config.lab) {
    out.push(passed('rack', 'the rack file is valid', "the lab's own rack file"));
    return out;
  }
  if (!config.rackFile) {
    out.push(
      fail(
        'rack',
        'the rack file is valid',
        'RACKPILOT_RACK_FILE is not set: rackpilot knows no switch and no cabling',
        "set RACKPILOT_RACK_FILE to the site's rack file (see .env.example)",
      ),
    );
    return out;
  }
  const { loadRackFile } = await import('../config/rack/parse.ts');
  const { missingPasswordEnv } = await import('../config/rack/passwords.ts');
  const r = await loadRackFile(config.rackFile);
  const env = { ...ctx.env, ...config.env };
  const errors = r.ok ? missingPasswordEnv(r.rack, env) : r.errors;
  if (errors.length) {
    const shown = errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`);
    if (errors.length > 3) shown.push(`and ${errors.length - 3} more`);
    out.push(
      fail(
        'rack',
        'the rack file is valid',
        `${config.rackFile}: ${shown.join('; ')}`,
        `\`rackpilot rack validate ${config.rackFile}\` lists every problem; set the variables it names`,
      ),
    );
  } else out.push(passed('rack', 'the rack file is valid', config.rackFile));
  return out;
}

const MARK = { pass: 'ok  ', fail: 'FAIL', skip: '--  ' } as const;

export function renderChecks(checks: readonly SiteCheck[]): string[] {
  const lines = checks.flatMap((c) => [
    `${MARK[c.state]}  ${c.title}: ${c.detail}`,
    ...(c.state === 'fail' && c.fix ? [`      fix: ${c.fix}`] : []),
  ]);
  const failed = checks.filter((c) => c.state === 'fail').length;
  const passed = checks.filter((c) => c.state === 'pass').length;
  lines.push('', failed ? `${failed} failed, ${passed} passed` : `all ${passed} passed`);
  return lines;
}
