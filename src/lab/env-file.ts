import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Lab } from './index.ts';

/** Quote a value for a .env file (util.parseEnv reads double-quoted values with escapes). */
export function envLine(key: string, value: string): string {
  return /^[A-Za-z0-9_.:/@%+-]*$/.test(value)
    ? `${key}=${value}`
    : `${key}="${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Everything a second rackpilot needs to treat a running lab as a real site: MaaS URL and key, the
 * rack file, passwords, a store of its own. Mode 0600: it holds credentials.
 */
export function writeLabEnvFile(
  lab: Lab,
  paths: { env: string; rackFile: string; store: string },
  extra: Record<string, string> = {},
): void {
  mkdirSync(dirname(paths.env), { recursive: true, mode: 0o700 });
  writeFileSync(paths.rackFile, JSON.stringify(lab.rackFile, null, 2) + '\n', { mode: 0o600 });
  const lines = [
    '# Written by `rackpilot lab`: use this lab as a site with RACKPILOT_ENV_FILE=<this file>.',
    '# It holds credentials: keep it private (mode 0600).',
    'RACKPILOT_LAB=off',
    envLine('MAAS_URL', lab.maas.url),
    envLine('MAAS_API_KEY', lab.maas.apiKey),
    envLine('RACKPILOT_RACK_FILE', paths.rackFile),
    envLine('RACKPILOT_STORE', paths.store),
    ...Object.entries(extra).map(([k, v]) => envLine(k, v)),
    ...Object.entries(lab.env)
      .filter(([k]) => k !== 'MAAS_URL' && k !== 'MAAS_API_KEY')
      .map(([k, v]) => envLine(k, v)),
  ];
  writeFileSync(paths.env, lines.join('\n') + '\n', { mode: 0o600 });
}
