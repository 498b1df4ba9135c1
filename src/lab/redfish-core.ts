/**
 * One lab Redfish BMC as a pure request-in, answer-out machine, shaped after DMTF's public
 * mockups (DSP2043): service root, SessionService with X-Auth-Token sessions (and Basic), one
 * ComputerSystem with #ComputerSystem.Reset and its AllowableValues, the Boot override, ETags.
 * Power and boot live behind `BmcHostAccess` (the shared LabWorld); HTTP(S) lives in redfish-server.ts.
 *
 * The quirks real BMCs have are options, so tests and the lab can meet them: a system id other
 * than 1, If-Match demanded (428 without it, 412 when stale), 409 for "already on", a graceful
 * shutdown that takes seconds (and, on some firmware, an answer only once it is done), no session
 * service at all.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { BmcHostAccess } from './bmc-core.ts';
import type { BootDevice } from './world.ts';

export interface LabRedfishOptions {
  name: string;
  username: string;
  password: string;
  /** Member id under /redfish/v1/Systems (Dell: System.Embedded.1; HPE, Supermicro: 1). */
  systemId?: string;
  /** PATCH without If-Match answers 428 Precondition Required (default true). */
  requireIfMatch?: boolean;
  /** Reset On while on, ForceOff/GracefulShutdown while off, answer 409 (default true, as iDRAC). */
  conflictWhenAlready?: boolean;
  /** How long the lab OS takes to shut down after GracefulShutdown (default 1 s). */
  softOffDelayMs?: number;
  /** The GracefulShutdown POST is answered only once the host is off (some firmware does this). */
  gracefulBlocks?: boolean;
  /** No SessionService: clients must use HTTP Basic. */
  basicOnly?: boolean;
  /** Idle time after which a session is forgotten (default 30 min, Redfish's SessionTimeout). */
  sessionTimeoutMs?: number;
  maxSessions?: number;
  /** ResetType@Redfish.AllowableValues (default the common set without Nmi). */
  resetTypes?: string[];
  manufacturer?: string;
  model?: string;
  now?: () => number;
  schedule?: (fn: () => void, ms: number) => () => void;
}

export interface RedfishRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  headers: Record<string, string | undefined>;
  body: unknown;
}

export interface RedfishAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface Session {
  id: string;
  token: string;
  user: string;
  lastUsed: number;
}

const BOOT_TARGETS = ['None', 'Pxe', 'Cd', 'Usb', 'Hdd', 'BiosSetup', 'Diags', 'UefiHttp'];
const WORLD_DEVICE: Record<string, BootDevice | undefined> = {
  Pxe: 'pxe',
  Hdd: 'disk',
  Cd: 'cdrom',
  BiosSetup: 'bios',
  None: 'none',
};
const TARGET_OF: Record<BootDevice, string> = {
  pxe: 'Pxe',
  disk: 'Hdd',
  cdrom: 'Cd',
  bios: 'BiosSetup',
  none: 'None',
};
const DEFAULT_RESET_TYPES = [
  'On',
  'ForceOff',
  'GracefulShutdown',
  'GracefulRestart',
  'ForceRestart',
  'PowerCycle',
];
const BASE = 'Base.1.8';

/** DMTF's error body: a general message and the specific ones in @Message.ExtendedInfo. */
function error(
  status: number,
  id: string,
  message: string,
  resolution: string,
  args: string[] = [],
): RedfishAnswer {
  return {
    status,
    body: {
      error: {
        code: `${BASE}.GeneralError`,
        message: 'A general error has occurred. See ExtendedInfo for more information.',
        '@Message.ExtendedInfo': [
          {
            '@odata.type': '#Message.v1_0_0.Message',
            MessageId: `${BASE}.${id}`,
            Message: message,
            MessageArgs: args,
            Severity: 'Warning',
            Resolution: resolution,
          },
        ],
      },
    },
  };
}

