import { mkdtempSync } from 'node:fs';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../runner/cli-process.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { expectClean, KEY } from './clean.ts';

/**
 * The findings of issue 13 as an operator meets them: real `rackpilot` processes, through the
 * runner, each bounded and ending in one message that names what to fix.
 */
let tl: TestLab;
let silent: Server;
let web: HttpServer;
let silentUrl = '';
let webUrl = '';
const d = mkdtempSync(join('/tmp', 'rp-campaign-proc-'));

beforeAll(async () => {
  tl = await startTestLab({ hosts: 6, racks: 1, seed: 4 });
  silent = createServer(() => undefined); // accepts, never answers
  await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/MAAS`;
  web = createHttp((_q, r) => {
    r.writeHead(200, { 'content-type': 'text/html' });
    r.end('<html><body><h1>Welcome to nginx!</h1></body></html>');
  });
  await new Promise<void>((ok) => web.listen(0, '127.0.0.1', ok));
  webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await stopRunnersUnder(d);
  await stopRunnersUnder(tl.dir);
  silent.close();
  web.closeAllConnections();
  web.close();
  await tl.close();
});

const site = (name: string, extra: Record<string, string>) => ({
  HOME: d,
  RACKPILOT_ENV_FILE: '',
  MAAS_API_KEY: KEY,
  RACKPILOT_STORE: join(d, name, 'store.json'),
  RACKPILOT_MAAS_TIMEOUT: '1',
  ...extra,
});

describe('issue 13 findings, through the CLI and the runner', () => {
  it('MAAS_URL at a server that never answers: the command ends naming MAAS_URL and the deadline', async () => {
    const started = Date.now();
    const r = await cli(['hosts'], site('silent', { MAAS_URL: silentUrl }));
    expect(r.code).toBe(1);
    expectClean(r.err, /MaaS at http:\/\/127\.0\.0\.1:\d+\/MAAS \(MAAS_URL\) did not answer within 1 s/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  it('MAAS_URL at a web server that is not MaaS: no page, MAAS_URL named, /MAAS hinted', async () => {
    for (const path of ['/MAAS', '/wrong']) {
      const r = await cli(['hosts'], site(`web${path.slice(1)}`, { MAAS_URL: webUrl + path }));
      expect(r.code).toBe(1);
      expectClean(r.err, /MAAS_URL http:\S+ does not look like a MaaS API/);
      expect(r.err).toMatch(/ends with \/MAAS/);
      expect(r.err).not.toMatch(/nginx|stale/);
    }
  }, 30_000);

  it('host add with a MAC the rack file does not list for that hostname is refused', async () => {
    const env = tl.env(join(d, 'lab', 'store.json'), { RACKPILOT_ENV_FILE: '' });
    const h = tl.lab.spec.hosts[2]!;
    const r = await cli(
      [
        'host',
        'add',
        '--hostname',
        h.hostname,
        '--mac',
        '02:00:00:00:99:99',
        '--cores',
        '8',
        '--mhz',
        '2400',
        '--memory',
        '16384',
      ],
      env,
    );
    expect(r.code).not.toBe(0);
    expectClean(r.err, new RegExp(`MAC 02:00:00:00:99:99 is not a NIC of ${h.hostname} in the rack file`));
    const ls = await cli(['host', 'ls', '--json'], env);
    expect(ls.out).not.toContain('02:00:00:00:99:99');
  }, 60_000);

  it('RACKPILOT_STORE and lab --env-out under a file: named, and the command exits', async () => {
    const a = await cli(['hosts'], {
      HOME: d,
      RACKPILOT_ENV_FILE: '',
      RACKPILOT_STORE: '/etc/passwd/x/store.json',
    });
    expect(a.code).toBe(2);
    expectClean(
      a.err,
      /RACKPILOT_STORE: \/etc\/passwd\/x\/store\.json cannot be created: \/etc\/passwd is a file/,
    );
    const b = await cli(['lab', '--hosts', '2', '--env-out', '/etc/passwd/x/lab.env'], {
      HOME: d,
      RACKPILOT_ENV_FILE: '',
    });
    expect(b.code).toBe(1);
    expectClean(b.err, /--env-out \/etc\/passwd\/x\/lab\.env: \/etc\/passwd is a file/);
  }, 30_000);
});

export const PROCESS_CASES = 5;
