import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaasClient } from '../../src/gear/maas/client.ts';
import { describeError } from '../../src/util/errors.ts';
import { bounded, expectClean } from './clean.ts';

/**
 * MaaS answers rackpilot cannot use, from a tiny HTTP server: each call ends within its deadline in
 * one message naming MaaS and, where the URL is the cause, MAAS_URL — never the page it got.
 */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_q, r) => r.end('{}');
let server: Server;
let url = '';
const SECRET = 'KlMnOpQrStUvWxYzAbCdEfGhIjKlMnOp';

beforeAll(async () => {
  server = createServer((q, r) => handler(q, r));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/MAAS`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const PAGE = '<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>nginx</body></html>';
const send =
  (status: number, body: string, type = 'application/json'): Handler =>
  (_q, r) => {
    r.writeHead(status, { 'content-type': type });
    r.end(body);
  };
const json = (v: unknown, status = 200) => send(status, JSON.stringify(v));
const machine = { system_id: 'abc123', hostname: 'h1', status: 4, status_name: 'Ready' };

type Case = [label: string, h: Handler, names: RegExp];
const CASES: Case[] = [
  ['an nginx page (200)', send(200, PAGE, 'text/html'), /MAAS_URL .* does not look like a MaaS API/],
  [
    'an nginx page (404)',
    send(404, PAGE, 'text/html'),
    /MAAS_URL .* does not look like a MaaS API.*HTTP 404/,
  ],
  ['a proxy error page (502)', send(502, PAGE, 'text/html'), /MAAS_URL .* does not look like a MaaS API/],
  ['HTML served as text/plain', send(200, PAGE, 'text/plain'), /MAAS_URL .* does not look like a MaaS API/],
  ['plain text, not JSON', send(200, 'OK', 'text/plain'), /MAAS_URL .* does not look like a MaaS API/],
  ['truncated JSON', send(200, '[{"system_id": "ab'), /does not look like a MaaS API/],
  ['a JSON object where a list is due', json({ machines: [] }), /list machines .*\(root\).*MAAS_URL/],
  ['a list of numbers', json([1, 2, 3]), /list machines .*0.*MAAS_URL/],
  ['a machine without system_id', json([{ hostname: 'h1', status: 4 }]), /0\.system_id/],
  ['system_id of the wrong type', json([{ ...machine, system_id: 5 }]), /0\.system_id/],
  ['status of the wrong type', json([{ ...machine, status: 'Ready' }]), /0\.(status|fqdn)/],
  ['null', json(null), /\(root\)/],
  ['an empty body', send(200, ''), /does not look like a MaaS API/],
  [
    'a huge garbage body (5 MB)',
    send(200, 'x'.repeat(5 << 20), 'text/plain'),
    /does not look like a MaaS API/,
  ],
  [
    'a huge HTML body (5 MB)',
    send(200, '<html>' + 'x'.repeat(5 << 20), 'text/html'),
    /does not look like a MaaS API/,
  ],
  [
    // Named from its content type: the body is not read (were it, this would be a timeout).
    'an HTML page whose body never ends',
    (_q, r) => (r.writeHead(200, { 'content-type': 'text/html' }), r.write('<html>')),
    /MAAS_URL .* does not look like a MaaS API/,
  ],
  [
    '401 with a JSON body',
    send(401, '"Authorization Error: invalid token"'),
    /MaaS did not accept the API key \(HTTP 401\)/,
  ],
  ['403', send(403, 'forbidden', 'text/plain'), /HTTP 403/],
  ['404 text on the list path', send(404, 'Not Found', 'text/plain'), /HTTP 404/],
  ['500', send(500, 'Internal Server Error', 'text/plain'), /HTTP 500/],
  ['503 (busy)', send(503, 'busy', 'text/plain'), /HTTP 503/],
  ['400', send(400, '{"hostname": ["bad"]}'), /HTTP 400/],
  ['a teapot (418)', send(418, 'teapot', 'text/plain'), /HTTP 418/],
  ['a server that never answers', () => undefined, /MaaS at .* \(MAAS_URL\) did not answer within 0\.3 s/],
  [
    'headers, then a body that never comes',
    (_q, r) => (r.writeHead(200, { 'content-type': 'application/json' }), r.write('[')),
    /did not answer within 0\.3 s/,
  ],
  [
    'a connection closed without an answer',
    (q) => q.socket.destroy(),
    /could not connect .*MAAS_URL|MAAS_URL/,
  ],
  [
    'a body cut short',
    (_q, r) => (
      r.writeHead(200, { 'content-length': '100' }),
      r.write('[{'),
      setTimeout(() => r.socket?.destroy(), 20)
    ),
    /MAAS_URL|MaaS/,
  ],
];

describe('MaaS answers rackpilot cannot use', () => {
  it.each(CASES)('%s', async (_l, h, names) => {
    handler = h;
    const c = new MaasClient({
      url,
      apiKey: { consumerKey: 'AbCdEfGhIjKlMnOpQr', tokenKey: 'StUvWxYzAbCdEfGhIj', tokenSecret: SECRET },
      timeoutMs: 300,
      retries: 0,
      urlSource: 'MAAS_URL',
    });
    const started = Date.now();
    const err = await bounded(
      c.listMachines().then(
        () => null,
        (e: unknown) => e,
      ),
      3_000,
      'list machines',
    );
    expect(err).not.toBeNull();
    expect(Date.now() - started).toBeLessThan(2_000);
    expectClean(describeError(err), names, { secrets: [SECRET] });
    expect(describeError(err)).not.toContain('nginx');
  });

  it('a machine read on a wrong path (404 HTML) blames MAAS_URL, not a stale machine id', async () => {
    handler = send(404, PAGE, 'text/html');
    const c = new MaasClient({
      url,
      apiKey: { consumerKey: 'a', tokenKey: 'b', tokenSecret: SECRET },
      timeoutMs: 300,
      retries: 0,
      urlSource: 'MAAS_URL',
    });
    const text = describeError(await c.readMachine('abc123').catch((e: unknown) => e));
    expectClean(text, /MAAS_URL .* does not look like a MaaS API/);
    expect(text).toMatch(/ends with \/MAAS/);
    expect(text).not.toMatch(/stale/);
  });
});

export const MAAS_CASES = CASES.length + 1;
