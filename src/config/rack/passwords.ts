import { OperatorError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import type { Rack, RackBmc, RackError, RackSwitch } from './types.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The switch's password, from the file or from the environment variable it names; registered as a secret. */
export function resolveSwitchPassword(sw: RackSwitch, env: Env = process.env): string {
  if (sw.password !== undefined) {
    registerSecret(sw.password);
    return sw.password;
  }
  const name = sw.passwordEnv!;
  const value = env[name];
  if (value === undefined || value === '') {
    throw new OperatorError(`no password for switch ${sw.name}: ${name} is not set`, {
      hint: `set ${name} in the environment or in .env (the rack file names it at ${sw.path}.passwordEnv)`,
      target: sw.name,
    });
  }
  registerSecret(value);
  return value;
}

/**
 * The BMC's password, from the file or the environment; undefined when the rack file gives none
 * (MaaS then holds the BMC credentials).
 */
export function resolveBmcPassword(
  bmc: RackBmc,
  hostname: string,
  env: Env = process.env,
): string | undefined {
  if (bmc.password !== undefined) {
    registerSecret(bmc.password);
    return bmc.password;
  }
  if (bmc.passwordEnv === undefined) return undefined;
  const value = env[bmc.passwordEnv];
  if (value === undefined || value === '') {
    throw new OperatorError(`no BMC password for ${hostname}: ${bmc.passwordEnv} is not set`, {
      hint: `set ${bmc.passwordEnv} in the environment or in .env`,
      target: hostname,
    });
  }
  registerSecret(value);
  return value;
}

/** Every passwordEnv the rack file names that the environment does not set (a warning before first use). */
export function missingPasswordEnv(rack: Rack, env: Env = process.env): RackError[] {
  const out: RackError[] = [];
  for (const sw of rack.switches) {
    if (sw.passwordEnv !== undefined && !env[sw.passwordEnv]) {
      out.push({
        path: `${sw.path}.passwordEnv`,
        message: `${sw.passwordEnv} is not set in this environment`,
      });
    }
  }
  const reported = new Set<string>();
  for (const nic of rack.nics) {
    const name = nic.bmc?.passwordEnv;
    if (name !== undefined && !env[name] && !reported.has(name)) {
      reported.add(name);
      out.push({ path: `${nic.path}.bmc.passwordEnv`, message: `${name} is not set in this environment` });
    }
  }
  return out;
}
