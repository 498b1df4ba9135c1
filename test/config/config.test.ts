import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, eraseParams, loadConfig, type Config } from '../../src/config/config.ts';
import { parseMaasApiKey, parseMaasSystemUrl } from '../../src/config/maas-key.ts';
import { describeError } from '../../src/util/errors.ts';
import { clearSecretsForTest, redact } from '../../src/util/redact.ts';

// The seed's example key and its CloudStack form, exactly as the seed writes them (line break included).
const CONSUMER = '6sxtWH3XCfKgkspC8J';
const TOKEN = 'fGWswZhpUQrrKUxprD';
const SECRET = 'CUaKSPXngRtRGRACtLLQKCYLqrQxPgTC';
const API_KEY = `${CONSUMER}:${TOKEN}:${SECRET}`;
const SYSTEM_URL = `MaasIP=172.31.0.75;MaasKey=${TOKEN};MaasSecret=${SECRET};\nMaasConsumerKey=${CONSUMER}`;
const KEY = { consumerKey: CONSUMER, tokenKey: TOKEN, tokenSecret: SECRET };

const home = mkdtempSync(join(tmpdir(), 'cfg-home-'));

function load(env: Record<string, string>, extra: { envFile?: string | false; cwd?: string } = {}): Config {
  return loadConfig({ env, envFile: false, home, cwd: home, ...extra });
}

