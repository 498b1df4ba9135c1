/**
 * Every command's usage lines, written from the command registry (registry.ts) for the commands'
 * own error hints.
 */
import { specPath, usageLine, usageOf } from './help.ts';

export const HOSTS_USAGE = usageOf('hosts');

export const IPMI_USAGE = `usage: ${usageOf('ipmi')}
BMC passwords come from the store or the environment (rack file passwordEnv), never from the command line.`;

export const LAB_USAGE = usageOf('lab');

export const POWER_USAGE = usageOf('power');
export const BOOT_USAGE = usageOf('boot');

export const TASK_USAGE = `${usageLine(specPath('tasks'))}
       ${usageOf('task')}`;

export const HOST_USAGE = usageOf('host');

export const TEMPLATE_USAGE = usageOf('template');

export const OFFERING_USAGE = usageOf('offering');

export const NETWORK_USAGE = usageOf('network');

export const RACK_USAGE = usageOf('rack validate');

export const DEPLOY_USAGE = usageOf('deploy');

export const DOCTOR_USAGE = usageOf('doctor');

export const INSPECT_USAGE = usageOf('inspect');

export const CABLING_USAGE = usageOf('cabling');

export const RUNNER_USAGE = usageOf('runner');

export const SWITCH_USAGE = `usage: ${usageOf('switch')}
Switch passwords come from the rack file (passwordEnv), never from the command line.`;

export const CONSOLE_USAGE = 'rackpilot console HOST [--follow [--keyboard]] [--lines N] [--task ID] [--raw]';
