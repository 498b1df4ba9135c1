import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY } from './clean.ts';

/** Bad settings the campaign and `rackpilot check`'s tests both try: [variable, environment]. */
export const d = mkdtempSync(join(tmpdir(), 'rp-campaign-settings-'));
const aDir = join(d, 'a-dir');
mkdirSync(aDir);
const aFile = join(d, 'a-file');
writeFileSync(aFile, 'x');
const maas = { MAAS_URL: 'http://10.0.0.1:5240/MAAS', MAAS_API_KEY: KEY };

export type Case = [variable: string, env: Record<string, string>];
const v = (name: string, values: string[], base: Record<string, string> = {}): Case[] =>
  values.map((value) => [name, { ...base, [name]: value }]);

export const CASES: Case[] = [
  ...v(
    'MAAS_URL',
    [
      'not a url',
      'ftp://10.0.0.1/MAAS',
      'http://admin:pw@10.0.0.1:5240/MAAS',
      'http://10.0.0.1:5240/MAAS?x=1',
      'http://10.0.0.1:5240/MAAS#top',
      'javascript:alert(1)',
      '10.0.0.1:5240/MAAS',
      'http//10.0.0.1/MAAS',
      'file:///etc/passwd',
      'http://[::1/MAAS',
      'http://10.0.0.1:99999/MAAS',
    ],
    { MAAS_API_KEY: KEY },
  ),
  ...v(
    'MAAS_API_KEY',
    ['a', 'a:b', 'a:b:c:d', '::', 'ab cd:ef:gh', 'x'.repeat(5000), 'a:b:', ':b:c', 'ä:ö:ü'],
    { MAAS_URL: maas.MAAS_URL },
  ),
  ['MAAS_API_KEY', { MAAS_URL: maas.MAAS_URL }],
  ['MAAS_URL', { MAAS_API_KEY: KEY }],
  ...v('MAAS_SYSTEM_URL', ['garbage', 'MaasIP=;', 'MaasKey=x;MaasSecret=y', 'MaasIP=10.0.0.1']),
  ...v('RACKPILOT_ERASE_MODE', ['fast', 'FULLY', '1', 'wipe', 'secure-erase'], maas),
  ...v('RACKPILOT_LAB', ['maybe', '2', 'onn', 'enabled']),
  ['MAAS_URL', { RACKPILOT_LAB: 'off' }],
  ...v('RACKPILOT_TIME_SCALE', ['-1', 'abc', '1e999', 'NaN', '1,5', '1000000']),
  ...v('RACKPILOT_LAB_RACKS', ['-1', '0', 'abc', '1.5', '999999999']),
  ...v('RACKPILOT_LAB_HOSTS', ['-1', '0', 'abc', '1.5', '999999999']),
  ...v('RACKPILOT_LAB_SEED', ['-1', 'abc', '1.5']),
  ...v('RACKPILOT_RUNNER_IDLE', ['abc', '-5', '1.5', 'forever']),
  ...v('RACKPILOT_POLL_MS', ['0', 'abc', '-5', '1e3', '10']),
  ...v('RACKPILOT_POWER_SWEEP_MS', ['abc', '-1', '1.5']),
  ...v('RACKPILOT_MAAS_TIMEOUT', ['0', 'abc', '-5', '601', '1.5']),
  ...v('RACKPILOT_STORE', ['/etc/passwd/x/store.json', aDir, join(aFile, 'store.json')], maas),
  ...v('RACKPILOT_RACK_FILE', [join(d, 'missing.json'), aDir, join(aFile, 'rack.json')], maas),
  ...v('RACKPILOT_KNOWN_HOSTS', [aDir, join(aFile, 'known_hosts')], maas),
  ...v('RACKPILOT_ENV_FILE', [join(d, 'missing.env'), aDir]),
  ...v('RACKPILOT_ETCD', ['not a url', 'ftp://10.0.0.1:2379', 'http://', 'http://10.0.0.1:2379,,bad'], maas),
  ...v('RACKPILOT_ETCD_TTL', ['abc', '0', '-1'], { ...maas, RACKPILOT_ETCD: 'http://10.0.0.11:2379' }),
];
