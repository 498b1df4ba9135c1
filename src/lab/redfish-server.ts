/**
 * The lab's Redfish BMCs: one HTTPS (or HTTP) server per host on its own loopback port, as each real
 * BMC has its own address, sharing power and boot with the LabWorld like the IPMI ones. HTTPS uses
 * one self-signed certificate generated at start (BMCs ship self-signed certificates; trust is the
 * client's pin or its known-certificates file). Faults: a dead BMC, a new certificate, a new password.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { X509Certificate, createHash } from 'node:crypto';
import selfsigned from 'selfsigned';
import { LabRedfishBmc, type LabRedfishOptions, type RedfishAnswer } from './redfish-core.ts';
import type { LabWorld } from './world.ts';
import { bmcAccessFor } from './bmc-core.ts';
import { labHostsNamed } from './spec.ts';

export interface LabRedfishEndpoint {
  hostname: string;
  host: '127.0.0.1';
  port: number;
  scheme: 'https' | 'http';
  systemId: string;
  /** Lower-case hex SHA-256 of the certificate's DER (https only). */
  certSha256?: string;
}

export interface LabTlsIdentity {
  key: string;
  cert: string;
  sha256: string;
}

export type LabRedfishQuirks = Omit<LabRedfishOptions, 'name' | 'username' | 'password'>;

export interface StartLabRedfishOptions {
  /** Only these hosts (default: every host of the spec). */
  hostnames?: string[];
  scheme?: 'https' | 'http';
  /** Per-host quirks, or one set for all. */
  quirks?: LabRedfishQuirks | ((hostname: string) => LabRedfishQuirks);
  /** A certificate to serve (default: one generated now). */
  tls?: LabTlsIdentity;
}

export interface LabRedfishBmcs {
  bmcs: LabRedfishEndpoint[];
  /** The BMC object of one host (its counters, its sessions). */
  bmc(hostname: string): LabRedfishBmc;
  /** The BMC answers nothing: connections are accepted and left hanging. */
  setDead(hostname: string, dead: boolean): void;
  /** The BMC presents a new self-signed certificate from now on (a replaced board, a renewal). */
  rotateCertificate(hostname: string): Promise<string>;
  changePassword(hostname: string, password: string | undefined): void;
  close(): Promise<void>;
}

/** A self-signed certificate for loopback, as a BMC generates for itself at first boot. */
export async function generateLabCertificate(commonName = 'rackpilot lab BMC'): Promise<LabTlsIdentity> {
  const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 3650 * 86_400_000),
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  return { key: pems.private, cert: pems.cert, sha256: certSha256OfPem(pems.cert) };
}

export function certSha256OfPem(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

const MAX_BODY = 64 * 1024;

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n <= MAX_BODY) parts.push(c);
    });
    req.on('end', () => resolve(n > MAX_BODY ? undefined : Buffer.concat(parts).toString('utf8')));
    req.on('error', () => resolve(undefined));
  });
}

function send(res: ServerResponse, a: RedfishAnswer): void {
  const body = a.body === undefined ? '' : JSON.stringify(a.body);
  res.writeHead(a.status, {
    'OData-Version': '4.0',
    ...(body && { 'Content-Type': 'application/json; charset=utf-8' }),
    'Content-Length': Buffer.byteLength(body),
    ...a.headers,
  });
  res.end(body);
}

interface Running {
  bmc: LabRedfishBmc;
  server: Server;
  dead: boolean;
  spec: { password: string };
}

export async function startLabRedfishBmcs(
  world: LabWorld,
  opts: StartLabRedfishOptions = {},
): Promise<LabRedfishBmcs> {
  const scheme = opts.scheme ?? 'https';
  const hosts = labHostsNamed(world.spec, opts.hostnames);
  const tls =
    scheme === 'https' && hosts.length > 0 ? (opts.tls ?? (await generateLabCertificate())) : undefined;
  const running = new Map<string, Running>();
  const endpoints: LabRedfishEndpoint[] = [];

  const start = (host: (typeof hosts)[number]): Promise<LabRedfishEndpoint> => {
    const name = host.hostname;
    const quirks = typeof opts.quirks === 'function' ? opts.quirks(name) : (opts.quirks ?? {});
    const bmc = new LabRedfishBmc(bmcAccessFor(world, name), {
      name,
      username: host.bmc.user,
      password: host.bmc.password,
      ...quirks,
    });
    const r: Running = {
      bmc,
      server: undefined as unknown as Server,
      dead: false,
      spec: { password: host.bmc.password },
    };
    const handler = async (req: IncomingMessage, res: ServerResponse) => {
      if (r.dead) return; // left hanging, as a BMC whose web server has wedged
      const text = await readBody(req);
      if (text === undefined) return send(res, { status: 413 });
      let body: unknown;
      if (text.trim() !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          body = Symbol.for('malformed');
        }
      }
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
      const answer = await bmc.handle({
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        headers,
        body: typeof body === 'symbol' ? 'malformed' : body,
      });
      if (!res.destroyed) send(res, answer);
    };
    r.server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
    r.server.keepAliveTimeout = 120_000;
    return new Promise((resolve, reject) => {
      r.server.once('error', reject);
      r.server.listen(0, '127.0.0.1', () => {
        r.server.off('error', reject);
        running.set(name, r);
        const addr = r.server.address() as { port: number };
        resolve({
          hostname: name,
          host: '127.0.0.1',
          port: addr.port,
          scheme,
          systemId: quirks.systemId ?? '1',
          ...(tls && { certSha256: tls.sha256 }),
        });
      });
    });
  };

  try {
    for (const h of hosts) endpoints.push(await start(h));
  } catch (err) {
    await Promise.all([...running.values()].map((r) => new Promise((res) => r.server.close(res))));
    throw err;
  }

  const get = (hostname: string): Running => {
    const r = running.get(hostname);
    if (!r) throw new Error(`no lab Redfish BMC for ${hostname}`);
    return r;
  };

  return {
    bmcs: endpoints,
    bmc: (hostname) => get(hostname).bmc,
    setDead: (hostname, dead) => void (get(hostname).dead = dead),
    rotateCertificate: async (hostname) => {
      const r = get(hostname);
      const next = await generateLabCertificate(`rackpilot lab BMC ${hostname}`);
      (r.server as import('node:https').Server).setSecureContext({ key: next.key, cert: next.cert });
      // Open connections keep the old certificate; a real BMC restarts its web server.
      r.server.closeAllConnections();
      return next.sha256;
    },
    changePassword: (hostname, password) =>
      get(hostname).bmc.setPassword(password ?? get(hostname).spec.password),
    close: async () => {
      await Promise.all(
        [...running.values()].map(
          (r) =>
            new Promise<void>((resolve) => {
              r.bmc.dispose();
              r.server.close(() => resolve());
              r.server.closeAllConnections();
            }),
        ),
      );
      running.clear();
    },
  };
}