function fail(
  env: Record<string, string>,
  extra: { envFile?: string | false; cwd?: string } = {},
): ConfigError {
  try {
    load(env, extra);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

beforeEach(() => clearSecretsForTest());

describe('MaaS key forms', () => {
  it('reads consumer:token:secret', () => {
    const c = load({ MAAS_URL: 'http://172.31.0.75:5240/MAAS', MAAS_API_KEY: API_KEY });
    expect(c.maas).toEqual({ url: 'http://172.31.0.75:5240/MAAS', apiKey: KEY, keyFrom: 'MAAS_API_KEY' });
    expect(c.lab).toBe(false);
  });

  it("reads the seed's CloudStack form as written and builds the URL from MaasIP", () => {
    const c = load({ MAAS_SYSTEM_URL: SYSTEM_URL });
    expect(c.maas).toEqual({ url: 'http://172.31.0.75:5240/MAAS', apiKey: KEY, keyFrom: 'MAAS_SYSTEM_URL' });
  });

  it('gives the same key from both forms', () => {
    expect(load({ MAAS_SYSTEM_URL: SYSTEM_URL }).maas!.apiKey).toEqual(
      load({ MAAS_URL: 'http://172.31.0.75:5240/MAAS', MAAS_API_KEY: API_KEY }).maas!.apiKey,
    );
  });

  it('takes the CloudStack form in any order and case, with a port, a DNS name or IPv6', () => {
    const k = `maassecret=${SECRET}; MAASCONSUMERKEY=${CONSUMER} ;MaasKey=${TOKEN};`;
    expect(load({ MAAS_SYSTEM_URL: `MaasIP=10.0.0.5:8080;${k}` }).maas!.url).toBe(
      'http://10.0.0.5:8080/MAAS',
    );
    expect(load({ MAAS_SYSTEM_URL: `${k}MaasIP=maas.example.net` }).maas!.url).toBe(
      'http://maas.example.net:5240/MAAS',
    );
    expect(load({ MAAS_SYSTEM_URL: `MaasIP=fd00::5;${k}` }).maas!.url).toBe('http://[fd00::5]:5240/MAAS');
    expect(load({ MAAS_SYSTEM_URL: `MaasIP=[fd00::5]:80;${k}` }).maas!.url).toBe('http://[fd00::5]:80/MAAS');
  });

  it('lets MAAS_URL give the URL (https, a path) while the key comes from the CloudStack form', () => {
    const c = load({ MAAS_URL: 'https://172.31.0.75/MAAS', MAAS_SYSTEM_URL: SYSTEM_URL });
    expect(c.maas).toEqual({ url: 'https://172.31.0.75/MAAS', apiKey: KEY, keyFrom: 'MAAS_SYSTEM_URL' });
  });

  it.each([
    ['http://172.31.0.75:5240/MAAS/', 'http://172.31.0.75:5240/MAAS'],
    ['http://172.31.0.75:5240/MAAS/api/2.0/', 'http://172.31.0.75:5240/MAAS'],
    ['http://172.31.0.75:5240', 'http://172.31.0.75:5240/MAAS'],
    ['https://maas.example.net/', 'https://maas.example.net/MAAS'],
    ['  http://10.1.1.1:5240/MAAS  ', 'http://10.1.1.1:5240/MAAS'],
  ])('normalises MAAS_URL %s', (given, url) => {
    expect(load({ MAAS_URL: given, MAAS_API_KEY: API_KEY }).maas!.url).toBe(url);
  });

  it('parses the key forms directly', () => {
    expect(parseMaasApiKey(` ${API_KEY}\n`)).toEqual({ ok: true, value: KEY });
    expect(parseMaasSystemUrl(SYSTEM_URL)).toEqual({ ok: true, value: { host: '172.31.0.75', key: KEY } });
  });
});

describe('defaults and other settings', () => {
  it('runs the lab when no MaaS is configured, erases fully, keeps state under ~/.local/state', () => {
    const c = load({});
    expect(c).toMatchObject({
      maas: undefined,
      labMode: 'auto',
      lab: true,
      eraseMode: 'full',
      timeScale: 0.05,
      labSpec: { racks: undefined, hosts: 40, seed: 1 },
      rackFile: undefined,
      store: join(home, '.local/state/rackpilot/store.json'),
      knownHosts: join(home, '.local/state/rackpilot/known_hosts'),
      warnings: [],
    });
  });

  it('follows XDG_STATE_HOME when absolute, ignores it when relative', () => {
    expect(load({ XDG_STATE_HOME: '/var/lib/op' }).store).toBe('/var/lib/op/rackpilot/store.json');
    expect(load({ XDG_STATE_HOME: 'rel/state' }).store).toBe(join(home, '.local/state/rackpilot/store.json'));
  });

  it('reads every setting', () => {
    const rack = join(home, 'rack.json');
    writeFileSync(rack, '{}');
    const c = load({
      MAAS_URL: 'http://172.31.0.75:5240/MAAS',
      MAAS_API_KEY: API_KEY,
      RACKPILOT_RACK_FILE: '~/rack.json',
      RACKPILOT_STORE: 'state/s.json',
      RACKPILOT_KNOWN_HOSTS: '/tmp/kh',
      RACKPILOT_ERASE_MODE: 'Quick',
      RACKPILOT_LAB: 'off',
      RACKPILOT_TIME_SCALE: '0.5',
      RACKPILOT_LAB_RACKS: '2',
      RACKPILOT_LAB_HOSTS: '10',
      RACKPILOT_LAB_SEED: '42',
    });
    expect(c).toMatchObject({
      rackFile: rack,
      store: join(home, 'state/s.json'),
      knownHosts: '/tmp/kh',
      eraseMode: 'quick',
      labMode: 'off',
      lab: false,
      timeScale: 0.5,
      labSpec: { racks: 2, hosts: 10, seed: 42 },
      warnings: [],
    });
  });

  it('treats an empty value as unset', () => {
    expect(load({ MAAS_URL: '', MAAS_API_KEY: ' ', RACKPILOT_ERASE_MODE: '' })).toMatchObject({
      lab: true,
      eraseMode: 'full',
    });
  });

  it.each([
    ['on', true],
    ['ON', true],
    ['true', true],
    ['1', true],
    ['auto', false],
  ])('RACKPILOT_LAB=%s with MaaS configured → lab %s', (v, lab) => {
    expect(load({ RACKPILOT_LAB: v, MAAS_SYSTEM_URL: SYSTEM_URL }).lab).toBe(lab);
  });

  it('warns when a real MaaS has no rack file, and when the lab overrides MaaS settings', () => {
    expect(load({ MAAS_SYSTEM_URL: SYSTEM_URL }).warnings.join('\n')).toMatch(
      /RACKPILOT_RACK_FILE is not set/,
    );
    expect(load({ MAAS_SYSTEM_URL: SYSTEM_URL, RACKPILOT_LAB: 'on' }).warnings.join('\n')).toMatch(
      /MaaS settings are ignored/,
    );
  });

  it.each([
    ['full', { erase: true }],
    ['quick', { erase: true, quick_erase: true }],
    ['secure', { erase: true, secure_erase: true }],
    ['none', { erase: false }],
  ] as const)('erase mode %s → release parameters', (mode, params) => {
    expect(eraseParams(mode)).toEqual(params);
  });
});

describe('.env', () => {
  function dir(): string {
    return mkdtempSync(join(tmpdir(), 'cfg-env-'));
  }

  it('reads .env from the working directory, under the process environment', () => {
    const d = dir();
    writeFileSync(
      join(d, '.env'),
      `# settings\nMAAS_URL=http://10.9.9.9:5240/MAAS\nMAAS_API_KEY="${API_KEY}"\nRACKPILOT_ERASE_MODE=quick\nRACKPILOT_SWITCH_PASS_TOR_R01=sw-pass-from-file\n`,
      { mode: 0o600 },
    );
    const c = loadConfig({ env: { RACKPILOT_ERASE_MODE: 'secure' }, cwd: d, home });
    expect(c.envFile).toBe(join(d, '.env'));
    expect(c.maas).toEqual({ url: 'http://10.9.9.9:5240/MAAS', apiKey: KEY, keyFrom: 'MAAS_API_KEY' });
    expect(c.eraseMode).toBe('secure');
    // Rack files may name password variables that live in .env.
    expect(c.env.RACKPILOT_SWITCH_PASS_TOR_R01).toBe('sw-pass-from-file');
    expect(redact('sw-pass-from-file')).toBe('***');
    expect(c.warnings).toEqual([expect.stringMatching(/^RACKPILOT_RACK_FILE is not set/)]);
  });

  it('reads the file RACKPILOT_ENV_FILE names, and refuses a missing one', () => {
    const d = dir();
    writeFileSync(join(d, 'prod.env'), 'RACKPILOT_ERASE_MODE=none\n');
    expect(loadConfig({ env: { RACKPILOT_ENV_FILE: join(d, 'prod.env') }, cwd: d, home }).eraseMode).toBe(
      'none',
    );
    const err = (() => {
      try {
        loadConfig({ env: {}, envFile: join(d, 'missing.env'), cwd: d, home });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err?.problems).toEqual([
      {
        variable: 'RACKPILOT_ENV_FILE',
        problem: `no such file: ${join(d, 'missing.env')}`,
        example: './.env',
      },
    ]);
  });

  it('warns when a .env holding secrets is readable by others', () => {
    const d = dir();
    writeFileSync(join(d, '.env'), `MAAS_SYSTEM_URL="${SYSTEM_URL.replace('\n', '')}"\n`);
    chmodSync(join(d, '.env'), 0o644);
    const c = loadConfig({ env: {}, cwd: d, home });
    expect(c.warnings.join('\n')).toContain(`chmod 600 ${join(d, '.env')}`);
  });

  it("reads the seed's system URL pasted into .env across two lines", () => {
    const d = dir();
    writeFileSync(join(d, '.env'), `MAAS_SYSTEM_URL="${SYSTEM_URL}"\n`, { mode: 0o600 });
    expect(loadConfig({ env: {}, cwd: d, home }).maas).toEqual({
      url: 'http://172.31.0.75:5240/MAAS',
      apiKey: KEY,
      keyFrom: 'MAAS_SYSTEM_URL',
    });
  });

  it('reads nothing with envFile: false', () => {
    const d = dir();
    writeFileSync(join(d, '.env'), 'RACKPILOT_ERASE_MODE=none\n');
    expect(loadConfig({ env: {}, envFile: false, cwd: d, home }).eraseMode).toBe('full');
  });
});

// Each: the environment, the variable the problem names, what it must say.
const BAD: [string, Record<string, string>, string, RegExp][] = [
  ['URL not a URL', { MAAS_URL: 'not a url', MAAS_API_KEY: API_KEY }, 'MAAS_URL', /"not a url" is not a URL/],
  [
    'URL ftp',
    { MAAS_URL: 'ftp://10.0.0.1/MAAS', MAAS_API_KEY: API_KEY },
    'MAAS_URL',
    /http:\/\/ or https:\/\//,
  ],
  [
    'URL with credentials',
    { MAAS_URL: 'http://admin:pw@10.0.0.1/MAAS', MAAS_API_KEY: API_KEY },
    'MAAS_URL',
    /user name or password/,
  ],
  ['URL with query', { MAAS_URL: 'http://10.0.0.1/MAAS?op=x', MAAS_API_KEY: API_KEY }, 'MAAS_URL', /query/],
  ['URL without key', { MAAS_URL: 'http://10.0.0.1/MAAS' }, 'MAAS_API_KEY', /not set, but MAAS_URL is/],
  ['key without URL', { MAAS_API_KEY: API_KEY }, 'MAAS_URL', /not set, but MAAS_API_KEY is/],
  [
    'key with two parts',
    { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `${CONSUMER}:${SECRET}` },
    'MAAS_API_KEY',
    /has 2 parts.*3 \(consumer:token:secret\)/,
  ],
  [
    'key with four parts',
    { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `${API_KEY}:x` },
    'MAAS_API_KEY',
    /has 4 parts/,
  ],
  [
    'key with empty token',
    { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `${CONSUMER}::${SECRET}` },
    'MAAS_API_KEY',
    /token key \(part 2\) is empty/,
  ],
  [
    'key with space',
    { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `${CONSUMER}:${TOKEN}:${SECRET} x` },
    'MAAS_API_KEY',
    /token secret \(part 3\) holds characters other than/,
  ],
  [
    'system url without MaasIP',
    { MAAS_SYSTEM_URL: SYSTEM_URL.replace('MaasIP=172.31.0.75;', '') },
    'MAAS_SYSTEM_URL',
    /MaasIP missing/,
  ],
  [
    'system url without secret',
    { MAAS_SYSTEM_URL: SYSTEM_URL.replace(`MaasSecret=${SECRET};`, '') },
    'MAAS_SYSTEM_URL',
    /MaasSecret missing/,
  ],
  [
    'system url with unknown name',
    { MAAS_SYSTEM_URL: `${SYSTEM_URL};MaasPort=5240` },
    'MAAS_SYSTEM_URL',
    /unknown name "MaasPort" \(known: MaasIP, MaasKey, MaasSecret, MaasConsumerKey\)/,
  ],
  [
    'system url item without =',
    { MAAS_SYSTEM_URL: `${SYSTEM_URL};${SECRET}` },
    'MAAS_SYSTEM_URL',
    /item 5 has no "="/,
  ],
  [
    'system url twice',
    { MAAS_SYSTEM_URL: `${SYSTEM_URL};MaasIP=1.2.3.4` },
    'MAAS_SYSTEM_URL',
    /MaasIP is given twice/,
  ],
  [
    'system url bad IP',
    { MAAS_SYSTEM_URL: SYSTEM_URL.replace('172.31.0.75', '172.31.0.75/MAAS') },
    'MAAS_SYSTEM_URL',
    /MaasIP is not an IP address/,
  ],
  [
    'system url bad secret',
    { MAAS_SYSTEM_URL: SYSTEM_URL.replace(SECRET, `${SECRET}$`) },
    'MAAS_SYSTEM_URL',
    /MaasSecret holds characters/,
  ],
  [
    'two different keys',
    { MAAS_SYSTEM_URL: SYSTEM_URL, MAAS_API_KEY: `${CONSUMER}:${TOKEN}:other${SECRET}` },
    'MAAS_SYSTEM_URL',
    /different key than MAAS_API_KEY/,
  ],
  [
    'two different hosts',
    { MAAS_SYSTEM_URL: SYSTEM_URL, MAAS_URL: 'http://10.0.0.1:5240/MAAS' },
    'MAAS_SYSTEM_URL',
    /MaasIP 172\.31\.0\.75 and the host of MAAS_URL \(10\.0\.0\.1\) differ/,
  ],
  [
    'erase mode',
    { RACKPILOT_ERASE_MODE: 'fast' },
    'RACKPILOT_ERASE_MODE',
    /"fast" is not an erase mode \(full, quick, secure, none\)/,
  ],
  ['lab mode', { RACKPILOT_LAB: 'maybe' }, 'RACKPILOT_LAB', /"maybe" is not one of auto, on, off/],
  ['lab off, no MaaS', { RACKPILOT_LAB: 'off' }, 'MAAS_URL', /RACKPILOT_LAB=off/],
  ['time scale negative', { RACKPILOT_TIME_SCALE: '-1' }, 'RACKPILOT_TIME_SCALE', /not a number ≥ 0/],
  ['time scale word', { RACKPILOT_TIME_SCALE: 'fast' }, 'RACKPILOT_TIME_SCALE', /not a number ≥ 0/],
  ['time scale huge', { RACKPILOT_TIME_SCALE: '1000' }, 'RACKPILOT_TIME_SCALE', /larger than 100/],
  ['lab racks', { RACKPILOT_LAB_RACKS: '0' }, 'RACKPILOT_LAB_RACKS', /whole number from 1 to 64/],
  ['lab hosts', { RACKPILOT_LAB_HOSTS: '2.5' }, 'RACKPILOT_LAB_HOSTS', /whole number/],
  [
    'rack file missing',
    { RACKPILOT_RACK_FILE: '/nonexistent/rack.json' },
    'RACKPILOT_RACK_FILE',
    /no such file: \/nonexistent\/rack\.json/,
  ],
  ['rack file a directory', { RACKPILOT_RACK_FILE: '/' }, 'RACKPILOT_RACK_FILE', /is not a file/],
  ['store a directory', { RACKPILOT_STORE: '/tmp' }, 'RACKPILOT_STORE', /exists and is not a file/],
  ['known hosts a directory', { RACKPILOT_KNOWN_HOSTS: '/tmp' }, 'RACKPILOT_KNOWN_HOSTS', /not a file/],
];

describe('bad settings', () => {
  it.each(BAD)('%s', (_name, env, variable, message) => {
    const err = fail(env);
    const p = err.problems.find((x) => x.variable === variable);
    expect(p, JSON.stringify(err.problems)).toBeDefined();
    expect(p!.problem).toMatch(message);
    // The printed message names the variable, says what is wrong and shows a right value.
    expect(err.message).toContain(`  ${variable}: `);
    expect(err.message).toContain(`      e.g. ${variable}=`);
    expect(err.message.startsWith('rackpilot cannot start: ')).toBe(true);
  });

  it('lists every problem at once', () => {
    const err = fail({
      MAAS_URL: 'ftp://x',
      MAAS_API_KEY: 'a:b',
      RACKPILOT_ERASE_MODE: 'fast',
      RACKPILOT_LAB: 'x',
    });
    expect(err.problems.map((p) => p.variable)).toEqual([
      'MAAS_URL',
      'MAAS_API_KEY',
      'RACKPILOT_ERASE_MODE',
      'RACKPILOT_LAB',
    ]);
    expect(err.message.split('\n')[0]).toBe(
      'rackpilot cannot start: 4 settings are wrong (environment or .env)',
    );
  });

  it('is an operator error: what the CLI prints carries no stack trace', () => {
    const text = describeError(fail({ RACKPILOT_ERASE_MODE: 'fast' }));
    expect(text).not.toMatch(/\bat .*\.ts:\d+/);
    expect(text).toContain('.env.example');
  });
});

describe('secrets never printed', () => {
  // Bad configurations that all carry the real secret somewhere.
  const cases: [string, Record<string, string>][] = [
    ['bad URL next to a good key', { MAAS_URL: 'gopher://x', MAAS_API_KEY: API_KEY }],
    ['key with four parts', { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `${API_KEY}:extra` }],
    ['key with two parts', { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `${TOKEN}${SECRET}:x` }],
    [
      'secret with a bad character',
      { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `${CONSUMER}:${TOKEN}:${SECRET}!` },
    ],
    ['key pasted with = signs', { MAAS_URL: 'http://10.0.0.1/MAAS', MAAS_API_KEY: `MaasSecret=${SECRET}` }],
    ['system url with a bare secret item', { MAAS_SYSTEM_URL: `${SYSTEM_URL};${SECRET}` }],
    ['system url with the secret in an unknown name', { MAAS_SYSTEM_URL: `MaasIP=1.2.3.4;${SECRET}=x` }],
    ['system url, bad MaasIP', { MAAS_SYSTEM_URL: SYSTEM_URL.replace('172.31.0.75', 'a b') }],
    ['system url vs key', { MAAS_SYSTEM_URL: SYSTEM_URL, MAAS_API_KEY: `${CONSUMER}:${TOKEN}:x${SECRET}` }],
    ['secret in the URL', { MAAS_URL: `http://op:${SECRET}@10.0.0.1/MAAS`, MAAS_API_KEY: API_KEY }],
    ['secret as the erase mode', { RACKPILOT_ERASE_MODE: SECRET, MAAS_SYSTEM_URL: SYSTEM_URL }],
  ];

  it.each(cases)('%s', (_name, env) => {
    const err = fail(env);
    for (const text of [
      JSON.stringify(err.problems),
      err.message,
      String(err),
      err.stack ?? '',
      describeError(err),
    ]) {
      expect(text).not.toContain(SECRET);
    }
    // And the values are registered, so any later log line that quotes them is masked too.
    for (const [name, value] of Object.entries(env)) {
      if (name === 'MAAS_API_KEY' || name === 'MAAS_SYSTEM_URL')
        expect(redact(`x ${value} y`)).not.toContain(SECRET);
    }
  });

  // The parsers' own problem texts, before any redaction: they describe shape, never content.
  it.each([
    `${API_KEY}:extra`,
    `${TOKEN}${SECRET}:x`,
    `${CONSUMER}:${TOKEN}:${SECRET}!`,
    `${CONSUMER}::${SECRET}`,
    `MaasSecret=${SECRET}`,
    SECRET,
  ])('parseMaasApiKey never echoes the key (case %#)', (text) => {
    const r = parseMaasApiKey(text);
    expect(r.ok).toBe(false);
    if (!r.ok) for (const part of [SECRET, TOKEN, CONSUMER]) expect(r.problem).not.toContain(part);
  });

  it.each([
    `${SYSTEM_URL};${SECRET}`,
    `MaasIP=1.2.3.4;${SECRET}=x`,
    `MaasIP=1.2.3.4;MaasKey=${TOKEN};MaasSecret=${SECRET}`,
    SYSTEM_URL.replace(SECRET, `${SECRET}$`),
    SYSTEM_URL.replace('172.31.0.75', SECRET + ':'),
    `MaasIP=1.2.3.4;MaasKey=${TOKEN};MaasKey=${SECRET}`,
  ])('parseMaasSystemUrl never echoes the key (case %#)', (text) => {
    const r = parseMaasSystemUrl(text);
    expect(r.ok).toBe(false);
    if (!r.ok) for (const part of [SECRET, TOKEN, CONSUMER]) expect(r.problem).not.toContain(part);
  });
});
