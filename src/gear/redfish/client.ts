/**
 * rackpilot's Redfish client: one object drives any number of BMCs, keeping per BMC a keep-alive
 * connection pool, a session (X-Auth-Token, deleted on close; HTTP Basic when the service has no
 * session service) and the path of its ComputerSystem, discovered from the Systems collection.
 *
 *   const rf = new RedfishClient({ knownCertsPath });
 *   await rf.powerStatus(t);                       // 'on' | 'off'
 *   await rf.power(t, 'soft');                     // ComputerSystem.Reset GracefulShutdown
 *   await rf.setBootDevice(t, { device: 'pxe', persistent: false, efi: true });
 *   await rf.close();                              // DELETE every session
 *
 * Retries only where they are safe: a GET after a lost connection or a 5xx, a request the service
 * refused with 401 because the session had expired (after a new session). Never a Reset or PATCH
 * whose fate is unknown, never after the credentials were refused.
 */
import { registerSecret } from '../../util/redact.ts';
import { RedfishError } from './errors.ts';
import { BmcHttp, originUrl, type HttpAnswer, type Origin } from './http.ts';
import { describeMessages, extendedMessages } from './messages.ts';
import {
  allowableBootTargets,
  allowableResetTypes,
  bootPatch,
  bootReading,
  bootTargetName,
  chooseResetType,
  powerAfter,
  powerOf,
  resetTarget,
  type BootTarget,
  type PowerAction,
  type RedfishBootReading,
} from './semantics.ts';

export interface RedfishTarget {
  host: string;
  /** Default 443 (https) or 80 (http). */
  port?: number;
  scheme?: 'https' | 'http';
  username: string;
  password: string;
  /** Lower-case hex SHA-256 of the certificate's DER. */
  certSha256?: string;
  /** Member id under /redfish/v1/Systems; absent: the collection's only member. */
  systemId?: string;
  /** For messages: `BMC of r01-n001`. */
  name?: string;
}

export interface RedfishClientOptions {
  /** Where first-seen certificates are recorded (no file: only pinned certificates are accepted). */
  knownCertsPath?: string;
  /** Deadline of one request (default 10 s). */
  timeoutMs?: number;
  /** Deadline of a TCP+TLS connect (default 5 s). */
  connectTimeoutMs?: number;
  /** Deadline of a Reset: some BMCs answer a GracefulShutdown only once the OS is down (default 60 s). */
  resetTimeoutMs?: number;
  /** Extra tries of a GET after a lost connection or a 5xx (default 1). */
  getRetries?: number;
  /** Connections kept per BMC (default 2). */
  connectionsPerBmc?: number;
  /**
   * Accept any certificate. Never for rackpilot's own BMC access: only the lab MaaS's emulation
   * of MaaS's redfish driver, which does not check certificates, sets it.
   */
  anyCertificate?: boolean;
  /** Every request line sent (method, path, status), for the command log; never a body. */
  log?: (line: string) => void;
}

export interface RedfishPowerEvent {
  name: string;
  target: RedfishTarget;
  action: PowerAction;
  at: number;
}

export interface RedfishSystem {
  path: string;
  power: 'on' | 'off' | undefined;
  /** PowerState as the service wrote it. */
  powerState: string;
  boot: RedfishBootReading;
  manufacturer?: string;
  model?: string;
}

type Auth = { kind: 'session'; token: string; location: string | undefined } | { kind: 'basic' };

