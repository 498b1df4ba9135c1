import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import {
  describeSetting,
  PASSWORDS_ID,
  passwordVariables,
  settingsDrift,
  settingsFingerprint,
} from '../../src/config/fingerprint.ts';

const dir = mkdtempSync(join(tmpdir(), 'rp-fp-'));
const rackFile = join(dir, 'rack.json');
const rackText = JSON.stringify({
  racks: [
    {
      l2Switch: { name: 'tor1', ip: '10.0.0.2', username: 'admin', passwordEnv: 'SW_PASS', type: 'S4048-ON' },
      hosts: [
        {
          mac: '00:18:8b:52:79:80',
          port: 'TenGigabitEthernet 1/1',
          hostname: 'n1',
          bmc: { address: '10.1.0.1', username: 'root', passwordEnv: 'BMC_PASS' },
        },
      ],
    },
  ],
});
writeFileSync(rackFile, rackText);

const KEY = 'AbCdEfGhIjKlMnOpQr:StUvWxYzAbCdEfGhIj:KlMnOpQrStUvWxYzAbCdEfGhIjKlMnOp';
const base = {
  HOME: dir,
  MAAS_URL: 'http://10.0.0.1:5240/MAAS',
  MAAS_API_KEY: KEY,
  RACKPILOT_RACK_FILE: rackFile,
  SW_PASS: 'switch-secret-1',
  BMC_PASS: 'bmc-secret-1',
};
const fp = (env: Record<string, string>, text = rackText, cookie = 'c'.repeat(64), perPassword = false) =>
  settingsFingerprint({ config: loadConfig({ env, envFile: false }), rackText: text }, cookie, perPassword);
const perPassword = (env: Record<string, string>) => fp(env, rackText, 'c'.repeat(64), true);

describe('the settings fingerprint', () => {
  it('is the same for the same settings, and names each setting that differs', () => {
    expect(settingsDrift(fp(base), fp(base))).toEqual([]);
    const otherKey = KEY.slice(0, -1) + 'X';
    expect(settingsDrift(fp({ ...base, MAAS_API_KEY: otherKey }), fp(base))).toEqual(['MAAS_API_KEY']);
    expect(settingsDrift(fp({ ...base, BMC_PASS: 'bmc-secret-2' }), fp(base))).toEqual([PASSWORDS_ID]);
    expect(settingsDrift(fp({ ...base, SW_PASS: 'x' }), fp(base))).toEqual([PASSWORDS_ID]);
    expect(settingsDrift(fp({ ...base, RACKPILOT_ERASE_MODE: 'quick' }), fp(base))).toEqual([
      'RACKPILOT_ERASE_MODE',
    ]);
    expect(settingsDrift(fp({ ...base, RACKPILOT_MAAS_TIMEOUT: '90' }), fp(base))).toEqual([
      'RACKPILOT_MAAS_TIMEOUT',
    ]);
    expect(settingsDrift(fp({ ...base, RACKPILOT_BMC_TIMEOUT: '9' }), fp(base))).toEqual([
      'RACKPILOT_BMC_TIMEOUT',
    ]);
    expect(settingsDrift(fp(base, rackText.replace('1/1', '1/2')), fp(base))).toEqual([
      'RACKPILOT_RACK_FILE',
    ]);
  });

  it('hashes the password variables together, or one by one to name those that differ', () => {
    expect(Object.keys(fp(base))).toContain(PASSWORDS_ID);
    expect(Object.keys(fp(base))).not.toContain('BMC_PASS');
    expect(settingsDrift(perPassword({ ...base, BMC_PASS: 'bmc-secret-2' }), perPassword(base))).toEqual([
      'BMC_PASS',
    ]);
    expect(settingsDrift(perPassword({ ...base, SW_PASS: 'x' }), perPassword(base))).toEqual(['SW_PASS']);
    expect(settingsDrift(perPassword(base), perPassword(base))).toEqual([]);
    // A value moved from one variable to the other is a difference, not the same joined text.
    const swapped = { ...base, SW_PASS: 'bmc-secret-1', BMC_PASS: 'switch-secret-1' };
    expect(settingsDrift(fp(swapped), fp(base))).toEqual([PASSWORDS_ID]);
    expect(describeSetting(PASSWORDS_ID)).toMatch(/password variables the rack file names/);
  });

  it('carries no value: every entry is a keyed hash, different under another runner cookie', () => {
    const a = fp(base);
    const wire = JSON.stringify([a, perPassword(base)]);
    for (const secret of ['switch-secret-1', 'bmc-secret-1', KEY, ...KEY.split(':'), '10.0.0.1'])
      expect(wire).not.toContain(secret);
    for (const v of Object.values(a)) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const b = fp(base, rackText, 'd'.repeat(64));
    expect(b.MAAS_API_KEY).not.toBe(a.MAAS_API_KEY);
  });

  it('finds the password variables a rack file names, and describes settings by name only', () => {
    expect(passwordVariables(rackText)).toEqual(['BMC_PASS', 'SW_PASS']);
    expect(passwordVariables('{ not json')).toEqual([]);
    // At any depth, in lists, under "__proto__", once each; a passwordEnv that is not a string is
    // walked into like any other field.
    expect(
      passwordVariables(
        JSON.stringify({
          a: [[{ passwordEnv: 'Z_PASS' }], { b: { passwordEnv: 'A_PASS' } }],
          c: { passwordEnv: { passwordEnv: 'NESTED' } },
          d: [{ passwordEnv: 'A_PASS' }, { passwordEnv: 7 }, null, 'passwordEnv'],
        }).replace('"c":', '"__proto__": {"passwordEnv": "PROTO"}, "c":'),
      ),
    ).toEqual(['A_PASS', 'NESTED', 'PROTO', 'Z_PASS']);
    expect(describeSetting('BMC_PASS')).toBe('BMC_PASS (a password variable the rack file names)');
    expect(describeSetting('MAAS_API_KEY')).toMatch(/MaaS API key/);
  });

  it("compares a lab's spec, not MaaS settings it does not use", () => {
    const lab = { HOME: dir, RACKPILOT_LAB_SEED: '1' };
    expect(settingsDrift(fp(lab, ''), fp({ ...lab, RACKPILOT_LAB_SEED: '2' }, ''))).toEqual([
      'RACKPILOT_LAB',
    ]);
    expect(Object.keys(fp(lab, ''))).not.toContain('MAAS_API_KEY');
  });
});
