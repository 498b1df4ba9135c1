/**
 * HTTP(S) to many BMCs over one undici Agent: one keep-alive pool per BMC, so a sweep after the
 * first reuses its TLS connections; every request has a deadline. BMC certificates are self-signed,
 * so the CA check is off and trust comes from the pin or the known-certificates file instead,
 * checked on every new connection before a byte of the request (or a password) is sent.
 */
import type { TLSSocket } from 'node:tls';
import { Pool, buildConnector } from 'undici';
import { checkCertificate, colonHex } from './known-certs.ts';
import { RedfishError } from './errors.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  json: unknown;
  text: string;
}

export interface Origin {
  scheme: 'https' | 'http';
  host: string;
  port: number;
  /** Lower-case hex SHA-256 pin, from the rack file. */
  certSha256?: string | undefined;
  /** For messages: `BMC of r01-n001`. */
  name: string;
}

export function originUrl(o: Pick<Origin, 'scheme' | 'host' | 'port'>): string {
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const dflt = o.scheme === 'https' ? 443 : 80;
  return `${o.scheme}://${host}${o.port === dflt ? '' : `:${o.port}`}`;
}

/** Answers larger than this are not a Redfish resource we read; refuse before buffering them. */
const MAX_BODY = 4 * 1024 * 1024;

export class BmcHttp {
  /** One keep-alive pool per BMC and pin: a changed pin never rides a connection checked against the old one. */
  private readonly pools = new Map<string, Pool>();

  constructor(
    private readonly opts: {
      knownCertsPath?: string | undefined;
      connectTimeoutMs: number;
      connections?: number;
      /** Accept any certificate: only for the lab MaaS, which emulates MaaS's driver (it checks none). */
      anyCertificate?: boolean;
    },
  ) {}

  private pool(origin: Origin): Pool {
    const url = originUrl(origin);
    const key = `${url}\u0000${origin.certSha256 ?? ''}`;
    let p = this.pools.get(key);
    if (!p) {
      const base = buildConnector({
        rejectUnauthorized: false,
        // A resumed TLS session would skip the certificate exchange this client checks.
        maxCachedSessions: 0,
        timeout: this.opts.connectTimeoutMs,
      });
      p = new Pool(url, {
        keepAliveTimeout: 60_000,
        keepAliveMaxTimeout: 300_000,
        connections: this.opts.connections ?? 2,
        connect: (o, cb) =>
          base(o, (err, socket) => {
            if (err || !socket) return cb(err ?? new Error('no socket'), null);
            const bad =
              origin.scheme === 'https' && !this.opts.anyCertificate
                ? this.certProblem(origin, socket as TLSSocket)
                : undefined;
            if (bad) {
              socket.destroy();
              return cb(bad, null);
            }
            cb(null, socket);
          }),
      });
      this.pools.set(key, p);
    }
    return p;
  }

  private certProblem(origin: Origin, socket: TLSSocket): RedfishError | undefined {
    const { host, port, name } = origin;
    const der = socket.getPeerCertificate(false)?.raw;
    if (!der) {
      return new RedfishError('certificate', `${name} (${host}:${port}) presented no certificate`, {
        target: name,
      });
    }
    const v = checkCertificate({
      host,
      port,
      der,
      pinned: origin.certSha256,
      knownCertsPath: this.opts.knownCertsPath,
    });
    if (v.ok) return undefined;
    return new RedfishError(
      'certificate',
      `${name} (${host}:${port}) presented a different certificate: SHA-256 ${colonHex(v.sha256)}, expected ${v.expected === '(none)' ? 'a pinned one' : colonHex(v.expected)} (${v.source}); refusing to send credentials`,
      {
        target: name,
        hint: v.source.startsWith('the pinned')
          ? 'if the BMC was given a new certificate, check it on the BMC console and update certSha256 in the rack file'
          : v.expected === '(none)'
            ? 'pin it with certSha256 in the rack file'
            : `if the BMC was given a new certificate, check it on the BMC console, then delete that line of ${this.opts.knownCertsPath}`,
      },
    );
  }

  async request(
    origin: Origin,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    opts: {
      headers?: Record<string, string>;
      body?: unknown;
      deadlineMs: number;
      signal?: AbortSignal | undefined;
    },
  ): Promise<HttpAnswer> {
    const deadline = AbortSignal.timeout(opts.deadlineMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    const url = originUrl(origin);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'odata-version': '4.0',
      ...opts.headers,
      ...(opts.body !== undefined && { 'content-type': 'application/json' }),
    };
    try {
      const r = await this.pool(origin).request({
        path,
        method,
        headers,
        ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
        signal,
        headersTimeout: opts.deadlineMs,
        bodyTimeout: opts.deadlineMs,
      });
      const text = await readCapped(r.body, MAX_BODY);
      let json: unknown;
      if (text.trim() !== '') {
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
      }
      const h: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(r.headers)) h[k.toLowerCase()] = Array.isArray(v) ? v[0] : v;
      return { status: r.statusCode, headers: h, json, text };
    } catch (err) {
      if (err instanceof RedfishError) throw err;
      if (opts.signal?.aborted) throw opts.signal.reason ?? err;
      throw unreachable(
        origin,
        url,
        err,
        deadline.aborted ? opts.deadlineMs : undefined,
        this.opts.connectTimeoutMs,
      );
    }
  }

  /** Close every pool; connections still busy after a second are cut. */
  async close(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      all.map(async (p) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), 1_000)));
        const done = await Promise.race([p.close().then(() => 'closed' as const), late]);
        clearTimeout(timer);
        if (done === 'late') await p.destroy().catch(() => undefined);
      }),
    );
  }
}

async function readCapped(body: AsyncIterable<Buffer | string>, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    n += b.length;
    if (n > max) throw new Error(`answer larger than ${max} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts).toString('utf8');
}

const seconds = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`);

function unreachable(
  origin: Origin,
  url: string,
  err: unknown,
  timedOutMs: number | undefined,
  connectMs: number,
): RedfishError {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  const code = e.code ?? e.cause?.code;
  const why =
    timedOutMs !== undefined || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
      ? `did not answer within ${seconds(timedOutMs ?? 0)}`
      : code === 'UND_ERR_CONNECT_TIMEOUT'
        ? `did not accept a connection within ${seconds(connectMs)}`
        : code === 'ECONNREFUSED'
          ? 'refused the connection'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? 'has a name that does not resolve'
            : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
              ? 'closed the connection'
              : `cannot be reached (${code ?? e.message})`;
  return new RedfishError('unreachable', `${origin.name} (${url}) ${why}`, {
    target: origin.name,
    hint: 'check the BMC address, port and scheme in the rack file, and that this jump host can reach the BMC network',
    cause: err,
  });
}