interface Conn {
  target: RedfishTarget;
  origin: Origin;
  auth?: Auth;
  systemPath?: string;
  sessionsPath?: string;
  opens: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const odataId = (v: unknown): string | undefined => {
  const id = obj(v)['@odata.id'];
  return typeof id === 'string' && id.startsWith('/redfish/') ? id : undefined;
};

export function redfishTargetName(t: RedfishTarget): string {
  return t.name ?? `BMC ${t.host}`;
}

function originOf(t: RedfishTarget): Origin {
  const scheme = t.scheme ?? 'https';
  return {
    scheme,
    host: t.host,
    port: t.port ?? (scheme === 'https' ? 443 : 80),
    certSha256: t.certSha256,
    name: redfishTargetName(t),
  };
}

/** Credentials are part of the key: a changed password must authenticate afresh. */
function connKey(t: RedfishTarget): string {
  const o = originOf(t);
  return [o.scheme, o.host, o.port, t.username, t.password, t.systemId ?? '', t.certSha256 ?? ''].join(
    '\u0000',
  );
}

export class RedfishClient {
  private readonly http: BmcHttp;
  private readonly conns = new Map<string, Promise<Conn>>();
  private readonly listeners = new Set<(e: RedfishPowerEvent) => void>();
  private readonly timeoutMs: number;
  private readonly resetTimeoutMs: number;
  private readonly getRetries: number;
  private closed = false;

  constructor(private readonly opts: RedfishClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.resetTimeoutMs = opts.resetTimeoutMs ?? 60_000;
    this.getRetries = opts.getRetries ?? 1;
    this.http = new BmcHttp({
      knownCertsPath: opts.knownCertsPath,
      connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
      connections: opts.connectionsPerBmc ?? 2,
      ...(opts.anyCertificate && { anyCertificate: true }),
    });
  }

  async powerStatus(t: RedfishTarget, signal?: AbortSignal): Promise<'on' | 'off'> {
    const s = await this.system(t, signal);
    if (s.power) return s.power;
    throw new RedfishError(
      'protocol',
      `${redfishTargetName(t)}: ${s.path} has PowerState ${JSON.stringify(s.powerState)}, neither On nor Off`,
      {
        target: redfishTargetName(t),
      },
    );
  }

  async system(t: RedfishTarget, signal?: AbortSignal): Promise<RedfishSystem> {
    const c = await this.conn(t, signal);
    const r = await this.call(c, 'GET', c.systemPath!, { signal });
    const sys = obj(r.json);
    const str = (k: string) => (typeof sys[k] === 'string' ? (sys[k] as string) : undefined);
    const manufacturer = str('Manufacturer');
    const model = str('Model');
    return {
      path: c.systemPath!,
      power: powerOf(sys),
      powerState: str('PowerState') ?? '(none)',
      boot: bootReading(sys),
      ...(manufacturer && { manufacturer }),
      ...(model && { model }),
    };
  }

  async getBootDevice(t: RedfishTarget, signal?: AbortSignal): Promise<RedfishBootReading> {
    return (await this.system(t, signal)).boot;
  }

  /**
   * ComputerSystem.Reset with the ResetType the system allows for the action. A refusal (409, 400)
   * while the system is already in the wanted state counts as done: BMCs say "already on" each
   * in their own words, the PowerState read afterwards says it in one.
   */
  async power(
    t: RedfishTarget,
    action: PowerAction,
    signal?: AbortSignal,
  ): Promise<{ resetType: string; already: boolean }> {
    const c = await this.conn(t, signal);
    const name = redfishTargetName(t);
    const sys = obj((await this.call(c, 'GET', c.systemPath!, { signal })).json);
    const choice = chooseResetType(action, allowableResetTypes(sys));
    if (!choice.ok) {
      throw new RedfishError(
        'unsupported',
        `${name}: ${c.systemPath} does not offer a ResetType for power ${action} (it allows ${choice.allowed.join(', ') || 'none'})`,
        {
          target: name,
          hint: action === 'cycle' ? 'power it off, then on' : 'use one of the actions it allows',
        },
      );
    }
    const target = resetTarget(sys, c.systemPath!);
    if (!target) {
      throw new RedfishError('protocol', `${name}: ${c.systemPath} has no #ComputerSystem.Reset action`, {
        target: name,
      });
    }
    const want = powerAfter(action);
    let already = false;
    try {
      await this.call(c, 'POST', target, {
        body: { ResetType: choice.resetType },
        deadlineMs: this.resetTimeoutMs,
        retryable: false,
        signal,
      });
    } catch (err) {
      if (
        !(err instanceof RedfishError) ||
        err.kind !== 'http' ||
        (err.status !== 409 && err.status !== 400) ||
        !want
      )
        throw err;
      const now = powerOf(obj((await this.call(c, 'GET', c.systemPath!, { signal })).json));
      if (now !== want) throw err;
      already = true;
      this.opts.log?.(
        `${name}: ${choice.resetType} refused with HTTP ${err.status}, but power is already ${want}: done`,
      );
    }
    const e: RedfishPowerEvent = { name, target: t, action, at: Date.now() };
    for (const l of this.listeners) l(e);
    return { resetType: choice.resetType, already };
  }

