import { ScriptSetSchema, type MaasScriptSet } from './results.ts';
import ky, { HTTPError, isHTTPError, isTimeoutError, type KyRequest } from 'ky';
import { z } from 'zod';
import { abortedByDeadline, deadlineOf, DeadlineExceeded } from '../../util/deadline.ts';
import { redact, registerSecret } from '../../util/redact.ts';
import {
  MaasConflictError,
  maasHttpError,
  maasNotApiError,
  maasResponseError,
  maasUnreachableError,
  MaasError,
  type MaasCallContext,
} from './errors.ts';
import { encodeForm, type FormFields } from './form.ts';
import { undiciFetch } from './http.ts';
import { ArrayAnswerError, JsonArrayReader } from './json-array.ts';
import { maasAuthorizationHeader, type MaasApiKey } from './oauth.ts';
import {
  BootResourceListSchema,
  EventsPageSchema,
  InterfaceSchema,
  MachineListSchema,
  MachineSummaryListSchema,
  MachineSummarySchema,
  type MaasMachineSummary,
  MachineSchema,
  PowerStateResponseSchema,
  SubnetSchema,
  VersionSchema,
  UserSchema,
  type MaasBootResource,
  type MaasEventsPage,
  type MaasInterface,
  type MaasMachine,
  type MaasSubnet,
  type MaasVersion,
  type MaasUser,
  type PowerState,
} from './schemas.ts';

export interface MaasClientOptions {
  /** Region URL as operators write it: `http://maas:5240/MAAS` (with or without trailing slash). */
  url: string;
  apiKey: MaasApiKey;
  /**
   * Deadline of one call, retries and body included; default 30 s. query_power_state gets at least
   * 90 s (MaaS may block 60 s). A region that accepts the connection but never answers fails then.
   */
  timeoutMs?: number;
  /** The setting named when a deadline passes; default RACKPILOT_MAAS_TIMEOUT. */
  timeoutSetting?: string;
  /** Where the URL came from, named in errors ("MAAS_URL"); undefined for the lab. */
  urlSource?: string;
  /** Retries for idempotent calls only (GET, PUT); default 2. */
  retries?: number;
  /** Base back-off between retries; default 300 ms, doubled each time, capped at 5 s. */
  retryDelayMs?: number;
  /** Debug sink: one redacted line per request/answer. */
  log?: (line: string) => void;
  /** For tests and proxies. */
  fetch?: typeof fetch;
}

import type { EraseMode } from './vocabulary.ts';

export { ERASE_MODES, type EraseMode } from './vocabulary.ts';

export const BOND_MODES = [
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  '802.3ad',
  'balance-tlb',
  'balance-alb',
] as const;
export type BondMode = (typeof BOND_MODES)[number];

export type LinkMode = 'AUTO' | 'DHCP' | 'STATIC' | 'LINK_UP';

export interface MachineFilter {
  hostname?: readonly string[];
  mac_address?: readonly string[];
  id?: readonly string[];
  zone?: string;
  pool?: string;
}

export interface IpmiPowerParameters {
  address: string;
  user: string;
  pass: string;
  /** LAN_2_0 (IPMI 2.0, the default) or LAN (1.5). */
  driver?: 'LAN_2_0' | 'LAN';
  /** MaaS's default is 3; 17 on newer BMCs. */
  cipherSuiteId?: number;
  privilegeLevel?: 'USER' | 'OPERATOR' | 'ADMIN';
  bootType?: 'auto' | 'legacy' | 'efi';
}

/**
 * MaaS's redfish power driver (provisioningserver/drivers/power/redfish.py): power_address is the
 * BMC's URL (https:// is prepended when it has no scheme), node_id the ComputerSystem's id (MaaS
 * takes the first member of Systems when it is empty).
 */
export interface RedfishPowerParameters {
  type: 'redfish';
  address: string;
  user: string;
  pass: string;
  nodeId?: string;
}