const unknownProperty = (k: string): RedfishAnswer =>
  error(
    400,
    'PropertyUnknown',
    `The property ${k} is not in the list of valid properties for the resource.`,
    'Remove the unknown property from the request body and resubmit the request if the operation failed.',
    [k],
  );

const ok = (body: unknown, headers?: Record<string, string>): RedfishAnswer => ({
  status: 200,
  body,
  ...(headers && { headers }),
});

export class LabRedfishBmc {
  private readonly opts: Required<Omit<LabRedfishOptions, 'resetTypes'>> & { resetTypes: string[] };
  private readonly sessions = new Map<string, Session>();
  private readonly uuid = randomUUID();
  /** Bumped on every change of the system resource: its ETag. */
  private version = 1;
  private lastTarget = 'None';
  private cancelSoftOff: (() => void) | undefined;
  private softOffWaiters: (() => void)[] = [];
  private password: string;
  /** Requests answered, by method, for tests and the bench. */
  readonly counts = { GET: 0, POST: 0, PATCH: 0, DELETE: 0, sessionsCreated: 0 };

  constructor(
    private readonly host: BmcHostAccess,
    opts: LabRedfishOptions,
  ) {
    this.opts = {
      systemId: '1',
      requireIfMatch: true,
      conflictWhenAlready: true,
      softOffDelayMs: 1_000,
      gracefulBlocks: false,
      basicOnly: false,
      sessionTimeoutMs: 30 * 60_000,
      maxSessions: 16,
      manufacturer: 'rackpilot lab',
      model: 'Lab Server 1U',
      now: Date.now,
      schedule: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return () => clearTimeout(t);
      },
      ...opts,
      resetTypes: opts.resetTypes ?? DEFAULT_RESET_TYPES,
    };
    this.password = opts.password;
  }

  get systemPath(): string {
    return `/redfish/v1/Systems/${this.opts.systemId}`;
  }

  get sessionCount(): number {
    this.expireSessions();
    return this.sessions.size;
  }

  setPassword(password: string): void {
    this.password = password;
  }

  dropSessions(): void {
    this.sessions.clear();
  }

  dispose(): void {
    this.cancelSoftOff?.();
    for (const w of this.softOffWaiters.splice(0)) w();
  }

  async handle(req: RedfishRequest): Promise<RedfishAnswer> {
    const method = req.method.toUpperCase();
    if (method in this.counts) this.counts[method as 'GET']++;
    const path = req.path.replace(/\/+$/, '') || '/';
    // Unauthenticated, as DSP0266 requires: the version document and the service root.
    if (path === '/redfish' && method === 'GET') return ok({ v1: '/redfish/v1/' });
    if (path === '/redfish/v1' && method === 'GET') return ok(this.serviceRoot());
    if (path === '/redfish/v1/SessionService/Sessions' && method === 'POST' && !this.opts.basicOnly) {
      return this.createSession(req.body);
    }
    const user = this.authenticate(req.headers);
    if (!user) {
      return {
        ...error(
          401,
          'NoValidSession',
          'There is no valid session established with the implementation.',
          'Establish a session before attempting any operations.',
        ),
        headers: { 'WWW-Authenticate': 'Basic realm="Redfish"' },
      };
    }
    return this.route(method, path, req);
  }

  private route(method: string, path: string, req: RedfishRequest): Promise<RedfishAnswer> | RedfishAnswer {
    const sys = this.systemPath;
    if (method === 'GET') {
      if (path === '/redfish/v1/Systems')
        return ok(
          this.collection('ComputerSystemCollection', 'Computer System Collection', '/redfish/v1/Systems', [
            sys,
          ]),
        );
      if (path === sys) return this.systemAnswer();
      if (path === '/redfish/v1/Chassis')
        return ok(
          this.collection('ChassisCollection', 'Chassis Collection', path, ['/redfish/v1/Chassis/1']),
        );
      if (path === '/redfish/v1/Chassis/1') return ok(this.chassis());
      if (path === '/redfish/v1/Managers')
        return ok(
          this.collection('ManagerCollection', 'Manager Collection', path, ['/redfish/v1/Managers/1']),
        );
      if (path === '/redfish/v1/Managers/1') return ok(this.manager());
      if (!this.opts.basicOnly) {
        if (path === '/redfish/v1/SessionService') return ok(this.sessionService());
        if (path === '/redfish/v1/SessionService/Sessions') {
          return ok(
            this.collection(
              'SessionCollection',
              'Session Collection',
              path,
              [...this.sessions.values()].map((s) => `${path}/${s.id}`),
            ),
          );
        }
        const s = this.sessionAt(path);
        if (s) return ok(this.sessionBody(s));
      }
    }
    if (method === 'POST' && path === `${sys}/Actions/ComputerSystem.Reset`) return this.reset(req.body);
    if (method === 'PATCH' && path === sys) return this.patchSystem(req);
    if (method === 'DELETE' && !this.opts.basicOnly) {
      const s = this.sessionAt(path);
      if (s) {
        this.sessions.delete(s.id);
        return { status: 204 };
      }
    }
    if (this.knownPath(path)) {
      return {
        ...error(
          405,
          'OperationNotAllowed',
          `The HTTP method ${method} is not allowed on this resource.`,
          'None.',
        ),
        headers: { Allow: 'GET' },
      };
    }
    return error(
      404,
      'ResourceMissingAtURI',
      `The resource at the URI ${path} was not found.`,
      'Place a valid resource at the URI or correct the URI and resubmit the request.',
      [path],
    );
  }

  private knownPath(path: string): boolean {
    return [
      this.systemPath,
      '/redfish/v1/Systems',
      '/redfish/v1/SessionService/Sessions',
      '/redfish/v1/SessionService',
      `${this.systemPath}/Actions/ComputerSystem.Reset`,
    ].includes(path);
  }

  private serviceRoot(): unknown {
    return {
      '@odata.type': '#ServiceRoot.v1_5_0.ServiceRoot',
      '@odata.id': '/redfish/v1/',
      Id: 'RootService',
      Name: 'Root Service',
      RedfishVersion: '1.6.0',
      UUID: this.uuid,
      Systems: { '@odata.id': '/redfish/v1/Systems' },
      Chassis: { '@odata.id': '/redfish/v1/Chassis' },
      Managers: { '@odata.id': '/redfish/v1/Managers' },
      ...(!this.opts.basicOnly && {
        SessionService: { '@odata.id': '/redfish/v1/SessionService' },
        Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' } },
      }),
    };
  }

  private collection(type: string, name: string, id: string, members: string[]): unknown {
    return {
      '@odata.type': `#${type}.${type}`,
      '@odata.id': id,
      Name: name,
      'Members@odata.count': members.length,
      Members: members.map((m) => ({ '@odata.id': m })),
    };
  }

  private systemBody(): Record<string, unknown> {
    const b = this.host.boot();
    const enabled = b.device === 'none' ? 'Disabled' : b.persistent ? 'Continuous' : 'Once';
    const target = b.device === 'none' ? this.lastTarget : TARGET_OF[b.device];
    const power = this.host.power() === 'on' ? 'On' : 'Off';
    return {
      '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
      '@odata.id': this.systemPath,
      '@odata.etag': `"${this.etagValue()}"`,
      Id: this.opts.systemId,
      Name: this.opts.name,
      SystemType: 'Physical',
      Manufacturer: this.opts.manufacturer,
      Model: this.opts.model,
      HostName: this.opts.name,
      UUID: this.uuid,
      PowerState: power,
      Status: { State: 'Enabled', Health: 'OK' },
      Boot: {
        BootSourceOverrideEnabled: enabled,
        BootSourceOverrideTarget: target,
        'BootSourceOverrideTarget@Redfish.AllowableValues': BOOT_TARGETS,
        BootSourceOverrideMode: b.efi ? 'UEFI' : 'Legacy',
      },
      Links: {
        Chassis: [{ '@odata.id': '/redfish/v1/Chassis/1' }],
        ManagedBy: [{ '@odata.id': '/redfish/v1/Managers/1' }],
      },
      Actions: {
        '#ComputerSystem.Reset': {
          target: `${this.systemPath}/Actions/ComputerSystem.Reset`,
          'ResetType@Redfish.AllowableValues': this.opts.resetTypes,
        },
      },
    };
  }

  /** The ETag follows the resource's content: power and boot changes made by anyone change it. */
  private etagValue(): string {
    const b = this.host.boot();
    return `${this.version}-${this.host.power()}-${b.device}-${b.persistent ? 1 : 0}-${b.efi ? 1 : 0}-${this.lastTarget}`;
  }

  private systemAnswer(): RedfishAnswer {
    const body = this.systemBody();
    return ok(body, { ETag: body['@odata.etag'] as string });
  }

  private chassis(): unknown {
    return {
      '@odata.type': '#Chassis.v1_10_0.Chassis',
      '@odata.id': '/redfish/v1/Chassis/1',
      Id: '1',
      Name: 'Computer System Chassis',
      ChassisType: 'RackMount',
      PowerState: this.host.power() === 'on' ? 'On' : 'Off',
      Links: {
        ComputerSystems: [{ '@odata.id': this.systemPath }],
        ManagedBy: [{ '@odata.id': '/redfish/v1/Managers/1' }],
      },
    };
  }

  private manager(): unknown {
    return {
      '@odata.type': '#Manager.v1_5_0.Manager',
      '@odata.id': '/redfish/v1/Managers/1',
      Id: '1',
      Name: 'Manager',
      ManagerType: 'BMC',
      FirmwareVersion: '1.00',
      Status: { State: 'Enabled', Health: 'OK' },
      Links: { ManagerForServers: [{ '@odata.id': this.systemPath }] },
    };
  }

  private sessionService(): unknown {
    return {
      '@odata.type': '#SessionService.v1_1_6.SessionService',
      '@odata.id': '/redfish/v1/SessionService',
      Id: 'SessionService',
      Name: 'Session Service',
      ServiceEnabled: true,
      SessionTimeout: Math.round(this.opts.sessionTimeoutMs / 1000),
      Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' },
    };
  }

  private sessionBody(s: Session): unknown {
    return {
      '@odata.type': '#Session.v1_0_0.Session',
      '@odata.id': `/redfish/v1/SessionService/Sessions/${s.id}`,
      Id: s.id,
      Name: `User Session ${s.id}`,
      UserName: s.user,
    };
  }

  private sessionAt(path: string): Session | undefined {
    const m = /^\/redfish\/v1\/SessionService\/Sessions\/([A-Za-z0-9]+)$/.exec(path);
    return m ? this.sessions.get(m[1]!) : undefined;
  }

  private expireSessions(): void {
    const now = this.opts.now();
    for (const [id, s] of this.sessions)
      if (now - s.lastUsed > this.opts.sessionTimeoutMs) this.sessions.delete(id);
  }

  private credentialsMatch(user: unknown, password: unknown): boolean {
    if (typeof user !== 'string' || typeof password !== 'string') return false;
    const a = Buffer.from(`${user}\u0000${password}`);
    const b = Buffer.from(`${this.opts.username}\u0000${this.password}`);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  private createSession(body: unknown): RedfishAnswer {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    if (typeof b['UserName'] !== 'string' || typeof b['Password'] !== 'string') {
      return error(
        400,
        'PropertyMissing',
        'The property UserName or Password is a required property and must be included in the request.',
        'Ensure that the property is in the request body and has a valid value and resubmit the request if the operation failed.',
      );
    }
    if (!this.credentialsMatch(b['UserName'], b['Password'])) {
      return error(
        401,
        'InsufficientPrivilege',
        'There are insufficient privileges for the account or credentials associated with the current session to perform the requested operation.',
        'Either abandon the operation or change the associated access rights and resubmit the request if the operation failed.',
      );
    }
    this.expireSessions();
    if (this.sessions.size >= this.opts.maxSessions) {
      return error(
        503,
        'SessionLimitExceeded',
        'The session establishment failed due to the number of simultaneous sessions exceeding the limit of the implementation.',
        'Reduce the number of other sessions before trying to establish the session or increase the limit of simultaneous sessions (if supported).',
      );
    }
    const s: Session = {
      id: randomBytes(8).toString('hex'),
      token: randomBytes(24).toString('hex'),
      user: b['UserName'] as string,
      lastUsed: this.opts.now(),
    };
    this.sessions.set(s.id, s);
    this.counts.sessionsCreated++;
    const location = `/redfish/v1/SessionService/Sessions/${s.id}`;
    return {
      status: 201,
      headers: { 'X-Auth-Token': s.token, Location: location },
      body: this.sessionBody(s),
    };
  }

  private authenticate(headers: Record<string, string | undefined>): string | undefined {
    const token = headers['x-auth-token'];
    if (token && !this.opts.basicOnly) {
      this.expireSessions();
      for (const s of this.sessions.values()) {
        if (s.token.length === token.length && timingSafeEqual(Buffer.from(s.token), Buffer.from(token))) {
          s.lastUsed = this.opts.now();
          return s.user;
        }
      }
      return undefined;
    }
    const auth = headers['authorization'];
    const m = auth ? /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(auth) : null;
    if (!m) return undefined;
    const text = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = text.indexOf(':');
    const user = text.slice(0, i);
    return i > 0 && this.credentialsMatch(user, text.slice(i + 1)) ? user : undefined;
  }

  private async reset(body: unknown): Promise<RedfishAnswer> {
    const type = (body as Record<string, unknown> | null)?.['ResetType'];
    if (typeof type !== 'string') {
      return error(
        400,
        'ActionParameterMissing',
        'The action ComputerSystem.Reset requires the parameter ResetType to be present in the request body.',
        'Supply the action with the required parameter in the request body when the request is resubmitted.',
        ['ComputerSystem.Reset', 'ResetType'],
      );
    }
    if (!this.opts.resetTypes.includes(type)) {
      return error(
        400,
        'ActionParameterValueNotInList',
        `The value ${type} for the parameter ResetType in the action ComputerSystem.Reset is not in the list of acceptable values.`,
        'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.',
        [type, 'ResetType', 'ComputerSystem.Reset'],
      );
    }
    const on = this.host.power() === 'on';
    const already =
      (type === 'On' && on) ||
      ((type === 'ForceOff' || type === 'GracefulShutdown' || type === 'GracefulRestart') && !on);
    if (already && this.opts.conflictWhenAlready) {
      return error(
        409,
        'ResourceInUse',
        `The change to the requested resource failed because the resource is in use or in transition (the system is already ${on ? 'on' : 'off'}).`,
        'Remove the condition and resubmit the request if the operation failed.',
      );
    }
    switch (type) {
      case 'On':
        this.cancelSoftOff?.();
        this.host.setPower('on', 'redfish');
        break;
      case 'ForceOff':
        this.cancelSoftOff?.();
        this.host.setPower('off', 'redfish');
        break;
      case 'GracefulShutdown':
        if (on) {
          this.startSoftOff();
          if (this.opts.gracefulBlocks)
            await new Promise<void>((resolve) => this.softOffWaiters.push(resolve));
        }
        break;
      case 'ForceRestart':
      case 'GracefulRestart':
      case 'PowerCycle':
        this.cancelSoftOff?.();
        this.host.setPower('off', `redfish-${type}`);
        this.host.setPower('on', `redfish-${type}`);
        break;
      default:
        return error(
          400,
          'ActionParameterNotSupported',
          `The parameter ResetType ${type} is not supported by this lab BMC.`,
          'Remove the parameter supplied and resubmit the request if the operation failed.',
        );
    }
    this.version++;
    return { status: 204 };
  }

  private startSoftOff(): void {
    if (this.cancelSoftOff) return;
    const cancel = this.opts.schedule(() => {
      this.cancelSoftOff = undefined;
      this.host.setPower('off', 'redfish-soft');
      this.version++;
      for (const w of this.softOffWaiters.splice(0)) w();
    }, this.opts.softOffDelayMs);
    this.cancelSoftOff = () => {
      cancel();
      this.cancelSoftOff = undefined;
      for (const w of this.softOffWaiters.splice(0)) w();
    };
  }

  private patchSystem(req: RedfishRequest): RedfishAnswer {
    const match = req.headers['if-match'];
    const current = `"${this.etagValue()}"`;
    if (match === undefined && this.opts.requireIfMatch) {
      return error(
        428,
        'PreconditionRequired',
        'A precondition header or annotation is required to change the resource.',
        'Try the request again with the If-Match header, using the ETag of the resource.',
      );
    }
    if (match !== undefined && match !== '*' && match.replace(/^W\//, '') !== current) {
      return error(
        412,
        'PreconditionFailed',
        'The ETag supplied did not match the ETag required to change this resource.',
        'Try the operation again using the appropriate ETag.',
      );
    }
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return error(
        400,
        'MalformedJSON',
        'The request body submitted was malformed JSON and could not be parsed by the receiving service.',
        'Ensure that the request body is valid JSON and resubmit the request.',
      );
    }
    for (const k of Object.keys(body)) {
      if (k !== 'Boot' && k !== '@odata.etag') {
        return unknownProperty(k);
      }
    }
    const boot = (body as Record<string, unknown>)['Boot'];
    if (typeof boot !== 'object' || boot === null) return { status: 204 };
    const b = boot as Record<string, unknown>;
    const allowed: Record<string, string[]> = {
      BootSourceOverrideTarget: BOOT_TARGETS,
      BootSourceOverrideEnabled: ['Disabled', 'Once', 'Continuous'],
      BootSourceOverrideMode: ['Legacy', 'UEFI'],
    };
    for (const [k, v] of Object.entries(b)) {
      if (!(k in allowed)) {
        return unknownProperty(k);
      }
      if (typeof v !== 'string' || !allowed[k]!.includes(v)) {
        return error(
          400,
          'PropertyValueNotInList',
          `The value ${JSON.stringify(v)} for the property ${k} is not in the list of acceptable values.`,
          'Choose a value from the enumeration list that the implementation can support and resubmit the request if the operation failed.',
          [String(v), k],
        );
      }
    }
    const cur = this.host.boot();
    const curEnabled = cur.device === 'none' ? 'Disabled' : cur.persistent ? 'Continuous' : 'Once';
    const target =
      (b['BootSourceOverrideTarget'] as string | undefined) ??
      (cur.device === 'none' ? this.lastTarget : TARGET_OF[cur.device]);
    const enabled = (b['BootSourceOverrideEnabled'] as string | undefined) ?? curEnabled;
    const efi = b['BootSourceOverrideMode'] !== undefined ? b['BootSourceOverrideMode'] === 'UEFI' : cur.efi;
    const device = WORLD_DEVICE[target];
    if (enabled !== 'Disabled' && target !== 'None' && device === undefined) {
      return error(
        400,
        'PropertyValueNotInList',
        `The lab host cannot boot from ${target}.`,
        'Choose Pxe, Hdd, Cd or BiosSetup.',
        [target, 'BootSourceOverrideTarget'],
      );
    }
    this.lastTarget = target;
    this.host.setBoot(
      enabled === 'Disabled' || target === 'None' ? 'none' : device!,
      enabled === 'Continuous',
      efi,
    );
    this.version++;
    return { status: 204 };
  }
}
