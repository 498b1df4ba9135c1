import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  splitMaasApiKey,
  verifyMaasAuthorization,
  formatMaasApiKey,
  type MaasApiKey,
} from '../gear/maas/oauth.ts';
import { nodeStatusFromName, type NodeStatusCode } from '../gear/maas/node-status.ts';
import { registerSecret } from '../util/redact.ts';
import { LabMaasCore, LabMaasError, type LabMaasCoreOptions } from './maas-core.ts';
import { route } from './maas-routes.ts';
import { API_PREFIX, type LabMachine } from './maas-json.ts';
import { worldPowerDriver, type MaasPowerDriver } from './maas-power.ts';
import type { LabWorld } from './world.ts';

/**
 * The lab's MaaS region: a real HTTP server on loopback speaking the MaaS 2.0 API surface rackpilot
 * uses, OAuth-checked, with MaaS's state machine, events and timings (scaled), coupled to the LabWorld.
 */
export interface LabMaasOptions extends Partial<Omit<LabMaasCoreOptions, 'timeScale' | 'powerDriver'>> {
  /** Real-MaaS seconds × timeScale = lab time (1 = real time, 0.01 for demos, 0 in tests). */
  timeScale: number;
  /** `consumer:token:secret`, or parts; generated when absent. */
  apiKey?: string | MaasApiKey;
  /** Default: acts on the LabWorld directly. The integrator may pass an IPMI-backed driver. */
  powerDriver?: MaasPowerDriver;
  port?: number;
  /**
   * Milliseconds a machine list costs per machine listed, waited before answering (not scaled by
   * timeScale: it is the region's own work). MaaS regions are reported to take tens of seconds to
   * list 10,000 machines; `rackpilot lab` defaults to 2 ms (20 s at 10,000).
   */
  listCostMs?: number;
}

export interface LabMaasFaults {
  /** curtin fails during the next deployments of this host. */
  failDeploy(hostname: string): void;
  /** The host's installed OS never reports back: Deploying until node_timeout. */
  stickDeploy(hostname: string): void;
  failErase(hostname: string): void;
  failCommission(hostname: string): void;
  /** The next `requests` API calls answer 503, as a busy region does. */
  unavailable(requests: number): void;
  /** Every answer waits this long first (0 = off). */
  slow(ms: number): void;
  /** The next `count` events happen but are never recorded: a feed that skips ids. */
  loseEvents(count: number): void;
  clear(): void;
}

/** Test and integrator handle on the lab's machine records. */
export interface LabMaasMachines {
  all(): LabMachine[];
  byHostname(hostname: string): LabMachine | undefined;
  /** Puts a machine straight into a state (code or MaaS name), as if it had got there. */
  setStatus(hostname: string, status: NodeStatusCode | string): void;
  setPowerParameters(hostname: string, params: Record<string, string>): void;
  /** What MaaS reports as bios_boot_method ("uefi", "pxe", …; null: never PXE-booted). */
  setBiosBootMethod(hostname: string, method: string | null): void;
  /** "type - description" lines, oldest first. */
  /** From `minLevel` up (default DEBUG: all of them). */
  events(hostname: string, minLevel?: string): string[];
  /** True while MaaS works on the machine (a transitional state is progressing or stalled). */
  busy(hostname: string): boolean;
  core: LabMaasCore;
}

export interface LabMaas {
  /** e.g. http://127.0.0.1:40123/MAAS */
  url: string;
  /** `consumer:token:secret` */
  apiKey: string;
  apiKeyParts: MaasApiKey;
  faults: LabMaasFaults;
  machines: LabMaasMachines;
  /** Requests served (for benchmarks), in all and by kind ("GET machines/{id}/", "POST machines/{id}/?op=deploy"). */
  stats: { requests: number; bytesSent: number; byKind: Map<string, number> };
  close(): Promise<void>;
}

const BODY_LIMIT = 1 << 20;