  /**
   * PATCH Boot with the system's ETag in If-Match (some services answer 428 without it). A 412
   * (someone changed the system since our read) reads it again and sends the same PATCH once more:
   * the PATCH sets absolute values, so sending it twice is harmless.
   */
  async setBootDevice(
    t: RedfishTarget,
    req: { device: BootTarget; persistent?: boolean; efi?: boolean },
    signal?: AbortSignal,
  ): Promise<void> {
    const c = await this.conn(t, signal);
    const name = redfishTargetName(t);
    for (let attempt = 0; ; attempt++) {
      const r = await this.call(c, 'GET', c.systemPath!, { signal });
      const sys = obj(r.json);
      const allowed = allowableBootTargets(sys);
      if (req.device !== 'none' && allowed && !allowed.includes(bootTargetName(req.device))) {
        throw new RedfishError(
          'unsupported',
          `${name}: ${c.systemPath} does not offer boot override ${bootTargetName(req.device)} (it allows ${allowed.join(', ')})`,
          {
            target: name,
          },
        );
      }
      const etag =
        r.headers['etag'] ??
        (typeof sys['@odata.etag'] === 'string' ? (sys['@odata.etag'] as string) : undefined);
      const body = bootPatch(sys, {
        device: req.device,
        persistent: req.persistent ?? false,
        efi: req.efi ?? false,
      });
      try {
        await this.call(c, 'PATCH', c.systemPath!, {
          body,
          headers: etag ? { 'if-match': etag } : {},
          retryable: false,
          signal,
        });
        return;
      } catch (err) {
        if (err instanceof RedfishError && err.status === 412 && attempt === 0) continue;
        if (err instanceof RedfishError && err.status === 428 && !etag) {
          throw new RedfishError(
            'protocol',
            `${name}: PATCH ${c.systemPath} needs If-Match, but the service gave the system no ETag (neither header nor @odata.etag)`,
            {
              target: name,
              status: 428,
              hint: 'a BMC firmware defect: update the BMC firmware, or set the boot device from its web interface',
            },
          );
        }
        throw err;
      }
    }
  }