export interface CreateMachineInput {
  architecture?: string;
  macAddresses: readonly string[];
  hostname?: string;
  description?: string;
  power: IpmiPowerParameters | RedfishPowerParameters;
  /** MaaS commissions a machine added by hand unless told not to. */
  commission?: boolean;
}

export interface DeployInput {
  /** `centos7`, `ubuntu/jammy`, `jammy`… — MaaS resolves the name against its boot resources. */
  distroSeries: string;
  /** cloud-init / curtin user data as plain text; the client base64-encodes it as MaaS expects. */
  userData?: string;
  hweKernel?: string;
  comment?: string;
}

export interface CreateBondInput {
  name: string;
  parents: readonly number[];
  /** Required: omitting it makes MaaS store balance-rr (despite its docstring). */
  bondMode: BondMode;
  macAddress?: string;
  miimon?: number;
  downdelay?: number;
  updelay?: number;
  lacpRate?: 'fast' | 'slow';
  xmitHashPolicy?: 'layer2' | 'layer2+3' | 'layer3+4' | 'encap2+3' | 'encap3+4';
  vlan?: number;
}

export interface EventsQuery {
  /** system_id(s) of the machines whose events are wanted. */
  id?: string | readonly string[];
  hostname?: string;
  level?: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | 'CRITICAL' | 'AUDIT';
  limit?: number;
  /** Only events newer than this event id: poll with the last id seen. */
  after?: number;
  before?: number;
}

interface CallSpec<S extends z.ZodType> {
  ctx: MaasCallContext;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative to /api/2.0/, ending with `/`. */
  path: string;
  op?: string;
  query?: FormFields;
  form?: FormFields;
  schema: S;
  /** The answer is a JSON array of these: it is read element by element as it arrives, never held whole. */
  elements?: z.ZodType;
  timeoutMs?: number;
  /** DELETE answers 204 with no body. */
  emptyOk?: boolean;
  /** Aborts the request (and its retries); the call then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}

const SYSTEM_ID = /^[a-z0-9]{1,32}$/;

/** Typed MaaS 2.0 client. Read calls retry; state-changing ops (deploy, release…) never do. */
export class MaasClient {
  readonly baseUrl: string;
  private readonly apiKey: MaasApiKey;
  private readonly timeoutMs: number;
  private readonly timeoutSetting: string;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly log: ((line: string) => void) | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly urlSource: string | undefined;

  constructor(opts: MaasClientOptions) {
    registerSecret(opts.apiKey.tokenSecret);
    registerSecret(opts.apiKey.tokenKey);
    registerSecret(opts.apiKey.consumerKey);
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw maasUnreachableError(opts.url, { op: 'connect', method: 'GET', path: '' }, undefined, false);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw maasUnreachableError(opts.url, { op: 'connect', method: 'GET', path: '' }, undefined, false);
    }
    this.baseUrl = url.href.replace(/\/+$/, '') + '/api/2.0/';
    this.apiKey = opts.apiKey;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.timeoutSetting = opts.timeoutSetting ?? 'RACKPILOT_MAAS_TIMEOUT';
    this.retries = opts.retries ?? 2;
    this.retryDelayMs = opts.retryDelayMs ?? 300;
    this.log = opts.log;
    this.fetchImpl = opts.fetch ?? undiciFetch();
    this.urlSource = opts.urlSource;
  }

  // ---- machines ----

  /** One call for the whole site: the UI refreshes with this. */
  async listMachines(filter: MachineFilter = {}, signal?: AbortSignal): Promise<MaasMachine[]> {
    return this.call({
      signal,
      ctx: { op: 'list machines', method: 'GET', path: 'machines/' },
      method: 'GET',
      path: 'machines/',
      query: { ...filter },
      schema: MachineListSchema,
      elements: MachineSchema,
    });
  }

  /** The same list call, validating only what the live inventory shows (much cheaper at scale). */
  async listMachineSummaries(
    filter: MachineFilter = {},
    signal?: AbortSignal,
  ): Promise<MaasMachineSummary[]> {
    return this.call({
      signal,
      ctx: { op: 'list machines', method: 'GET', path: 'machines/' },
      method: 'GET',
      path: 'machines/',
      query: { ...filter },
      schema: MachineSummaryListSchema,
      elements: MachineSummarySchema,
    });
  }

