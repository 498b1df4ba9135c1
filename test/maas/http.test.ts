import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { undiciFetch } from '../../src/gear/maas/http.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(handler: Handler): Promise<string> {
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => srv.close() });
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

describe("MaaS's transport under ky (undici's request API)", () => {
  it('sends method, headers and form body as given, and answers status, headers and body', async () => {
    const seen: { method?: string; type?: string; auth?: string; body?: string; path?: string }[] = [];
    const url = await serve((req, res, body) => {
      seen.push({
        method: req.method,
        type: req.headers['content-type'],
        auth: req.headers.authorization,
        body,
        path: req.url,
      });
      res.writeHead(201, { 'content-type': 'application/json', 'x-two': ['a', 'b'] });
      res.end('{"ok":true}');
    });
    const res = await undiciFetch()(`${url}/MAAS/api/2.0/machines/?op=allocate`, {
      method: 'POST',
      headers: { Authorization: 'OAuth x' },
      body: new URLSearchParams({ name: 'vm1', tags: 'a' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-two')).toBe('a, b');
    expect(await res.json()).toEqual({ ok: true });
    expect(seen).toEqual([
      {
        method: 'POST',
        type: 'application/x-www-form-urlencoded;charset=UTF-8',
        auth: 'OAuth x',
        body: 'name=vm1&tags=a',
        path: '/MAAS/api/2.0/machines/?op=allocate',
      },
    ]);
  });

  it('a 204 has no body (a Response refuses one), as a DELETE of MaaS answers', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const res = await undiciFetch()(`${url}/x/`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  it('follows a redirect, and drops the Authorization header when it leaves the origin', async () => {
    const auths: (string | undefined)[] = [];
    const other = await serve((req, res) => {
      auths.push(req.headers.authorization);
      res.end('"elsewhere"');
    });
    const url = await serve((req, res) => {
      auths.push(req.headers.authorization);
      if (req.url === '/a/') res.writeHead(301, { location: '/b/' }).end();
      else if (req.url === '/b/') res.writeHead(302, { location: `${other}/c/` }).end();
      else res.writeHead(404).end();
    });
    const res = await undiciFetch()(`${url}/a/`, { headers: { Authorization: 'OAuth secret' } });
    expect(await res.json()).toBe('elsewhere');
    expect(auths).toEqual(['OAuth secret', 'OAuth secret', undefined]);
  });

  it('a network failure rejects as fetch does: TypeError "fetch failed" with the cause', async () => {
    const url = await serve(() => undefined);
    servers.pop()!.close();
    const err = await undiciFetch()(`${url}/x/`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError).message).toBe('fetch failed');
    expect(((err as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it("an aborted request rejects with its signal's reason", async () => {
    const url = await serve(() => undefined);
    const ac = new AbortController();
    const pending = undiciFetch()(`${url}/slow/`, { signal: ac.signal });
    const why = new Error('step cancelled');
    ac.abort(why);
    await expect(pending).rejects.toBe(why);
  });

  it('streams the body as it comes; a reader that cancels midway stops it without an error', async () => {
    let sent = 0;
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      const more = () => {
        while (sent < 1024 && res.write(Buffer.alloc(64 * 1024, 0x61))) sent++;
        if (sent < 1024) res.once('drain', more);
        else res.end();
      };
      more();
    });
    const res = await undiciFetch()(`${url}/big/`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    await reader.cancel();
    // Cancelled after the first chunk: the server did not get to write all 64 MiB.
    expect(sent).toBeLessThan(1024);
  });
});
