import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { CASES, d } from './bad-settings.ts';
import { expectClean } from './clean.ts';

/** Settings: each bad value ends in a ConfigError naming the variable (and never echoing a secret). */
describe('bad settings name the variable', () => {
  it.each(
    CASES.map(
      ([name, env], i) =>
        [`${i} ${name}=${JSON.stringify(Object.values(env).at(-1)).slice(0, 40)}`, name, env] as const,
    ),
  )('%s', (_label, name, env) => {
    let err: unknown;
    try {
      loadConfig({
        env: { HOME: d, ...env },
        envFile: name === 'RACKPILOT_ENV_FILE' ? undefined : false,
        cwd: d,
        home: d,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.problems.map((p) => p.variable)).toContain(name);
    const secret = name === 'MAAS_API_KEY' ? (env['MAAS_API_KEY'] ?? '') : '';
    expectClean(e.message, name, { secrets: secret.length > 8 ? [secret] : [] });
  });
});

export const SETTINGS_CASES = CASES.length;