  async readMachine(systemId: string, signal?: AbortSignal): Promise<MaasMachine> {
    return this.machineCall('read', 'GET', systemId, undefined, signal);
  }

  async createMachine(input: CreateMachineInput, signal?: AbortSignal): Promise<MaasMachine> {
    const p = input.power;
    const power =
      'type' in p
        ? {
            power_type: 'redfish',
            power_parameters_power_address: p.address,
            power_parameters_power_user: p.user,
            power_parameters_power_pass: p.pass,
            power_parameters_node_id: p.nodeId,
          }
        : {
            power_type: 'ipmi',
            power_parameters_power_address: p.address,
            power_parameters_power_user: p.user,
            power_parameters_power_pass: p.pass,
            power_parameters_power_driver: p.driver ?? 'LAN_2_0',
            power_parameters_cipher_suite_id: p.cipherSuiteId ?? 3,
            power_parameters_privilege_level: p.privilegeLevel ?? 'ADMIN',
            power_parameters_power_boot_type: p.bootType ?? 'auto',
          };
    return this.call({
      signal,
      ctx: { op: 'create machine', method: 'POST', path: 'machines/', target: input.hostname },
      method: 'POST',
      path: 'machines/',
      form: {
        architecture: input.architecture ?? 'amd64/generic',
        mac_addresses: input.macAddresses,
        hostname: input.hostname,
        description: input.description,
        ...power,
        commission: input.commission,
      },
      schema: MachineSchema,
    });
  }

  /**
   * POST machines/?op=allocate for this machine; with `ownerData`, then POST
   * machines/{id}/?op=set_owner_data, so the machine says who allocated it (MaaS keeps it until
   * the release).
   */
  async allocate(
    systemId: string,
    comment?: string,
    signal?: AbortSignal,
    ownerData?: Record<string, string>,
  ): Promise<MaasMachine> {
    checkSystemId(systemId);
    const m = await this.call({
      signal,
      ctx: { op: 'allocate', method: 'POST', path: 'machines/', target: systemId },
      method: 'POST',
      path: 'machines/',
      op: 'allocate',
      form: { system_id: systemId, comment },
      schema: MachineSchema,
    });
    return ownerData ? this.setOwnerData(systemId, ownerData, signal) : m;
  }

