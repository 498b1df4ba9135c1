import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { startLab, writeLabEnvFile } from '../runner/lab-host.ts';
import type { CommandContext } from './context.ts';
import { eprintln, intFlag, parseCommandArgs, println } from './io.ts';
import { fileAbove } from '../config/config.ts';
import { OperatorError } from '../util/errors.ts';
import { LAB_USAGE } from './usage.ts';
import { flagOptions } from './help.ts';

/**
 * `lab`: the whole lab in the foreground until Ctrl-C or SIGTERM. With --env-out it writes
 * everything a second rackpilot needs to treat the lab as a real site (MaaS URL and key, rack
 * file, passwords, its own store), mode 0600 because it holds credentials.
 */
export async function labCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const config = ctx.config();
  const { values } = parseCommandArgs(
    argv,
    flagOptions('lab'),
    z.object({
      hosts: intFlag(1, 20_000).optional(),
      racks: intFlag(1, 64).optional(),
      'time-scale': z
        .string()
        .regex(/^\d*\.?\d+$/, 'a number ≥ 0, e.g. 0.05')
        .transform(Number)
        .refine((n) => n <= 100, 'at most 100')
        .optional(),
      seed: intFlag(0, 2 ** 32 - 1).optional(),
      'list-cost-ms': z
        .string()
        .regex(/^\d*\.?\d+$/, 'milliseconds per machine ≥ 0, e.g. 2')
        .transform(Number)
        .refine((n) => n <= 1000, 'at most 1000')
        .optional(),
      'env-out': z.string().min(1).optional(),
      redfish: intFlag(0, 100).optional(),
    }),
    LAB_USAGE,
  );
  const timeScale = values['time-scale'] ?? config.timeScale;
  // Checked before the lab starts: a bad path must end the command, not leave a lab running.
  const envOut = values['env-out'] ? envOutPaths(values['env-out']) : undefined;
  // No rack count given: as many racks as the hosts need.
  const racks = values.racks ?? config.labSpec.racks;
  const lab = await startLab({
    timeScale,
    hosts: values.hosts ?? config.labSpec.hosts,
    ...(racks !== undefined && { racks }),
    seed: values.seed ?? config.labSpec.seed,
    maas: { listCostMs: values['list-cost-ms'] ?? config.labListCostMs },
    redfishPercent: values.redfish ?? config.labSpec.redfishPercent,
    redfishScheme: config.labSpec.redfishScheme,
  });
  println(
    ctx.io,
    `rackpilot lab: ${lab.spec.hosts.length} hosts in ${lab.spec.switches.length} racks, time scale ${timeScale}`,
  );
  println(ctx.io, `  MaaS      ${lab.maas.url}   (API key in the env file; OAuth PLAINTEXT)`);
  for (const s of lab.switches.switches) {
    const sw = lab.spec.switches.find((x) => x.name === s.name)!;
    println(
      ctx.io,
      `  switch    ${s.name.padEnd(8)} ssh -p ${s.port} ${sw.username}@${s.host}   ${s.dialect}  ${s.hostKeyFingerprint}`,
    );
  }
  const shown = lab.bmcs.bmcs.slice(0, 5);
  for (const b of shown)
    println(
      ctx.io,
      `  bmc       ${b.hostname.padEnd(8)} ipmitool -I lanplus -C 3 -H ${b.host} -p ${b.port} -U admin -E power status`,
    );
  for (const b of lab.redfish.bmcs.slice(0, 5))
    println(
      ctx.io,
      `  redfish   ${b.hostname.padEnd(8)} redfishtool -r ${b.host}:${b.port} -S ${b.scheme === 'https' ? 'Always' : 'Never'} -u admin -p … Systems`,
    );
  if (lab.bmcs.bmcs.length > shown.length) {
    const ports = lab.bmcs.bmcs.map((b) => b.port);
    println(
      ctx.io,
      `  bmc       … ${lab.bmcs.bmcs.length} BMCs on UDP ${Math.min(...ports)}–${Math.max(...ports)} (ports per host in the rack file)`,
    );
  }
  if (envOut) {
    const { envPath, rackPath } = envOut;
    try {
      writeLabEnvFile(
        lab,
        { env: envPath, rackFile: rackPath, store: envOut.store },
        { RACKPILOT_ERASE_MODE: config.eraseMode },
      );
    } catch (err) {
      await lab.close();
      throw new OperatorError(
        `--env-out ${envPath}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        { hint: 'name a file in a directory you can write, e.g. --env-out ./lab.env' },
      );
    }
    println(ctx.io, `  env file  ${envPath}   (rack file ${rackPath})`);
    println(ctx.io, `  use it:   RACKPILOT_ENV_FILE=${envPath} npm start`);
  }
  println(ctx.io, 'Ctrl-C stops the lab.');
  await new Promise<void>((done) => {
    const stop = (sig: string) => {
      eprintln(ctx.io, `\n${sig}: stopping the lab…`);
      done();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await lab.close();
  return 0;
}

/** The files `--env-out` writes, refused at once when they cannot be created. */
function envOutPaths(value: string): { envPath: string; rackPath: string; store: string } {
  const envPath = resolve(value);
  const base = envPath.replace(/\.env$|$/, '');
  const blocker = fileAbove(envPath);
  if (blocker) {
    throw new OperatorError(`--env-out ${envPath}: ${blocker} is a file, not a directory`, {
      hint: 'name a file in a directory, e.g. --env-out ./lab.env',
    });
  }
  let isDir = false;
  try {
    isDir = statSync(envPath).isDirectory();
  } catch {
    // missing: written below
  }
  if (isDir) {
    throw new OperatorError(`--env-out ${envPath} is a directory`, {
      hint: `name the file to write, e.g. --env-out ${join(envPath, 'lab.env')}`,
    });
  }
  return { envPath, rackPath: `${base}.rack.json`, store: `${base}.store.json` };
}