function token(len: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(len);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export async function startLabMaas(world: LabWorld, opts: LabMaasOptions): Promise<LabMaas> {
  const key = labApiKey(opts.apiKey);
  const core = new LabMaasCore(world, {
    ...opts,
    timeScale: opts.timeScale,
    powerDriver: opts.powerDriver ?? worldPowerDriver(world),
  });
  const region: Region = {
    core,
    key,
    listCostMs: opts.listCostMs ?? 0,
    stats: { requests: 0, bytesSent: 0, byKind: new Map<string, number>() },
    unavailable: 0,
    slowMs: 0,
    closed: false,
    sleepers: new Set(),
  };
  const server = createServer((req, res) => {
    region.stats.requests++;
    // Bytes of every answer, headers included, as a region would send them (for the benches).
    const socket = req.socket;
    const before = socket.bytesWritten;
    res.on('finish', () => {
      region.stats.bytesSent += socket.bytesWritten - before;
    });
    handle(region, req, res).catch((err) => {
      if (res.headersSent) res.destroy();
      else if (err instanceof LabMaasError && typeof err.body === 'string') send(res, err.status, err.body);
      else send(res, 500, `Internal server error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  // A client parsing a 60 MB machine list is idle on its socket for seconds; a short keep-alive
  // would close it just as the next request goes out (ECONNRESET). Regions sit behind proxies with long ones.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/MAAS`,
    apiKey: formatMaasApiKey(key),
    apiKeyParts: key,
    stats: region.stats,
    faults: labMaasFaults(region),
    machines: labMaasMachines(core),
    async close() {
      if (region.closed) return;
      region.closed = true;
      core.close();
      for (const s of region.sleepers) {
        clearTimeout(s.timer);
        s.resolve();
      }
      region.sleepers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** The lab region's state as its handler reads it and its faults change it. */
interface Region {
  core: LabMaasCore;
  key: MaasApiKey;
  listCostMs: number;
  stats: LabMaas['stats'];
  /** Requests still to answer 503. */
  unavailable: number;
  slowMs: number;
  closed: boolean;
  /** Delayed answers are tracked so close() leaves no timer behind. */
  sleepers: Set<{ timer: NodeJS.Timeout; resolve: () => void }>;
}

/** The key given (text or parts), else a new one; its parts are secrets either way. */
function labApiKey(given: LabMaasOptions['apiKey']): MaasApiKey {
  const key: MaasApiKey =
    typeof given === 'string'
      ? (splitMaasApiKey(given) ??
        (() => {
          throw new Error('lab MaaS apiKey must be consumer:token:secret');
        })())
      : (given ?? { consumerKey: token(18), tokenKey: token(18), tokenSecret: token(32) });
  registerSecret(key.tokenSecret);
  registerSecret(key.tokenKey);
  registerSecret(key.consumerKey);
  return key;
}

function pause(region: Region, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const s = {
      timer: setTimeout(() => {
        region.sleepers.delete(s);
        resolve();
      }, ms),
      resolve,
    };
    region.sleepers.add(s);
  });
}

/** One API request: the faults first, then OAuth, then the route's answer or MaaS's refusal. */
async function handle(region: Region, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://lab');
  const method = (req.method ?? 'GET').toUpperCase();
  const kind = requestKind(method, url);
  region.stats.byKind.set(kind, (region.stats.byKind.get(kind) ?? 0) + 1);
  const body = method === 'POST' || method === 'PUT' ? await readBody(req) : '';
  if (region.slowMs > 0) await pause(region, region.slowMs);
  if (region.closed) {
    res.destroy();
    return;
  }
  if (region.unavailable > 0) {
    region.unavailable--;
    send(res, 503, 'Service Unavailable: the region is busy, try again.');
    return;
  }
  if (!url.pathname.startsWith(API_PREFIX)) {
    send(res, 404, `Unknown API endpoint: ${url.pathname}`);
    return;
  }
  const path = url.pathname.slice(API_PREFIX.length);
  const isVersion = path === 'version/' && method === 'GET';
  if (!isVersion) {
    const auth = verifyMaasAuthorization(req.headers.authorization, region.key);
    if (!auth.ok) {
      send(res, 401, `Authorization Error: ${auth.reason}`);
      return;
    }
  }
  const ct = (req.headers['content-type'] ?? '').toLowerCase();
  if (body && ct && !ct.startsWith('application/x-www-form-urlencoded')) {
    send(res, 400, `Unsupported content type ${ct.split(';')[0]}; send form-encoded parameters.`);
    return;
  }
  const form = new URLSearchParams(body);
  const q = url.searchParams;
  const op = q.get('op');
  try {
    answer(res, await route(region.core, region.listCostMs, { method, path, op, q, form }));
  } catch (err) {
    if (err instanceof LabMaasError) {
      if (typeof err.body === 'string') send(res, err.status, err.body);
      else {
        res.writeHead(err.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(err.body));
      }
      return;
    }
    throw err;
  }
}

function answer(res: ServerResponse, result: unknown): void {
  if (result === undefined) {
    res.writeHead(204).end();
  } else if (Buffer.isBuffer(result)) {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': result.length });
    res.end(result);
  } else if (typeof result === 'string') {
    sendJson(res, result);
  } else {
    sendJson(res, JSON.stringify(result));
  }
}

function labMaasFaults(region: Region): LabMaasFaults {
  const { core } = region;
  return {
    failDeploy: (h) => void core.faults.failDeploy.add(h),
    stickDeploy: (h) => void core.faults.stickDeploy.add(h),
    failErase: (h) => void core.faults.failErase.add(h),
    failCommission: (h) => void core.faults.failCommission.add(h),
    unavailable: (n) => {
      region.unavailable = Math.max(0, n);
    },
    slow: (ms) => {
      region.slowMs = Math.max(0, ms);
    },
    loseEvents: (n) => {
      core.eventsToLose = Math.max(0, n);
    },
    clear: () => {
      for (const s of Object.values(core.faults)) s.clear();
      region.unavailable = 0;
      region.slowMs = 0;
      core.eventsToLose = 0;
    },
  };
}

function labMaasMachines(core: LabMaasCore): LabMaasMachines {
  const byHost = (hostname: string) => {
    const mm = core.byHostname(hostname);
    if (!mm) throw new Error(`no lab MaaS machine ${hostname}`);
    return mm;
  };
  return {
    all: () => [...core.machines.values()],
    byHostname: (h) => core.byHostname(h),
    setStatus: (h, status) => {
      const code = typeof status === 'number' ? status : nodeStatusFromName(status);
      if (code === undefined) throw new Error(`unknown MaaS status "${status}"`);
      core.setInitialStatus(byHost(h), code);
    },
    setPowerParameters: (h, params) => {
      const mm = byHost(h);
      mm.powerParameters = { ...params };
      core.touch(mm);
    },
    setBiosBootMethod: (h, method) => {
      const mm = byHost(h);
      mm.biosBootMethod = method;
      core.touch(mm);
    },
    events: (h, minLevel) => core.eventLines(byHost(h).systemId, minLevel),
    busy: (h) => core.busy(byHost(h).systemId),
    core,
  };
}

/** The request with its ids left out: "GET nodes/{id}/interfaces/", "GET events/?op=query after". */
function requestKind(method: string, url: URL): string {
  const path = url.pathname
    .slice(url.pathname.indexOf(API_PREFIX) < 0 ? 0 : API_PREFIX.length)
    .replace(/^(machines|nodes)\/[a-z0-9]+\//, '$1/{id}/')
    .replace(/interfaces\/\d+\//, 'interfaces/{n}/');
  const op = url.searchParams.get('op');
  const after = url.searchParams.has('after') ? ' after' : url.searchParams.has('limit') ? ' limit' : '';
  return `${method} ${path}${op ? `?op=${op}` : ''}${path === 'events/' ? after : ''}`;
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

function sendJson(res: ServerResponse, json: string): void {
  res
    .writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) })
    .end(json);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        reject(new LabMaasError(413, 'Request body too large.'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