  /** POST machines/{id}/?op=set_owner_data key=value…; an empty value removes the key. */
  async setOwnerData(
    systemId: string,
    data: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<MaasMachine> {
    return this.machineCall('set_owner_data', 'POST', systemId, data, signal);
  }

  async deploy(systemId: string, input: DeployInput, signal?: AbortSignal): Promise<MaasMachine> {
    return this.machineCall(
      'deploy',
      'POST',
      systemId,
      {
        distro_series: input.distroSeries,
        user_data:
          input.userData === undefined ? undefined : Buffer.from(input.userData, 'utf8').toString('base64'),
        hwe_kernel: input.hweKernel,
        comment: input.comment,
      },
      signal,
    );
  }

  async release(
    systemId: string,
    opts: { erase: EraseMode; comment?: string; force?: boolean },
    signal?: AbortSignal,
  ): Promise<MaasMachine> {
    return this.machineCall(
      'release',
      'POST',
      systemId,
      {
        erase: opts.erase !== 'none',
        quick_erase: opts.erase === 'quick' ? true : undefined,
        secure_erase: opts.erase === 'secure' ? true : undefined,
        comment: opts.comment,
        force: opts.force,
      },
      signal,
    );
  }

  async abort(systemId: string, comment?: string, signal?: AbortSignal): Promise<MaasMachine> {
    return this.machineCall('abort', 'POST', systemId, { comment }, signal);
  }

  async commission(
    systemId: string,
    opts: { comment?: string; skipBmcConfig?: boolean } = {},
    signal?: AbortSignal,
  ): Promise<MaasMachine> {
    const skip = opts.skipBmcConfig === undefined ? undefined : opts.skipBmcConfig ? 1 : 0;
    return this.machineCall(
      'commission',
      'POST',
      systemId,
      { comment: opts.comment, skip_bmc_config: skip },
      signal,
    );
  }

  async markBroken(systemId: string, comment?: string, signal?: AbortSignal): Promise<MaasMachine> {
    return this.machineCall('mark_broken', 'POST', systemId, { comment }, signal);
  }

  async markFixed(systemId: string, comment?: string, signal?: AbortSignal): Promise<MaasMachine> {
    return this.machineCall('mark_fixed', 'POST', systemId, { comment }, signal);
  }

  /** Careful: MaaS power-cycles a host that is already on. */
  async powerOn(
    systemId: string,
    opts: { comment?: string; userData?: string } = {},
    signal?: AbortSignal,
  ): Promise<MaasMachine> {
    const userData =
      opts.userData === undefined ? undefined : Buffer.from(opts.userData, 'utf8').toString('base64');
    return this.machineCall(
      'power_on',
      'POST',
      systemId,
      { comment: opts.comment, user_data: userData },
      signal,
    );
  }

  async powerOff(
    systemId: string,
    opts: { stopMode?: 'soft' | 'hard'; comment?: string } = {},
    signal?: AbortSignal,
  ): Promise<MaasMachine> {
    const form = { stop_mode: opts.stopMode, comment: opts.comment };
    return this.machineCall('power_off', 'POST', systemId, form, signal);
  }

  /** The machine's power_parameters (admin only): what MaaS will use to reach the BMC. */
  async powerParameters(systemId: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    checkSystemId(systemId);
    return this.call({
      signal,
      ctx: { op: 'power_parameters', method: 'GET', path: `machines/${systemId}/`, target: systemId },
      method: 'GET',
      path: `machines/${systemId}/`,
      op: 'power_parameters',
      schema: z.record(z.string(), z.unknown()),
    });
  }

  /** Asks MaaS to query the BMC now (can take up to a minute on real gear). */
  async queryPowerState(systemId: string, signal?: AbortSignal): Promise<PowerState> {
    checkSystemId(systemId);
    const r = await this.call({
      signal,
      ctx: { op: 'query_power_state', method: 'GET', path: `machines/${systemId}/`, target: systemId },
      method: 'GET',
      path: `machines/${systemId}/`,
      op: 'query_power_state',
      schema: PowerStateResponseSchema,
      timeoutMs: Math.max(this.timeoutMs, 90_000),
    });
    return r.state;
  }

  // ---- interfaces ----

  async listInterfaces(systemId: string, signal?: AbortSignal): Promise<MaasInterface[]> {
    checkSystemId(systemId);
    const path = `nodes/${systemId}/interfaces/`;
    return this.call({
      signal,
      ctx: { op: 'list interfaces', method: 'GET', path, target: systemId },
      method: 'GET',
      path,
      schema: InterfaceSchema.array(),
    });
  }

  async readInterface(systemId: string, interfaceId: number, signal?: AbortSignal): Promise<MaasInterface> {
    const path = interfacePath(systemId, interfaceId);
    return this.call({
      signal,
      ctx: { op: 'read interface', method: 'GET', path, target: systemId },
      method: 'GET',
      path,
      schema: InterfaceSchema,
    });
  }

  /** PUT is idempotent, so it may retry. Allowed by MaaS only in Ready or Broken. */
  async updateInterface(
    systemId: string,
    interfaceId: number,
    fields: { mac_address?: string; name?: string; vlan?: number; bond_mode?: string },
    signal?: AbortSignal,
  ): Promise<MaasInterface> {
    const path = interfacePath(systemId, interfaceId);
    return this.call({
      signal,
      ctx: { op: 'update interface', method: 'PUT', path, target: systemId },
      method: 'PUT',
      path,
      form: fields,
      schema: InterfaceSchema,
    });
  }

  async updateInterfaceMac(
    systemId: string,
    interfaceId: number,
    mac: string,
    signal?: AbortSignal,
  ): Promise<MaasInterface> {
    return this.updateInterface(systemId, interfaceId, { mac_address: mac }, signal);
  }

  /** Removes a bond (its parents get their links back); allowed only in Ready or Broken. */
  async deleteInterface(systemId: string, interfaceId: number, signal?: AbortSignal): Promise<void> {
    const path = interfacePath(systemId, interfaceId);
    await this.call({
      signal,
      ctx: { op: 'delete interface', method: 'DELETE', path, target: systemId },
      method: 'DELETE',
      path,
      schema: z.unknown(),
      emptyOk: true,
    });
  }

  async createBond(systemId: string, input: CreateBondInput, signal?: AbortSignal): Promise<MaasInterface> {
    checkSystemId(systemId);
    const path = `nodes/${systemId}/interfaces/`;
    return this.call({
      signal,
      ctx: { op: 'create_bond', method: 'POST', path, target: systemId },
      method: 'POST',
      path,
      op: 'create_bond',
      form: {
        name: input.name,
        parents: input.parents,
        mac_address: input.macAddress,
        bond_mode: input.bondMode,
        bond_miimon: input.miimon ?? 100,
        bond_downdelay: input.downdelay,
        bond_updelay: input.updelay,
        bond_lacp_rate: input.lacpRate,
        bond_xmit_hash_policy: input.xmitHashPolicy,
        vlan: input.vlan,
      },
      schema: InterfaceSchema,
    });
  }

  async linkSubnet(
    systemId: string,
    interfaceId: number,
    input: {
      mode: LinkMode;
      subnet?: number | string;
      ipAddress?: string;
      force?: boolean;
      defaultGateway?: boolean;
    },
    signal?: AbortSignal,
  ): Promise<MaasInterface> {
    const path = interfacePath(systemId, interfaceId);
    return this.call({
      signal,
      ctx: { op: 'link_subnet', method: 'POST', path, target: systemId },
      method: 'POST',
      path,
      op: 'link_subnet',
      form: {
        mode: input.mode,
        subnet: input.subnet,
        ip_address: input.ipAddress,
        force: input.force,
        default_gateway: input.defaultGateway,
      },
      schema: InterfaceSchema,
    });
  }

  async unlinkSubnet(
    systemId: string,
    interfaceId: number,
    linkId: number,
    signal?: AbortSignal,
  ): Promise<MaasInterface> {
    const path = interfacePath(systemId, interfaceId);
    return this.call({
      signal,
      ctx: { op: 'unlink_subnet', method: 'POST', path, target: systemId },
      method: 'POST',
      path,
      op: 'unlink_subnet',
      form: { id: linkId },
      schema: InterfaceSchema,
    });
  }

  // ---- site ----

  async listBootResources(signal?: AbortSignal): Promise<MaasBootResource[]> {
    return this.call({
      signal,
      ctx: { op: 'list boot resources', method: 'GET', path: 'boot-resources/' },
      method: 'GET',
      path: 'boot-resources/',
      schema: BootResourceListSchema,
    });
  }

  async listSubnets(signal?: AbortSignal): Promise<MaasSubnet[]> {
    return this.call({
      signal,
      ctx: { op: 'list subnets', method: 'GET', path: 'subnets/' },
      method: 'GET',
      path: 'subnets/',
      schema: SubnetSchema.array(),
    });
  }

  /** The user this client's API key belongs to; MaaS names it as `owner` of what it allocated. */
  async whoami(signal?: AbortSignal): Promise<MaasUser> {
    this.user ??= this.call({
      signal,
      ctx: { op: 'whoami', method: 'GET', path: 'users/' },
      method: 'GET',
      path: 'users/',
      op: 'whoami',
      schema: UserSchema,
    }).catch((err: unknown) => {
      this.user = undefined;
      throw err;
    });
    return this.user;
  }

  private user: Promise<MaasUser> | undefined;

  async version(signal?: AbortSignal): Promise<MaasVersion> {
    return this.call({
      signal,
      ctx: { op: 'version', method: 'GET', path: 'version/' },
      method: 'GET',
      path: 'version/',
      schema: VersionSchema,
    });
  }

  /** curtin's log of the current (or last) deployment; 404 (MaasError) when the machine never deployed. */
  async readInstallationResults(systemId: string, signal?: AbortSignal): Promise<MaasScriptSet> {
    checkSystemId(systemId);
    const path = `nodes/${systemId}/results/current-installation/`;
    return this.call({
      signal,
      ctx: { op: 'read installation results', method: 'GET', path, target: systemId },
      method: 'GET',
      path,
      query: { include_output: 1 },
      schema: ScriptSetSchema,
    });
  }

  /** Newest first, as MaaS returns them. */
  async queryEvents(q: EventsQuery = {}, signal?: AbortSignal): Promise<MaasEventsPage> {
    return this.call({
      signal,
      ctx: {
        op: 'query events',
        method: 'GET',
        path: 'events/',
        target: typeof q.id === 'string' ? q.id : undefined,
      },
      method: 'GET',
      path: 'events/',
      op: 'query',
      query: {
        id: q.id,
        hostname: q.hostname,
        level: q.level,
        limit: q.limit,
        after: q.after,
        before: q.before,
      },
      schema: EventsPageSchema,
    });
  }

  // ---- plumbing ----

  private async machineCall(
    op: string,
    method: 'GET' | 'POST',
    systemId: string,
    form?: FormFields,
    signal?: AbortSignal,
  ): Promise<MaasMachine> {
    checkSystemId(systemId);
    const path = `machines/${systemId}/`;
    return this.call({
      signal,
      ctx: { op, method, path, target: systemId },
      method,
      path,
      op: op === 'read' ? undefined : op,
      form,
      schema: MachineSchema,
    });
  }

  private authorize(request: KyRequest): void {
    request.headers.set('Authorization', maasAuthorizationHeader(this.apiKey));
  }

  private debug(line: string): void {
    this.log?.(redact(line));
  }

  private async call<S extends z.ZodType>(spec: CallSpec<S>): Promise<z.output<S>> {
    const search = new URLSearchParams();
    if (spec.op) search.set('op', spec.op);
    if (spec.query) for (const [k, v] of encodeForm(spec.query)) search.append(k, v);
    const qs = search.toString();
    const url = this.baseUrl + spec.path + (qs ? `?${qs}` : '');
    const idempotent = spec.method === 'GET' || spec.method === 'PUT';
    const started = Date.now();
    const label = `${spec.method} ${spec.path}${spec.op ? `?op=${spec.op}` : ''}`;
    this.debug(`maas → ${label}`);
    let text: string;
    let html = false;
    // A command's deadline (the whole wait of a read, however many calls) shortens this call's own.
    const bound = deadlineOf(spec.signal);
    const own = spec.timeoutMs ?? this.timeoutMs;
    const deadlineMs = bound ? Math.max(1, Math.min(own, bound.remainingMs())) : own;
    const named = bound && bound.remainingMs() < own ? bound : { ms: own, setting: this.timeoutSetting };
    let items: unknown[] | null = null;
    try {
      const res = await ky(url, {
        method: spec.method,
        body: spec.form ? encodeForm(spec.form) : undefined,
        headers: { Accept: 'application/json' },
        timeout: deadlineMs,
        // The whole call, retries and their delays included, ends by the deadline.
        totalTimeout: deadlineMs,
        ...(spec.signal && { signal: spec.signal }),
        fetch: this.fetchImpl,
        retry: idempotent
          ? {
              limit: this.retries,
              methods: ['get', 'put'],
              statusCodes: [408, 429, 500, 502, 503, 504],
              retryOnTimeout: true,
              delay: (n) => Math.min(this.retryDelayMs * 2 ** (n - 1), 5000),
              maxRetryAfter: 10_000,
            }
          : { limit: 0 },
        hooks: {
          beforeRequest: [({ request }) => this.authorize(request)],
          beforeRetry: [
            ({ request, error, retryCount }) => {
              const why = isHTTPError(error) ? `HTTP ${error.response.status}` : error.name;
              this.debug(`maas ↻ ${label} retry ${retryCount} after ${why}`);
              this.authorize(request);
            },
          ],
        },
      });
      html = /html/i.test(res.headers.get('content-type') ?? '');
      const left = Math.max(1, deadlineMs - (Date.now() - started));
      // A list small enough that one JSON.parse costs less than parsing it piece by piece is read whole.
      const array = spec.elements && !html && !smallBody(res) ? new JsonArrayReader(spec.elements) : null;
      // A page served as HTML is not MaaS's answer whatever it holds: its body is left unread (a
      // proxy's page can run to megabytes, and reading it would spend the call's deadline).
      if (html) await res.body?.cancel().catch(() => undefined);
      text = html ? '' : await readBody(res, left, array ? (chunk) => array.write(chunk) : undefined);
      items = array?.end() ?? null;
      this.debug(
        `maas ← ${label} ${res.status} ${items ? `${items.length} items` : `${text.length}B`} ${Date.now() - started}ms`,
      );
    } catch (err) {
      if (spec.signal?.aborted && !abortedByDeadline(spec.signal)) {
        // Cancelled or timed out by the caller (a task step): its reason, not "MaaS unreachable".
        this.debug(`maas ✗ ${label} aborted ${Date.now() - started}ms`);
        throw spec.signal.reason;
      }
      const e = this.translate(err, spec.ctx, label, started, named);
      throw e instanceof MaasConflictError && !e.currentState
        ? await this.withCurrentState(e, spec.ctx, spec.signal)
        : e;
    }
    if (items) return items as z.output<S>;
    if (spec.emptyOk && !html && text === '') return undefined as z.output<S>;
    let json: unknown;
    try {
      if (html || looksLikeHtml(text)) throw new Error('html');
      json = JSON.parse(text);
    } catch {
      throw maasNotApiError(this.regionUrl, spec.ctx, html || looksLikeHtml(text), this.urlSource);
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue ? issue.path.join('.') || '(root)' : '(root)';
      throw maasResponseError(spec.ctx, `${where}: ${issue?.message ?? 'invalid'}`, {
        url: this.regionUrl,
        urlSource: this.urlSource,
      });
    }
    return parsed.data;
  }

  /**
   * Some of MaaS's 409 texts name only the states the op allows; the operator needs the state the
   * machine is in, so ask MaaS once (best effort: the original error stands if that fails too).
   */
  private async withCurrentState(
    e: MaasConflictError,
    ctx: MaasCallContext,
    signal: AbortSignal | undefined,
  ): Promise<MaasError> {
    if (!ctx.target || !SYSTEM_ID.test(ctx.target)) return e;
    try {
      const m = await this.readMachine(ctx.target, signal);
      return maasHttpError(409, `${e.body} — MaaS reports the machine as '${m.status_name}'`, ctx);
    } catch {
      return e;
    }
  }

  /** The region URL as configured (`http://maas:5240/MAAS`). */
  get regionUrl(): string {
    return this.baseUrl.replace(/\/api\/2\.0\/$/, '');
  }

  private translate(
    err: unknown,
    ctx: MaasCallContext,
    label: string,
    started: number,
    deadline: { ms: number; setting: string },
  ): MaasError {
    if (err instanceof MaasError) return err;
    if (err instanceof ArrayAnswerError) {
      const where = { url: this.regionUrl, urlSource: this.urlSource };
      return err.kind === 'invalid'
        ? maasResponseError(ctx, err.message, where)
        : maasNotApiError(this.regionUrl, ctx, looksLikeHtml(err.head), this.urlSource);
    }
    if (err instanceof BodyTooLargeError) {
      return maasResponseError(ctx, err.message, { url: this.regionUrl, urlSource: this.urlSource });
    }
    if (err instanceof HTTPError) {
      this.debug(`maas ← ${label} ${err.response.status} ${Date.now() - started}ms`);
      const html = /html/i.test(err.response.headers.get('content-type') ?? '');
      if (html || (typeof err.data === 'string' && looksLikeHtml(err.data))) {
        // A web server that is not MaaS (or a wrong path): its page says nothing to the operator.
        return maasNotApiError(this.regionUrl, ctx, true, this.urlSource, err.response.status);
      }
      return maasHttpError(err.response.status, err.data, ctx);
    }
    const timedOut =
      isTimeoutError(err) ||
      err instanceof DeadlineExceeded ||
      (err instanceof Error && err.name === 'TimeoutError');
    this.debug(`maas ✗ ${label} ${timedOut ? 'timeout' : 'unreachable'} ${Date.now() - started}ms`);
    return maasUnreachableError(this.regionUrl, ctx, causeOf(err), timedOut, {
      deadlineMs: deadline.ms,
      deadlineSetting: deadline.setting,
      urlSource: this.urlSource,
    });
  }
}

/**
 * A list answer up to this size (about 1,200 machines of 6.7 KB) is parsed whole: JSON.parse is
 * native and several times cheaper than the streaming parser, and the tree it holds for a moment
 * (some 40 MB at most) is freed at once.
 * Larger lists, and answers whose size is not given, are read element by element.
 */
export const MAAS_WHOLE_LIST_BYTES = 8 * 1024 * 1024;

function smallBody(res: Response): boolean {
  const length = Number(res.headers.get('content-length') ?? NaN);
  return Number.isFinite(length) && length <= MAAS_WHOLE_LIST_BYTES;
}

/** Largest answer body read (a 10,000-machine list is ~40 MB); more is not a MaaS answer. */
export const MAAS_MAX_BODY_BYTES = 256 * 1024 * 1024;

function looksLikeHtml(text: string): boolean {
  return /^\s*<(!doctype|html|head|body|\?xml|title|h1|p\b)/i.test(text);
}

class BodyTimeoutError extends Error {
  override name = 'TimeoutError';
}

class BodyTooLargeError extends Error {}

/** The answer's text, within the call's deadline and size limit; with a sink, its bytes go there instead. */
async function readBody(res: Response, ms: number, sink?: (chunk: Uint8Array) => void): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (length > MAAS_MAX_BODY_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(`the answer is ${length} bytes, more than ${MAAS_MAX_BODY_BYTES}`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BodyTimeoutError('body read timed out')), ms);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), expired]);
      if (done) break;
      total += value.byteLength;
      if (total > MAAS_MAX_BODY_BYTES)
        throw new BodyTooLargeError(`the answer is more than ${MAAS_MAX_BODY_BYTES} bytes`);
      if (sink) sink(value);
      else chunks.push(value);
    }
  } catch (err) {
    void reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function causeOf(err: unknown): unknown {
  if (err instanceof Error && err.cause instanceof Error) {
    return err.cause.cause instanceof Error ? err.cause.cause : err.cause;
  }
  return err;
}

function checkSystemId(systemId: string): void {
  // system_ids are short lowercase tokens; anything else would let a caller steer the URL path.
  if (!SYSTEM_ID.test(systemId)) {
    throw new MaasError(
      `"${systemId.slice(0, 40)}" is not a MaaS system_id`,
      { op: 'validate', method: '', path: '' },
      {
        hint: 'Use the machine\'s system_id as MaaS lists it (e.g. "4y3h7n").',
      },
    );
  }
}

function interfacePath(systemId: string, interfaceId: number): string {
  checkSystemId(systemId);
  if (!Number.isInteger(interfaceId) || interfaceId < 0) {
    throw new MaasError(
      `${interfaceId} is not an interface id`,
      { op: 'validate', method: '', path: '' },
      {},
    );
  }
  return `nodes/${systemId}/interfaces/${interfaceId}/`;
}
