import { buildInfo } from '../util/version.ts';
import { FOOTER, usageLine } from './help.ts';
import { COMMANDS } from './registry.ts';
import { GLOBAL_FLAGS, walk, type CommandSpec, type FlagSpec } from './spec.ts';

/** rackpilot(1) in roff, written from the command registry (`npm run docs`, and by the release). */

/** Text as roff reads it: no request at a line's start, backslashes and dashes kept. */
function roff(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

function flagItem(f: FlagSpec): string[] {
  const name = `${f.short ? `\\fB\\-${f.short}\\fR, ` : ''}\\fB\\-\\-${roff(f.name)}\\fR${f.type === 'string' ? ` \\fI${roff(f.value ?? 'VALUE')}\\fR` : ''}`;
  return ['.TP', name, roff(f.description + (f.required ? ' (required)' : ''))];
}

function section(path: CommandSpec[]): string[] {
  const leaf = path[path.length - 1]!;
  const out = ['.SS ' + roff(usageLine(path)), roff(leaf.summary) + '.'];
  if (leaf.description) out.push('.PP', roff(leaf.description));
  const own = leaf.flags ?? [];
  if (own.length) out.push('.RS', ...own.flatMap(flagItem), '.RE');
  for (const e of leaf.examples ?? [])
    out.push('.PP', '.nf', `  ${roff(e.command)}`, '.fi', `  ${roff(e.says)}`);
  return out;
}

export function manPage(commands: readonly CommandSpec[] = COMMANDS, info = buildInfo()): string {
  const date = info.date ? info.date.slice(0, 10) : '';
  return [
    `.TH RACKPILOT 1 "${date}" "rackpilot ${info.version}" "User Commands"`,
    '.SH NAME',
    'rackpilot \\- provision and troubleshoot baremetal through MaaS, ToR switches and IPMI',
    '.SH SYNOPSIS',
    '.B rackpilot',
    '[\\fB\\-\\-read\\-only\\fR]',
    '.br',
    '.B rackpilot',
    '\\fICOMMAND\\fR [\\fIARGS\\fR] [\\fIFLAGS\\fR]',
    '.br',
    '.B rackpilot',
    '\\fB\\-\\-version\\fR | \\fBhelp\\fR [\\fICOMMAND\\fR]',
    '.SH DESCRIPTION',
    roff(
      'With no command, rackpilot opens its dashboard: the hosts of the site with MaaS status, power and instance, the tasks and their logs. With no MaaS configured, it opens the built-in lab.',
    ),
    '.PP',
    roff(FOOTER.replace(/\n/g, ' ')),
    '.SH OPTIONS',
    ...GLOBAL_FLAGS.flatMap(flagItem),
    '.TP',
    '\\fB\\-V\\fR, \\fB\\-\\-version\\fR',
    'version, commit and build date',
    '.SH COMMANDS',
    ...[...walk(commands)].flatMap(section),
    '.SH EXIT STATUS',
    '0 success (for checks: everything passed); 1 a failure or a failed check; 2 wrong usage or settings.',
    '.SH ENVIRONMENT',
    roff(
      'MAAS_URL, MAAS_API_KEY, RACKPILOT_RACK_FILE, RACKPILOT_STORE, RACKPILOT_READ_ONLY and the others of .env.example, from the environment or a .env file. Passwords come from the variables the rack file names (passwordEnv), never from the command line.',
    ),
    '.SH SEE ALSO',
    roff('rackpilot help COMMAND; rackpilot completion bash|zsh|fish'),
    '',
  ].join('\n');
}
