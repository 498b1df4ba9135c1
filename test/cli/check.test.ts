import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { writeLabEnvFile } from '../../src/lab/env-file.ts';
import { startLab, type Lab } from '../../src/lab/index.ts';
import { base, MUTATIONS, TEXTS } from '../campaign/bad-racks.ts';
import { CASES, d as settingsDir } from '../campaign/bad-settings.ts';
import { KEY } from '../campaign/clean.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { testRunMark } from '../runner/cli-process.ts';
import { capture } from './capture.ts';

const home = mkdtempSync(join(tmpdir(), 'rackpilot-check-'));
afterAll(() => stopRunnersUnder(home), 60_000);

async function check(env: Record<string, string | undefined>, argv: string[] = []) {
  const io = capture();
  const code = await main(['check', ...argv], io, { ...testRunMark(), HOME: home, ...env });
  return { code, out: io.out() };
}

/** The FAIL item (its lines, which may be several) up to the fix under it. */
function failed(out: string, title: string): string {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => l.startsWith(`FAIL  ${title}`));
  expect(at, `FAIL ${title} in:\n${out}`).toBeGreaterThanOrEqual(0);
  const fix = lines.findIndex((l, i) => i > at && /^ {6}fix: \S/.test(l));
  expect(fix, `a fix under FAIL ${title} in:\n${out}`).toBeGreaterThan(at);
  const item = lines.slice(at, fix + 1);
  expect(
    item.slice(1).filter((l) => /^(ok|FAIL|--) /.test(l)),
    out,
  ).toEqual([]);
  return item.join('\n');
}

describe('rackpilot check', () => {
  it('passes every item on the built-in lab, BMCs sampled one per rack', async () => {
    const r = await check({ RACKPILOT_LAB: 'on', RACKPILOT_TIME_SCALE: '0', RACKPILOT_ENV_FILE: '' });
    expect(r.out).not.toContain('FAIL');
    for (const title of [
      'the settings are valid',
      'MaaS answers',
      'the API key is valid',
      'boot images are present',
    ])
      expect(r.out).toContain(`ok    ${title}`);
    expect(r.out).toMatch(/ok {4}switch tor-r01: login, host key, dialect, PXE VLAN/);
    expect(r.out).toMatch(/ok {4}BMC of r01-n\d+ answers/);
    expect(r.out).toMatch(/ok {4}BMC of r02-n\d+ answers/);
    expect(r.code).toBe(0);
  }, 120_000);

  it.each(CASES.map(([name, env], i) => [`${i} ${name}`, name, env] as const))(
    'names the bad setting %s with its fix',
    async (_l, name, env) => {
      const r = await check({
        ...(name !== 'RACKPILOT_ENV_FILE' && { RACKPILOT_ENV_FILE: '' }),
        HOME: settingsDir,
        ...env,
      });
      expect(failed(r.out, 'the settings are valid')).toContain(name);
      expect(r.out).not.toContain('MaaS answers');
      expect(r.code).toBe(1);
    },
  );

  const maas = { MAAS_URL: 'http://127.0.0.1:9/MAAS', MAAS_API_KEY: KEY, RACKPILOT_ENV_FILE: '' };
  it.each([
    ...MUTATIONS.map(([label, mutate]) => {
      const r = base();
      mutate(r);
      return [label, JSON.stringify(r)] as const;
    }),
    ...TEXTS,
  ])('names the rack file problem %s with its fix', async (label, text) => {
    const file = join(home, `rack-${label.replace(/\W+/g, '_')}.json`);
    writeFileSync(file, text);
    const r = await check({ ...maas, RACKPILOT_RACK_FILE: file, RACKPILOT_STORE: join(home, 'never.json') });
    const line = failed(r.out, 'the rack file is valid');
    expect(line).toContain(file);
    expect(line).toContain('rackpilot rack validate');
    expect(r.code).toBe(1);
  });

  describe('the gear of a site, broken one way at a time', () => {
    let lab: Lab;
    const envFile = join(home, 'lab', 'lab.env');
    let n = 0;
    // A store per case: each case's runner has the settings of its own case.
    const site = (extra: Record<string, string> = {}) => ({
      RACKPILOT_ENV_FILE: envFile,
      RACKPILOT_STORE: join(home, `site-${n++}`, 'store.json'),
      ...extra,
    });
    beforeAll(async () => {
      lab = await startLab({ timeScale: 0, hosts: 6, racks: 2, seed: 7 });
      writeLabEnvFile(lab, {
        env: envFile,
        rackFile: join(home, 'lab', 'rack.json'),
        store: join(home, 'unused'),
      });
    }, 60_000);
    afterAll(async () => {
      await stopRunnersUnder(home);
      await lab?.close();
    }, 60_000);

    it('all pass on the lab used as a real site, and --all reads every BMC', async () => {
      const r = await check(site(), ['--all']);
      expect(r.out).not.toContain('FAIL');
      expect(r.out.match(/^ok {4}BMC of /gm)).toHaveLength(6);
      expect(r.code).toBe(0);
    }, 120_000);

    it('a wrong MaaS key', async () => {
      const [consumer, token] = lab.maas.apiKey.split(':');
      const r = await check(site({ MAAS_API_KEY: `${consumer}:${token}:wrongsecretwrongsecretwrongsecre` }));
      expect(failed(r.out, 'the API key is valid')).toContain('MAAS_API_KEY');
      expect(r.code).toBe(1);
    }, 120_000);

    it('a MaaS that does not answer', async () => {
      const r = await check(site({ MAAS_URL: 'http://127.0.0.1:9/MAAS' }));
      expect(failed(r.out, 'MaaS answers')).toContain('MAAS_URL');
      expect(r.code).toBe(1);
    }, 120_000);

    it('a wrong switch password and a wrong BMC password', async () => {
      const wrong = Object.fromEntries(
        Object.keys(lab.env)
          .filter((k) => k.startsWith('RACKPILOT_SWITCH_PASS') || k.startsWith('RACKPILOT_BMC_PASS'))
          .map((k) => [k, 'not-the-password']),
      );
      expect(Object.keys(wrong).length).toBeGreaterThan(2);
      const r = await check(site(wrong));
      expect(failed(r.out, 'switch tor-r01')).toContain('passwordEnv');
      expect(failed(r.out, 'BMC of r01-n')).toMatch(/password/);
      expect(r.out).toContain('ok    MaaS answers');
      expect(r.code).toBe(1);
    }, 180_000);
  });
});