  onPowerCommand(listener: (e: RedfishPowerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sessions opened for the target (1, plus re-opens after expiry); 0 if none. */
  async sessionOpens(t: RedfishTarget): Promise<number> {
    const c = this.conns.get(connKey(t));
    return c ? ((await c.catch(() => undefined))?.opens ?? 0) : 0;
  }

  /** How the client authenticates to the target: session or basic; undefined before the first call. */
  async authKind(t: RedfishTarget): Promise<'session' | 'basic' | undefined> {
    const c = this.conns.get(connKey(t));
    return c ? (await c.catch(() => undefined))?.auth?.kind : undefined;
  }

  async closeSession(t: RedfishTarget): Promise<void> {
    const key = connKey(t);
    const c = this.conns.get(key);
    this.conns.delete(key);
    if (c) await this.logout(await c.catch(() => undefined));
  }

  /** DELETE every session, then close the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.conns.values()];
    this.conns.clear();
    await Promise.all(all.map(async (p) => this.logout(await p.catch(() => undefined))));
    await this.http.close();
  }

  private async logout(c: Conn | undefined): Promise<void> {
    if (c?.auth?.kind !== 'session' || !c.auth.location) return;
    const auth = c.auth;
    c.auth = undefined;
    await this.http
      .request(c.origin, 'DELETE', auth.location!, {
        headers: { 'x-auth-token': auth.token },
        deadlineMs: 3_000,
      })
      .then((r) => this.opts.log?.(`${c.origin.name}: DELETE ${auth.location} → ${r.status}`))
      .catch(() => undefined);
  }

  private conn(t: RedfishTarget, signal?: AbortSignal): Promise<Conn> {
    if (this.closed) {
      return Promise.reject(
        new RedfishError('closed', 'Redfish client is closed', { target: redfishTargetName(t) }),
      );
    }
    signal?.throwIfAborted();
    const key = connKey(t);
    let c = this.conns.get(key);
    if (!c) {
      registerSecret(t.password);
      const conn: Conn = { target: t, origin: originOf(t), opens: 0 };
      c = this.open(conn, signal).then(() => conn);
      // A failed open is not kept: the next call tries again (and a wrong password fails again, once).
      c.catch(() => this.conns.delete(key));
      this.conns.set(key, c);
    }
    return c;
  }

  /** Service root, a session (or Basic), the system's path. */
  private async open(c: Conn, signal?: AbortSignal): Promise<void> {
    const root = await this.http.request(c.origin, 'GET', '/redfish/v1/', {
      deadlineMs: this.timeoutMs,
      signal,
    });
    this.opts.log?.(`${c.origin.name}: GET /redfish/v1/ → ${root.status}`);
    const rootJson = root.status === 200 ? obj(root.json) : {};
    if (root.status === 200 && !('RedfishVersion' in rootJson) && !('Systems' in rootJson)) {
      throw this.notRedfish(c, '/redfish/v1/', root);
    }
    // A root that names no session service gets Basic; one that cannot be read is asked for a session.
    const advertised = odataId(obj(rootJson['Links'])['Sessions']);
    const hasSessions = root.status !== 200 || advertised !== undefined || 'SessionService' in rootJson;
    c.sessionsPath = hasSessions ? (advertised ?? '/redfish/v1/SessionService/Sessions') : undefined;
    await this.login(c, signal);
    const systemsPath = odataId(rootJson['Systems']) ?? '/redfish/v1/Systems';
    const col = await this.call(c, 'GET', systemsPath, { signal });
    const members = (Array.isArray(obj(col.json)['Members']) ? (obj(col.json)['Members'] as unknown[]) : [])
      .map(odataId)
      .filter((x): x is string => x !== undefined);
    c.systemPath = this.pickSystem(c, systemsPath, members);
  }

  private pickSystem(c: Conn, systemsPath: string, members: string[]): string {
    const name = c.origin.name;
    const ids = members.map((m) => decodeURIComponent(m.replace(/\/+$/, '').split('/').pop() ?? ''));
    const want = c.target.systemId;
    if (want !== undefined) {
      const i = ids.indexOf(want);
      if (i >= 0) return members[i]!.replace(/\/+$/, '');
      throw new RedfishError(
        'protocol',
        `${name}: no system ${want} in ${systemsPath} (it has ${ids.join(', ') || 'none'})`,
        {
          target: name,
          hint: 'correct systemId in the rack file, or remove it when the BMC has one system',
        },
      );
    }
    if (members.length === 1) return members[0]!.replace(/\/+$/, '');
    throw new RedfishError(
      'protocol',
      `${name}: ${systemsPath} has ${members.length === 0 ? 'no systems' : `${members.length} systems (${ids.join(', ')})`}`,
      {
        target: name,
        hint:
          members.length === 0
            ? 'the BMC is not ready, or the account cannot see the system'
            : 'name the one to drive with systemId in the rack file',
      },
    );
  }

  private async login(c: Conn, signal?: AbortSignal): Promise<void> {
    c.opens++;
    if (!c.sessionsPath) {
      c.auth = { kind: 'basic' };
      return;
    }
    const { username, password } = c.target;
    const r = await this.http.request(c.origin, 'POST', c.sessionsPath!, {
      body: { UserName: username, Password: password },
      deadlineMs: this.timeoutMs,
      signal,
    });
    this.opts.log?.(`${c.origin.name}: POST ${c.sessionsPath} (UserName ${username}) → ${r.status}`);
    if (r.status === 401 || r.status === 403) throw this.authError(c, r);
    const token = r.headers['x-auth-token'];
    if (r.status >= 200 && r.status < 300 && token) {
      const loc = r.headers['location'];
      // Location may be absolute (https://bmc/redfish/v1/SessionService/Sessions/7): keep its path.
      const location = loc ? (loc.startsWith('/') ? loc : safePath(loc)) : odataId(r.json);
      c.auth = { kind: 'session', token, location };
    } else {
      // No session service (404, 405, 501) or no token: HTTP Basic on every request, as sushy falls back.
      c.auth = { kind: 'basic' };
    }
  }

  private authHeaders(c: Conn): Record<string, string> {
    const a = c.auth;
    if (a?.kind === 'session') return { 'x-auth-token': a.token };
    const basic = Buffer.from(`${c.target.username}:${c.target.password}`).toString('base64');
    registerSecret(basic);
    return { authorization: `Basic ${basic}` };
  }

  private async call(
    c: Conn,
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    path: string,
    o: {
      body?: unknown;
      headers?: Record<string, string>;
      deadlineMs?: number;
      retryable?: boolean;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<HttpAnswer> {
    const retries = (o.retryable ?? method === 'GET') ? this.getRetries : 0;
    let relogged = false;
    for (let attempt = 0; ; attempt++) {
      let r: HttpAnswer;
      try {
        r = await this.http.request(c.origin, method, path, {
          headers: { ...this.authHeaders(c), ...o.headers },
          ...(o.body !== undefined && { body: o.body }),
          deadlineMs: o.deadlineMs ?? this.timeoutMs,
          signal: o.signal,
        });
      } catch (err) {
        if (err instanceof RedfishError && err.kind === 'unreachable' && attempt < retries) continue;
        throw err;
      }
      this.opts.log?.(`${c.origin.name}: ${method} ${path} → ${r.status}`);
      if (r.status === 401 && c.auth?.kind === 'session' && !relogged) {
        // The session expired (or the BMC rebooted): the request was not carried out; log in again.
        relogged = true;
        await this.login(c, o.signal);
        continue;
      }
      if (r.status === 401 || r.status === 403) throw this.authError(c, r);
      if (r.status >= 500 && attempt < retries) continue;
      if (r.status >= 400) throw this.httpError(c, method, path, r);
      if (r.status < 200 || r.status >= 300) throw this.notRedfish(c, path, r);
      if (method === 'GET' && (r.json === undefined || typeof r.json !== 'object'))
        throw this.notRedfish(c, path, r);
      return r;
    }
  }

  private authError(c: Conn, r: HttpAnswer): RedfishError {
    const more = describeMessages(extendedMessages(r.json));
    return new RedfishError(
      'auth',
      `${c.origin.name} (${originUrl(c.origin)}) refused user ${c.target.username} (HTTP ${r.status}): wrong user name or password${more ? ` — ${more}` : ''}`,
      {
        target: c.origin.name,
        status: r.status,
        hint: 'check username and the password (passwordEnv) in the rack file; not retried, so a BMC lockout is not triggered',
      },
    );
  }

  private httpError(c: Conn, method: string, path: string, r: HttpAnswer): RedfishError {
    const messages = extendedMessages(r.json);
    const more =
      describeMessages(messages) ?? (r.text ? r.text.replace(/\s+/g, ' ').slice(0, 200) : 'no details');
    return new RedfishError(
      'http',
      `${c.origin.name}: ${method} ${path} refused (HTTP ${r.status}): ${more}`,
      {
        target: c.origin.name,
        status: r.status,
        messageIds: messages.map((m) => m.messageId),
      },
    );
  }

  private notRedfish(c: Conn, path: string, r: HttpAnswer): RedfishError {
    return new RedfishError(
      'protocol',
      `${c.origin.name} (${originUrl(c.origin)}): ${path} answered HTTP ${r.status} without a Redfish resource`,
      {
        target: c.origin.name,
        status: r.status,
        hint: "check that the address, port and scheme are the BMC's Redfish service",
      },
    );
  }
}

function safePath(url: string): string | undefined {
  try {
    const p = new URL(url).pathname;
    return p.startsWith('/redfish/') ? p : undefined;
  } catch {
    return undefined;
  }
}
