import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, VARIABLES, type Variable } from '../../src/config/config.ts';

const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');

describe('.env.example and the examples errors show', () => {
  it.each(Object.keys(VARIABLES))('documents %s', (name) => {
    expect(example).toMatch(new RegExp(`^# ${name}=`, 'm'));
  });

  // The "e.g." an error prints must itself be accepted.
  it.each(Object.entries(VARIABLES))('accepts the example of %s', (name, value) => {
    const d = mkdtempSync(join(tmpdir(), 'cfg-ex-'));
    const env: Record<string, string> = { [name]: value.replace(/^"|"$/g, '') };
    if (name === 'MAAS_URL') env.MAAS_API_KEY = VARIABLES.MAAS_API_KEY;
    if (name === 'MAAS_API_KEY') env.MAAS_URL = VARIABLES.MAAS_URL;
    if (name === 'RACKPILOT_RACK_FILE' || name === 'RACKPILOT_ENV_FILE') {
      writeFileSync(join(d, 'f'), '');
      env[name] = join(d, 'f');
    }
    try {
      loadConfig({ env, envFile: name === 'RACKPILOT_ENV_FILE' ? undefined : false, cwd: d, home: d });
    } catch (err) {
      const problems =
        err instanceof ConfigError ? err.problems.filter((p) => p.variable === (name as Variable)) : [err];
      expect(problems).toEqual([]);
    }
  });

  it('uncommented as a whole (less the paths), is a valid configuration', () => {
    const d = mkdtempSync(join(tmpdir(), 'cfg-ex-'));
    const text = example
      .split('\n')
      .filter((l) => /^# [A-Z0-9_]+=/.test(l) && !/RACK_FILE|ENV_FILE|MAAS_SYSTEM_URL/.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    writeFileSync(join(d, '.env'), text, { mode: 0o600 });
    const c = loadConfig({ env: {}, cwd: d, home: d });
    expect(c.maas?.url).toBe('http://172.31.0.75:5240/MAAS');
    expect(c.eraseMode).toBe('full');
    expect(c.env.RACKPILOT_SWITCH_PASS_TOR_R01).toBe('...');
  });
});
