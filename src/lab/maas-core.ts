import { redact } from '../util/redact.ts';
import { BOND_MODES } from '../gear/maas/client.ts';
import {
  FAILURE_OF,
  NODE_STATUS,
  NODE_STATUS_NAME,
  nodeStatusFromName,
  type NodeStatusCode,
} from '../gear/maas/node-status.ts';
import {
  API_PREFIX,
  eventJson,
  interfaceJson,
  machineBytes,
  machineJson,
  machineObject,
  subnetJson,
  type LabEvent,
  type LabFabric,
  type LabInterface,
  type LabLink,
  type LabMachine,
  type LabSubnet,
} from './maas-json.ts';
import type { MaasPowerDriver, MaasPowerTarget } from './maas-power.ts';
import type { LabHost } from './spec.ts';
import type { LabWorld, WorldEvent } from './world.ts';
import * as story from './maas-story.ts';

/**
 * The lab MaaS's brain, without sockets: machines, MaaS's node state machine, events, and the
 * physics that gate progress. Commissioning, deploying and erasing advance only while the host is
 * powered on, booted from PXE (the installed OS at the end of a deploy) and cabled onto the PXE
 * VLAN — exactly what a real region needs. A stalled operation fails after MaaS's node_timeout.
 */
export class LabMaasError extends Error {
  constructor(
    readonly status: number,
    /** Text (as MaaS sends for state errors) or an object (form errors, sent as JSON). */
    readonly body: string | Record<string, string[]>,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

const S = NODE_STATUS;
const name = (c: NodeStatusCode) => NODE_STATUS_NAME[c];

export interface LabMaasHostFaults {
  /** curtin fails: Failed deployment with MaaS's installation-failure event. */
  failDeploy: Set<string>;
  /** The installed OS never reports back (cloud-init): Deploying until node_timeout. */
  stickDeploy: Set<string>;
  /** The boot loader comes over TFTP, then no kernel or initrd is fetched (UEFI/legacy mismatch, image missing). */
  noKernel: Set<string>;
  /** The ephemeral environment loads, then curtin never starts (the metadata service out of reach). */
  noInstaller: Set<string>;
  /** Deployed, then cloud-init fails the user data's scripts: "Node post-installation failure". */
  userDataFails: Set<string>;
  failErase: Set<string>;
  failCommission: Set<string>;
}

export interface LabMaasCoreOptions {
  /** Multiplies MaaS's real durations (seconds); 0 = as fast as possible, still through every state. */
  timeScale: number;
  powerDriver: MaasPowerDriver;
  /**
   * node_timeout counts the time an operation is stalled (host off, not PXE-booted, off the PXE
   * VLAN), scaled; never less than this many ms (default 3000), so an IPMI power-on's latency at
   * timeScale 0 is never mistaken for a stuck machine.
   */
  minStallTimeoutMs?: number;
  /** Status per hostname at start (code or MaaS name); default Ready. */
  initialStates?: Readonly<Record<string, NodeStatusCode | string>>;
  /** Hosts present in the world but not (yet) known to MaaS: the add-host workflow creates them. */
  unregistered?: readonly string[];
  /** power_parameters per host (the integrator fills the lab BMC address). */
  powerParameters?: (host: LabHost) => Record<string, string>;
  /** power_type per host (default ipmi): the integrator says which hosts have Redfish BMCs. */
  powerType?: (host: LabHost) => string;
  /** Boot resource names (`ubuntu/jammy`, `centos/centos70`…). */
  images?: readonly string[];
  /** OAuth user the key belongs to; owner of allocated machines. */
  username?: string;
}

export const DEFAULT_IMAGES = [
  'ubuntu/focal',
  'ubuntu/jammy',
  'ubuntu/noble',
  'centos/centos70',
  'centos/centos8',
];

/** MaaS's node_timeout (minutes) per monitored status. */
const TIMEOUT_MINUTES: Partial<Record<NodeStatusCode, number>> = {
  [S.COMMISSIONING]: 30,
  [S.DEPLOYING]: 30,
  [S.DISK_ERASING]: 30,
  [S.RELEASING]: 5,
};

const UBUNTU_VERSIONS: Record<string, string> = {
  '18.04': 'bionic',
  '20.04': 'focal',
  '22.04': 'jammy',
  '24.04': 'noble',
};

/**
 * How long an erase takes: quick wipes the start and end of each disk, secure asks the drive to
 * erase itself; a full erase writes every byte, so its time follows the disks' size at a plain
 * disk's sequential write rate.
 */
const ERASE_SECONDS = { quick: 60, secure: 600 } as const;
const FULL_ERASE_BYTES_PER_S = 150e6;
const eraseSeconds = (mode: 'quick' | 'secure' | 'full', diskBytes: number) =>
  mode === 'full' ? Math.round(diskBytes / FULL_ERASE_BYTES_PER_S) : ERASE_SECONDS[mode];

type Need = 'none' | 'pxe' | 'disk' | 'off' | 'never';

interface Step {
  need: Need;
  seconds: number;
  done: () => void;
}

interface Op {
  status: NodeStatusCode;
  steps: Step[];
  index: number;
  timer?: NodeJS.Timeout;
  stallTimer?: NodeJS.Timeout;
  stallSince?: number;
  stalledMs: number;
  timeoutMs: number;
}

/** What the lab's consoles hear of MaaS's progress on a host. */
export type LabProgress =
  { kind: 'event'; type: string; description: string } | { kind: 'install'; line: string };

// MaaS's levels, lowest first (AUDIT sits below DEBUG: logging level 0).
const LEVELS = ['AUDIT', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'] as const;
const OPEN_BRACKET = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_BRACKET = Buffer.from(']');

const levelRank = (l: string) => LEVELS.indexOf(l.toUpperCase() as (typeof LEVELS)[number]);

/** The index of the first event with an id above `id` in a list kept in id order. */
function firstAbove(events: readonly LabEvent[], id: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (events[mid]!.id > id) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The oldest `limit` wanted events after `after` (and below `before`), oldest first. */
function oldestAfter(
  events: readonly LabEvent[],
  after: number,
  before: number | undefined,
  limit: number,
  wanted: (e: LabEvent) => boolean,
): LabEvent[] {
  const out: LabEvent[] = [];
  if (Number.isNaN(after) || Number.isNaN(before)) return out;
  for (let i = firstAbove(events, after); i < events.length && out.length < limit; i++) {
    const e = events[i]!;
    if (before !== undefined && e.id >= before) break;
    if (wanted(e)) out.push(e);
  }
  return out;
}

/** The newest `limit` wanted events below `before`, oldest first. */
function newestBefore(
  events: readonly LabEvent[],
  before: number | undefined,
  limit: number,
  wanted: (e: LabEvent) => boolean,
): LabEvent[] {
  const out: LabEvent[] = [];
  if (Number.isNaN(before)) return out;
  const end = before === undefined ? events.length : firstAbove(events, before - 1);
  for (let i = end - 1; i >= 0 && out.length < limit; i--) if (wanted(events[i]!)) out.push(events[i]!);
  return out.reverse();
}

// setTimeout clamps longer delays to 1 ms: a slow time scale must not make a 2-hour erase instant.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The lab's firmware per host, as MaaS will record it (bios_boot_method) once the host PXE-boots:
 * every third host (by its number) boots legacy BIOS ("pxe"), the others UEFI.
 */
export function labBiosBootMethod(hostname: string): 'uefi' | 'pxe' {
  const n = /(\d+)$/.exec(hostname);
  let k: number;
  if (n) k = Number(n[1]);
  else {
    k = 2166136261;
    for (const ch of hostname) k = Math.imul(k ^ ch.charCodeAt(0), 16777619) >>> 0;
  }
  return k % 3 === 0 ? 'pxe' : 'uefi';
}

const SYSTEM_ID_ALPHABET = 'abcdefghkmnpqrstwxy346789';
const MAC = /^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$/i;
const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export class LabMaasCore {
  readonly machines = new Map<string, LabMachine>();
  readonly subnets = new Map<number, LabSubnet>();
  readonly faults: LabMaasHostFaults = {
    failDeploy: new Set(),
    stickDeploy: new Set(),
    noKernel: new Set(),
    noInstaller: new Set(),
    userDataFails: new Set(),
    failErase: new Set(),
    failCommission: new Set(),
  };
  readonly images: string[];
  readonly username: string;
  private readonly events: LabEvent[] = [];
  private readonly eventsBySystem = new Map<string, LabEvent[]>();
  private readonly byWorldHost = new Map<string, LabMachine>();
  private readonly ops = new Map<string, Op>();
  private readonly fabrics = new Map<string, LabFabric>();
  private readonly portOwner = new Map<string, string>();
  private readonly pending = new Set<string>();
  private readonly powerQueue = new Map<string, Promise<void>>();
  /** The current installation script set per machine (curtin's log), as `results/current-installation/` serves it. */
  private readonly installations = new Map<string, LabInstallation>();
  private nextScriptSetId = 1;
  private readonly unsubscribe: () => void;
  private nextEventId = 1;
  private nextInterfaceId = 1;
  private nextLinkId = 1;
  private closed = false;
  private readonly timeScale: number;
  private readonly minStallMs: number;

  constructor(
    readonly world: LabWorld,
    private readonly opts: LabMaasCoreOptions,
  ) {
    this.timeScale = Math.max(0, opts.timeScale);
    this.minStallMs = opts.minStallTimeoutMs ?? 3000;
    this.images = [...(opts.images ?? DEFAULT_IMAGES)];
    this.username = opts.username ?? 'admin';
    world.spec.switches.forEach((sw, r) => {
      const fabric: LabFabric = { id: r, name: `fabric-${r}`, vlanId: 5001 + r, primaryRack: 'rackctl1' };
      this.fabrics.set(sw.name, fabric);
      const octet = (r % 250) + 1;
      this.subnets.set(r + 1, {
        id: r + 1,
        name: `pxe-${sw.name}`,
        cidr: `10.${octet}.0.0/16`,
        gateway: `10.${octet}.0.1`,
        fabric,
        nextHost: 10,
      });
    });
    const unregistered = new Set(opts.unregistered ?? []);
    for (const host of world.spec.hosts) {
      for (const nic of host.nics) this.portOwner.set(`${nic.switch}|${nic.port}`, host.hostname);
      if (unregistered.has(host.hostname)) continue;
      const initial = opts.initialStates?.[host.hostname];
      this.addMachine(host, initial === undefined ? S.READY : toStatus(initial));
    }
    this.unsubscribe = world.on((e) => this.onWorld(e));
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const op of this.ops.values()) this.clearOpTimers(op);
    this.ops.clear();
    this.pending.clear();
  }

  // ---------- machines ----------

  private uniqueSystemId(seed: string): string {
    let h = 2166136261;
    for (const ch of seed) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    for (;;) {
      let id = '';
      let x = h;
      for (let i = 0; i < 6; i++) {
        id += SYSTEM_ID_ALPHABET[x % SYSTEM_ID_ALPHABET.length];
        x = Math.floor(x / SYSTEM_ID_ALPHABET.length) ^ Math.imul(i + 7, 2654435761);
        x >>>= 0;
      }
      if (!this.machines.has(id)) return id;
      h = (Math.imul(h, 31) + 17) >>> 0;
    }
  }

  private physical(mac: string, index: number, fabric: LabFabric): LabInterface {
    return {
      id: this.nextInterfaceId++,
      name: `eth${index}`,
      type: 'physical',
      mac: mac.toLowerCase(),
      parents: [],
      children: [],
      params: '',
      fabric,
      vid: 0,
      links: [],
      speed: 10000,
    };
  }

  private addMachine(host: LabHost, status: NodeStatusCode): LabMachine {
    const systemId = this.uniqueSystemId(host.hostname);
    const ifaces = host.nics.map((nic, i) => this.physical(nic.mac, i, this.fabrics.get(nic.switch)!));
    const m = this.newMachine(systemId, host.hostname, ifaces, host.hostname);
    m.cpuCount = host.cpuCount;
    m.cpuSpeed = host.cpuMhz;
    m.memory = host.memoryMb;
    m.powerType = this.opts.powerType?.(host) ?? m.powerType;
    m.powerParameters = this.opts.powerParameters?.(host) ?? {
      power_address: '127.0.0.1',
      power_user: host.bmc.user,
    };
    // Past New, it has PXE-booted (commissioning) and MaaS recorded how.
    if (status !== S.NEW) m.biosBootMethod = labBiosBootMethod(host.hostname);
    this.machines.set(systemId, m);
    this.byWorldHost.set(host.hostname, m);
    this.setInitialStatus(m, status);
    return m;
  }

  private newMachine(
    systemId: string,
    hostname: string,
    ifaces: LabInterface[],
    worldHost?: string,
  ): LabMachine {
    const boot = ifaces[0];
    if (boot) {
      boot.links = [this.autoLink(boot)];
      for (const i of ifaces.slice(1)) i.links = [{ id: this.nextLinkId++, mode: 'link_up' }];
    }
    return {
      systemId,
      hostname,
      worldHost,
      architecture: 'amd64/generic',
      cpuCount: 0,
      cpuSpeed: 0,
      memory: 0,
      storageBytes: 960_197_124_096,
      status: S.NEW,
      previousStatus: S.NEW,
      owner: null,
      ownerData: {},
      osystem: '',
      distroSeries: '',
      hweKernel: null,
      netboot: true,
      description: '',
      powerType: 'ipmi',
      powerParameters: {},
      biosBootMethod: null,
      powerState: worldHost ? this.world.host(worldHost).power : 'unknown',
      interfaces: ifaces,
      bootInterfaceId: boot?.id ?? 0,
      ipAddresses: [],
      statusMessage: null,
      zone: 'default',
      pool: 'default',
      tags: [],
      version: 0,
    };
  }

  private autoLink(i: LabInterface): LabLink {
    return { id: this.nextLinkId++, mode: 'auto', subnetId: i.fabric.id + 1 };
  }

  /** Puts a machine straight into a state, with the facts that state implies (owner, OS on disk). */
  setInitialStatus(m: LabMachine, status: NodeStatusCode): void {
    this.cancelOp(m);
    m.status = status;
    m.previousStatus = status === S.BROKEN ? S.READY : status;
    const owned = status === S.ALLOCATED || status === S.DEPLOYED || status === S.DEPLOYING;
    m.owner = owned ? this.username : null;
    if (!owned) m.ownerData = {};
    if (status === S.DEPLOYED) {
      m.osystem = 'ubuntu';
      m.distroSeries = 'jammy';
      m.netboot = false;
      this.assignAddresses(m);
      if (m.worldHost) this.world.setInstalledOs(m.worldHost, 'ubuntu/jammy');
    }
    if (status !== S.NEW) {
      this.addEvent(m, 'INFO', 'Node changed status', `From '${name(S.COMMISSIONING)}' to '${name(status)}'`);
    }
    this.touch(m);
    if (status === S.DEPLOYING || status === S.COMMISSIONING || status === S.DISK_ERASING) {
      // A transitional start state keeps going as it would on a real region.
      if (status === S.DEPLOYING) this.startDeploy(m, 'ubuntu', 'jammy');
      if (status === S.COMMISSIONING) this.startCommission(m);
      if (status === S.DISK_ERASING) this.startErase(m, 'quick');
    }
  }

  get(systemId: string): LabMachine {
    const m = this.machines.get(systemId);
    if (!m) throw new LabMaasError(404, 'No Machine matches the given query.');
    return m;
  }

  byHostname(hostname: string): LabMachine | undefined {
    for (const m of this.machines.values()) if (m.hostname === hostname) return m;
    return undefined;
  }

  list(q: URLSearchParams): LabMachine[] {
    const hostnames = q.getAll('hostname');
    const macs = q.getAll('mac_address').map((x) => x.toLowerCase());
    const ids = q.getAll('id');
    const zone = q.get('zone');
    const pool = q.get('pool');
    const all = [...this.machines.values()];
    if (!hostnames.length && !macs.length && !ids.length && !zone && !pool) return all;
    const idSet = new Set(ids);
    return all.filter(
      (m) =>
        (!hostnames.length || hostnames.includes(m.hostname)) &&
        (!macs.length || m.interfaces.some((i) => macs.includes(i.mac))) &&
        (!ids.length || idSet.has(m.systemId)) &&
        (!zone || m.zone === zone) &&
        (!pool || m.pool === pool),
    );
  }

  /**
   * GET machines/: every machine encoded per request, as a region builds the list from its
   * database each time (no cache: the cost of a list is what the benches must show).
   */
  listJson(q: URLSearchParams): Buffer {
    const parts: Buffer[] = [OPEN_BRACKET];
    for (const m of this.list(q)) {
      if (parts.length > 1) parts.push(COMMA);
      parts.push(machineBytes(m, this.subnets));
    }
    parts.push(CLOSE_BRACKET);
    return Buffer.concat(parts);
  }

  machineJson(m: LabMachine): string {
    return machineJson(m, this.subnets);
  }

  machineObject(m: LabMachine) {
    return machineObject(m, this.subnets);
  }

  interfaceObject(m: LabMachine, i: LabInterface) {
    return interfaceJson(m, i, this.subnets);
  }

  subnetList() {
    return [...this.subnets.values()].map(subnetJson);
  }

  bootResources() {
    const res = [
      { id: 1, type: 'Synced', name: 'grub-efi-signed/uefi', architecture: 'amd64/generic' },
      { id: 2, type: 'Synced', name: 'pxelinux/pxe', architecture: 'i386/generic' },
      ...this.images.map((n, i) => ({
        id: i + 3,
        type: n.startsWith('ubuntu/') ? 'Synced' : 'Uploaded',
        name: n,
        architecture: 'amd64/generic',
        subarches: 'generic',
      })),
    ];
    return res.map((r) => ({ ...r, resource_uri: `${API_PREFIX}boot-resources/${r.id}/` }));
  }

  /** Every change to a machine goes through here, so its cached JSON is rebuilt. */
  touch(m: LabMachine): void {
    m.version++;
  }

  create(form: URLSearchParams): LabMachine {
    const macs = form.getAll('mac_addresses').map((x) => x.trim().toLowerCase().replaceAll('-', ':'));
    const errors: Record<string, string[]> = {};
    if (!macs.length) errors['mac_addresses'] = ['This field is required.'];
    for (const mac of macs) {
      if (!MAC.test(mac)) errors['mac_addresses'] = [`'${mac}' is not a valid MAC address.`];
      else if (this.macOwner(mac)) {
        errors['mac_addresses'] = [`One or more MAC addresses is invalid. ('${mac}' is already in use.)`];
      }
    }
    const arch = form.get('architecture') ?? 'amd64/generic';
    if (!/^[a-z0-9]+\/[a-z0-9.-]+$/.test(arch))
      errors['architecture'] = [`'${arch}' is not a valid architecture.`];
    const powerType = form.get('power_type') ?? 'ipmi';
    if (!['ipmi', 'manual', 'virsh', 'redfish'].includes(powerType))
      errors['power_type'] = ['Select a valid choice.'];
    let hostname = form.get('hostname') ?? '';
    if (hostname && !HOSTNAME.test(hostname)) errors['hostname'] = ['Invalid hostname.'];
    if (hostname && this.byHostname(hostname))
      errors['hostname'] = [`Node with hostname "${hostname}" already exists.`];
    if (Object.keys(errors).length) throw new LabMaasError(400, errors);

    const worldHost = this.world.spec.hosts.find(
      (h) => h.hostname === hostname || h.nics.some((n) => macs.includes(n.mac.toLowerCase())),
    );
    const systemId = this.uniqueSystemId(`${hostname}|${macs.join(',')}|${this.machines.size}`);
    if (!hostname) hostname = `node-${systemId}`;
    const ifaces = macs.map((mac, i) => {
      const nic = worldHost?.nics.find((n) => n.mac.toLowerCase() === mac);
      const fabric = this.fabrics.get(nic?.switch ?? '') ?? [...this.fabrics.values()][0]!;
      return this.physical(mac, i, fabric);
    });
    const claimed = worldHost && !this.byWorldHost.has(worldHost.hostname) ? worldHost.hostname : undefined;
    const m = this.newMachine(systemId, hostname, ifaces, claimed);
    m.architecture = arch;
    m.powerType = powerType;
    m.description = form.get('description') ?? '';
    if (worldHost && claimed) {
      m.cpuCount = worldHost.cpuCount;
      m.cpuSpeed = worldHost.cpuMhz;
      m.memory = worldHost.memoryMb;
    }
    m.powerParameters = powerParametersFrom(form);
    this.machines.set(systemId, m);
    if (claimed) this.byWorldHost.set(claimed, m);
    this.addEvent(m, 'INFO', 'Enlisted', `(${this.username})`, this.username);
    // A machine added by hand is commissioned unless told not to.
    const commission = form.get('commission');
    if (commission === null || /^(1|true|yes|on)$/i.test(commission)) this.startCommission(m);
    return m;
  }

  update(m: LabMachine, form: URLSearchParams): LabMachine {
    const hostname = form.get('hostname');
    if (hostname !== null) {
      if (!HOSTNAME.test(hostname)) throw new LabMaasError(400, { hostname: ['Invalid hostname.'] });
      const other = this.byHostname(hostname);
      if (other && other !== m)
        throw new LabMaasError(400, { hostname: [`Node with hostname "${hostname}" already exists.`] });
      m.hostname = hostname;
    }
    const description = form.get('description');
    if (description !== null) m.description = description;
    const power = powerParametersFrom(form);
    if (Object.keys(power).length) m.powerParameters = { ...m.powerParameters, ...power };
    const pt = form.get('power_type');
    if (pt !== null) m.powerType = pt;
    this.touch(m);
    return m;
  }

  delete(m: LabMachine): void {
    this.cancelOp(m);
    this.machines.delete(m.systemId);
    if (m.worldHost && this.byWorldHost.get(m.worldHost) === m) this.byWorldHost.delete(m.worldHost);
  }

  private macOwner(mac: string, except?: LabInterface): LabMachine | undefined {
    for (const m of this.machines.values()) {
      if (m.interfaces.some((i) => i !== except && i.type === 'physical' && i.mac === mac)) return m;
    }
    return undefined;
  }

  // ---------- operations ----------

  private conflict(m: LabMachine, action: string): LabMaasError {
    return new LabMaasError(
      409,
      `Cannot ${action} machine ${m.hostname} because it is in the '${name(m.status)}' state.`,
    );
  }

  allocate(form: URLSearchParams): LabMachine {
    const systemId = form.get('system_id');
    const hostname = form.get('name') ?? form.get('hostname');
    let candidates = [...this.machines.values()].filter((m) => m.status === S.READY);
    if (systemId) candidates = candidates.filter((m) => m.systemId === systemId);
    if (hostname) candidates = candidates.filter((m) => m.hostname === hostname);
    const m = candidates[0];
    if (!m) {
      const constraint = systemId ? `system_id=${systemId}` : hostname ? `name=${hostname}` : 'any';
      throw new LabMaasError(409, `No available machine matches constraints: ${constraint}`);
    }
    this.addEvent(m, 'INFO', 'Allocated', `(${this.username})`, this.username);
    this.setStatus(m, S.ALLOCATED);
    m.owner = this.username;
    this.touch(m);
    return m;
  }

  /**
   * MaaS's set_owner_data: every key/value of the form (but `op`) is set, an empty value removes
   * the key, keys not named stay. MaaS drops all of it when the machine is released.
   */
  setOwnerData(m: LabMachine, form: URLSearchParams): LabMachine {
    for (const [k, v] of form) {
      if (k === 'op') continue;
      if (v === '') delete m.ownerData[k];
      else m.ownerData[k] = v;
    }
    this.touch(m);
    return m;
  }

  deploy(m: LabMachine, form: URLSearchParams): LabMachine {
    if (m.status !== S.READY && m.status !== S.ALLOCATED) throw this.conflict(m, 'deploy');
    const requested = form.get('distro_series') ?? 'ubuntu/jammy';
    const image = this.resolveImage(requested);
    const userData = form.get('user_data');
    if (userData !== null && !isBase64(userData)) {
      throw new LabMaasError(400, { user_data: ['User data must be base64 encoded.'] });
    }
    const hwe = form.get('hwe_kernel');
    if (hwe !== null && hwe !== '' && !/^(hwe|ga)-[a-z0-9.-]+$/.test(hwe)) {
      throw new LabMaasError(400, { hwe_kernel: [`${hwe} is not a valid kernel.`] });
    }
    if (m.status === S.READY) {
      m.owner = this.username;
      this.setStatus(m, S.ALLOCATED);
    }
    m.hweKernel = hwe || null;
    this.addEvent(m, 'INFO', 'Deploying', `(${this.username})`, this.username);
    if (!image) {
      // MaaS accepts the request, then fails at once: the rack has no such image.
      m.osystem = '';
      this.setStatus(m, S.DEPLOYING);
      this.setStatus(m, S.FAILED_DEPLOYMENT);
      this.addEvent(m, 'ERROR', 'Marking node failed', `Missing boot image ${requested}/amd64/generic.`);
      return m;
    }
    this.startDeploy(m, image.osystem, image.series);
    return m;
  }

  private resolveImage(requested: string): { osystem: string; series: string } | undefined {
    const r = requested.trim().toLowerCase();
    const candidates: string[] = [];
    if (r.includes('/')) candidates.push(r);
    else {
      const ubuntu = UBUNTU_VERSIONS[r] ?? r;
      candidates.push(`ubuntu/${ubuntu}`);
      const cent = /^centos(\d+)$/.exec(r);
      if (cent) candidates.push(`centos/centos${cent[1]}0`, `centos/${cent[1]}`, `centos/centos${cent[1]}`);
      candidates.push(`centos/${r}`);
    }
    const hit = candidates.find((c) => this.images.includes(c));
    if (!hit) return undefined;
    const [osystem, series] = hit.split('/') as [string, string];
    return { osystem, series };
  }

  release(m: LabMachine, form: URLSearchParams): LabMachine {
    const releasable: NodeStatusCode[] = [
      S.ALLOCATED,
      S.RESERVED,
      S.BROKEN,
      S.DEPLOYING,
      S.DEPLOYED,
      S.FAILED_DEPLOYMENT,
      S.FAILED_DISK_ERASING,
      S.FAILED_RELEASING,
    ];
    if (!releasable.includes(m.status)) throw this.conflict(m, 'release');
    this.cancelOp(m);
    this.addEvent(m, 'INFO', 'Releasing', `(${this.username})`, this.username);
    const flag = (k: string) => /^(1|true|yes|on)$/i.test(form.get(k) ?? '');
    const quick = flag('quick_erase');
    const secure = flag('secure_erase');
    if (flag('erase') || quick || secure) this.startErase(m, secure ? 'secure' : quick ? 'quick' : 'full');
    else this.startRelease(m);
    return m;
  }

  abort(m: LabMachine, comment: string | null): LabMachine {
    const back: Partial<Record<NodeStatusCode, NodeStatusCode>> = {
      [S.COMMISSIONING]: m.previousStatus === S.COMMISSIONING ? S.NEW : m.previousStatus,
      [S.DEPLOYING]: S.ALLOCATED,
      [S.DISK_ERASING]: S.FAILED_DISK_ERASING,
    };
    const to = back[m.status];
    if (to === undefined) throw this.conflict(m, 'abort');
    const what = {
      [S.COMMISSIONING]: 'commissioning',
      [S.DEPLOYING]: 'deployment',
      [S.DISK_ERASING]: 'disk erasing',
    }[m.status as 1 | 9 | 14];
    this.cancelOp(m);
    this.addEvent(m, 'INFO', `Aborted ${what}`, comment ?? `(${this.username})`, this.username);
    this.setStatus(m, to);
    this.powerOffAsync(m);
    return m;
  }

  commission(m: LabMachine): LabMachine {
    const allowed: NodeStatusCode[] = [
      S.NEW,
      S.READY,
      S.BROKEN,
      S.FAILED_COMMISSIONING,
      S.FAILED_TESTING,
      S.FAILED_DEPLOYMENT,
      S.FAILED_DISK_ERASING,
      S.FAILED_RELEASING,
    ];
    if (!allowed.includes(m.status)) throw this.conflict(m, 'commission');
    this.addEvent(m, 'INFO', 'Commissioning', `(${this.username})`, this.username);
    this.startCommission(m);
    return m;
  }

  markBroken(m: LabMachine, comment: string | null): LabMachine {
    const notAllowed: NodeStatusCode[] = [S.BROKEN, S.RETIRED, S.RELEASING, S.DISK_ERASING, S.MISSING];
    if (notAllowed.includes(m.status)) throw this.conflict(m, 'mark broken');
    this.cancelOp(m);
    // A user's request, as MaaS's _register_request_event words it: "(USER) - COMMENT".
    this.addEvent(m, 'DEBUG', 'User marking node broken', userComment(this.username, comment), this.username);
    const was = m.status;
    this.setStatus(m, S.BROKEN);
    m.previousStatus = was;
    return m;
  }

  markFixed(m: LabMachine, comment: string | null): LabMachine {
    if (m.status !== S.BROKEN) throw this.conflict(m, 'mark fixed');
    this.addEvent(m, 'DEBUG', 'User marking node fixed', userComment(this.username, comment), this.username);
    this.setStatus(m, m.previousStatus === S.DEPLOYED ? S.DEPLOYED : S.READY);
    return m;
  }

  powerOn(m: LabMachine): LabMachine {
    if (this.ops.has(m.systemId)) throw this.conflict(m, 'power on');
    this.addEvent(m, 'INFO', 'Powering on', `(${this.username})`, this.username);
    this.driver(m, 'on').catch(() => {});
    return m;
  }

  powerOff(m: LabMachine): LabMachine {
    if (this.ops.has(m.systemId)) throw this.conflict(m, 'power off');
    this.addEvent(m, 'INFO', 'Powering off', `(${this.username})`, this.username);
    this.driver(m, 'off').catch(() => {});
    return m;
  }

  async queryPowerState(m: LabMachine): Promise<'on' | 'off' | 'unknown' | 'error'> {
    try {
      const state = await this.opts.powerDriver.query(this.target(m));
      m.powerState = state;
    } catch (err) {
      m.powerState = 'error';
      this.addEvent(m, 'ERROR', "Failed to query node's BMC", redact(errText(err)));
    }
    this.touch(m);
    return m.powerState;
  }

  // ---------- interfaces ----------

  /**
   * MaaS's rule (api/interfaces.py): interfaces of a machine may change only while it is Ready,
   * Allocated or Broken (updates also while Deployed); otherwise NodeStateViolation, HTTP 409.
   */
  private editable(m: LabMachine, operation: string, alsoDeployed = false): void {
    const allowed: number[] = [S.READY, S.ALLOCATED, S.BROKEN];
    if (alsoDeployed) allowed.push(S.DEPLOYED);
    if (!allowed.includes(m.status)) {
      throw new LabMaasError(
        409,
        `Cannot ${operation} interface because the machine is not Ready, Allocated, or Broken.`,
      );
    }
  }

  iface(m: LabMachine, id: number): LabInterface {
    const i = m.interfaces.find((x) => x.id === id);
    if (!i) throw new LabMaasError(404, 'No Interface matches the given query.');
    return i;
  }

  updateInterface(m: LabMachine, i: LabInterface, form: URLSearchParams): LabInterface {
    this.editable(m, 'update interface', true);
    const mac = form.get('mac_address');
    if (mac !== null) {
      const norm = mac.trim().toLowerCase().replaceAll('-', ':');
      if (!MAC.test(norm))
        throw new LabMaasError(400, { mac_address: [`'${mac}' is not a valid MAC address.`] });
      const owner = this.macOwner(norm, i);
      if (owner && i.type === 'physical') {
        throw new LabMaasError(400, {
          mac_address: [`This MAC address is already in use by ${owner.hostname}.`],
        });
      }
      i.mac = norm;
    }
    const nm = form.get('name');
    if (nm !== null) {
      if (!/^[a-z0-9][a-z0-9.:_-]{0,14}$/i.test(nm))
        throw new LabMaasError(400, { name: ['Invalid interface name.'] });
      const old = i.name;
      for (const o of m.interfaces) {
        o.parents = o.parents.map((p) => (p === old ? nm : p));
        o.children = o.children.map((c) => (c === old ? nm : c));
      }
      i.name = nm;
    }
    if (i.type === 'bond' && typeof i.params === 'object') {
      for (const k of [
        'bond_mode',
        'bond_miimon',
        'bond_downdelay',
        'bond_updelay',
        'bond_lacp_rate',
        'bond_xmit_hash_policy',
      ]) {
        const v = form.get(k);
        if (v !== null) i.params[k] = /^\d+$/.test(v) ? Number(v) : v;
      }
    }
    this.touch(m);
    return i;
  }

  createBond(m: LabMachine, form: URLSearchParams): LabInterface {
    this.editable(m, 'create bond');
    const bondName = form.get('name');
    const errors: Record<string, string[]> = {};
    if (!bondName) errors['name'] = ['This field is required.'];
    else if (m.interfaces.some((i) => i.name === bondName))
      errors['name'] = ['Interface with this name already exists.'];
    const parentIds = form.getAll('parents').map(Number);
    if (!parentIds.length) errors['parents'] = ['A bond interface must have one or more parents.'];
    const parents = parentIds.map((id) => m.interfaces.find((i) => i.id === id));
    if (parents.some((p) => !p || p.type !== 'physical')) {
      errors['parents'] = ['Select a valid choice. That choice is not one of the available choices.'];
    } else if (parents.some((p) => p!.children.length)) {
      errors['parents'] = ['Interface is already part of a bond or has children.'];
    }
    const mode = form.get('bond_mode') ?? 'balance-rr';
    if (!(BOND_MODES as readonly string[]).includes(mode))
      errors['bond_mode'] = [`Select a valid choice. ${mode} is not one of the available choices.`];
    const macIn = form.get('mac_address');
    if (macIn !== null && !MAC.test(macIn))
      errors['mac_address'] = [`'${macIn}' is not a valid MAC address.`];
    if (Object.keys(errors).length) throw new LabMaasError(400, errors);
    const ps = parents as LabInterface[];
    const num = (k: string, d: number) => {
      const v = form.get(k);
      return v === null || v === '' ? d : Number(v);
    };
    const bond: LabInterface = {
      id: this.nextInterfaceId++,
      name: bondName!,
      type: 'bond',
      mac: (macIn ?? ps[0]!.mac).toLowerCase(),
      parents: ps.map((p) => p.name),
      children: [],
      params: {
        // MaaS stores balance-rr when bond_mode is omitted, whatever its docstring says.
        bond_mode: mode,
        bond_miimon: num('bond_miimon', 100),
        bond_downdelay: num('bond_downdelay', 0),
        bond_updelay: num('bond_updelay', 0),
        bond_lacp_rate: form.get('bond_lacp_rate') ?? 'slow',
        bond_xmit_hash_policy: form.get('bond_xmit_hash_policy') ?? 'layer2',
        bond_num_grat_arp: 1,
      },
      fabric: ps[0]!.fabric,
      vid: 0,
      links: ps.flatMap((p) => p.links.filter((l) => l.mode !== 'link_up')),
      speed: ps.reduce((a, p) => a + p.speed, 0),
    };
    for (const p of ps) {
      p.children = [bond.name];
      p.links = [];
    }
    m.interfaces.push(bond);
    this.touch(m);
    return bond;
  }

  deleteInterface(m: LabMachine, i: LabInterface): void {
    this.editable(m, 'delete interface');
    if (i.type !== 'bond') throw new LabMaasError(400, 'Only bond interfaces can be deleted in this region.');
    const parents = m.interfaces.filter((p) => i.parents.includes(p.name));
    for (const p of parents) p.children = p.children.filter((c) => c !== i.name);
    const first = parents.find((p) => p.id === m.bootInterfaceId) ?? parents[0];
    if (first) first.links = i.links.length ? i.links : [this.autoLink(first)];
    m.interfaces = m.interfaces.filter((x) => x !== i);
    this.touch(m);
  }

  linkSubnet(m: LabMachine, i: LabInterface, form: URLSearchParams): LabInterface {
    this.editable(m, 'link subnet');
    const mode = (form.get('mode') ?? '').toLowerCase();
    if (!['auto', 'dhcp', 'static', 'link_up'].includes(mode)) {
      throw new LabMaasError(400, { mode: ['Select a valid choice.'] });
    }
    const subnetRef = form.get('subnet');
    let subnet: LabSubnet | undefined;
    if (subnetRef !== null) {
      subnet = /^\d+$/.test(subnetRef)
        ? this.subnets.get(Number(subnetRef))
        : [...this.subnets.values()].find((s) => s.cidr === subnetRef);
      if (!subnet)
        throw new LabMaasError(400, {
          subnet: ['Select a valid choice. That choice is not one of the available choices.'],
        });
    }
    if ((mode === 'auto' || mode === 'static') && !subnet)
      throw new LabMaasError(400, { subnet: ['This field is required.'] });
    const ip = form.get('ip_address');
    if (ip !== null && mode !== 'static')
      throw new LabMaasError(400, { ip_address: ['Only allowed with mode STATIC.'] });
    const link: LabLink = { id: this.nextLinkId++, mode: mode as LabLink['mode'], subnetId: subnet?.id };
    if (mode === 'static') link.ipAddress = ip ?? this.nextAddress(subnet!);
    // A real link replaces the LINK_UP placeholder.
    i.links = [...i.links.filter((l) => l.mode !== 'link_up'), link];
    this.touch(m);
    return i;
  }

  unlinkSubnet(m: LabMachine, i: LabInterface, form: URLSearchParams): LabInterface {
    this.editable(m, 'unlink subnet');
    const id = Number(form.get('id'));
    if (!i.links.some((l) => l.id === id))
      throw new LabMaasError(400, { id: [`Link ${form.get('id')} not found on ${i.name}.`] });
    i.links = i.links.filter((l) => l.id !== id);
    this.touch(m);
    return i;
  }

  disconnect(m: LabMachine, i: LabInterface): LabInterface {
    this.editable(m, 'disconnect');
    i.links = [];
    this.touch(m);
    return i;
  }

  // ---------- installation results (curtin) ----------

  private installLog(m: LabMachine, line: string): void {
    this.installations.get(m.systemId)?.lines.push(line);
    this.progress(m, { kind: 'install', line });
  }

  /** Each event and install-log line as it happens, by world host (the lab's consoles print them). */
  readonly progressListeners = new Set<(hostname: string, p: LabProgress) => void>();

  private progress(m: LabMachine, p: LabProgress): void {
    for (const l of this.progressListeners) l(m.worldHost ?? m.hostname, p);
  }

  /**
   * GET nodes/{id}/results/current-installation/ as MaaS's NodeScriptResultHandler answers it: the
   * script set with one result, curtin's install log (`/tmp/install.log`); with include_output its
   * output, stdout and stderr base64-encoded.
   */
  installationResults(m: LabMachine, includeOutput: boolean) {
    const inst = this.installations.get(m.systemId);
    if (!inst) throw new LabMaasError(404, 'No ScriptSet matches the given query.');
    const fmt = (t: number | undefined) => (t === undefined ? null : new Date(t).toUTCString());
    const output = Buffer.from(inst.lines.join('\n') + (inst.lines.length ? '\n' : ''));
    const statusName = { 1: 'Running', 2: 'Passed', 3: 'Failed' }[inst.status];
    return {
      id: inst.id,
      system_id: m.systemId,
      type: 1,
      type_name: 'Installation',
      last_ping: fmt(inst.ended ?? Date.now()),
      resource_uri: `${API_PREFIX}nodes/${m.systemId}/results/${inst.id}/`,
      results: [
        {
          id: inst.id,
          created: fmt(inst.started),
          updated: fmt(inst.ended ?? Date.now()),
          name: '/tmp/install.log',
          status: inst.status,
          status_name: statusName,
          exit_status: inst.status === 3 ? 1 : inst.status === 2 ? 0 : null,
          started: fmt(inst.started),
          ended: fmt(inst.ended),
          runtime:
            inst.ended === undefined
              ? ''
              : `0:00:${String(Math.round((inst.ended - inst.started) / 1000) % 60).padStart(2, '0')}`,
          script_id: null,
          script_revision_id: null,
          ...(includeOutput && {
            output: output.toString('base64'),
            stdout: output.toString('base64'),
            stderr: Buffer.from(
              inst.status === 3 ? inst.lines.filter((l) => /error|fail|traceback/i.test(l)).join('\n') : '',
            ).toString('base64'),
          }),
        },
      ],
    };
  }

  // ---------- events ----------

  /** Events still to be dropped as they happen (see LabMaasFaults.loseEvents). */
  eventsToLose = 0;

  private addEvent(
    m: LabMachine,
    level: LabEvent['level'],
    type: string,
    description: string,
    username = 'unknown',
  ): void {
    const e: LabEvent = {
      id: this.nextEventId++,
      systemId: m.systemId,
      hostname: m.hostname,
      username,
      level,
      created: Date.now(),
      type,
      description,
    };
    // A feed that skips (events pruned, a region that lost them): the id is spent, the event gone.
    if (this.eventsToLose > 0) {
      this.eventsToLose--;
      return;
    }
    this.events.push(e);
    this.progress(m, { kind: 'event', type, description });
    let list = this.eventsBySystem.get(m.systemId);
    if (!list) this.eventsBySystem.set(m.systemId, (list = []));
    list.push(e);
    if (levelRank(level) >= levelRank('INFO')) {
      m.statusMessage = description ? `${type} - ${description}` : type;
    }
    this.touch(m);
    if (this.events.length > 200_000) this.trimEvents();
  }

  private trimEvents(): void {
    const drop = this.events.splice(0, 50_000);
    const cutoff = drop[drop.length - 1]!.id;
    for (const [k, list] of this.eventsBySystem) {
      const idx = list.findIndex((e) => e.id > cutoff);
      if (idx < 0) this.eventsBySystem.delete(k);
      else if (idx > 0) list.splice(0, idx);
    }
  }

  /** GET events/?op=query — newest first; with `after`, the oldest `limit` events after it (no gaps when polling). */
  queryEvents(q: URLSearchParams) {
    const ids = q.getAll('id');
    const hostnames = q.getAll('hostname');
    const level = (q.get('level') ?? 'INFO').toUpperCase();
    if (levelRank(level) < 0) throw new LabMaasError(400, { level: [`Unrecognised log level: ${level}`] });
    const limitRaw = q.get('limit');
    const limit = Math.min(1000, Math.max(1, limitRaw === null ? 100 : Number(limitRaw) || 100));
    const after = q.get('after') === null ? undefined : Number(q.get('after'));
    const before = q.get('before') === null ? undefined : Number(q.get('before'));
    const minRank = levelRank(level);
    const wanted = (e: LabEvent) =>
      levelRank(e.level) >= minRank && (!hostnames.length || hostnames.includes(e.hostname));
    let pool: LabEvent[];
    if (ids.length > 1) {
      pool = ids
        .flatMap((id) => this.eventsBySystem.get(id) ?? [])
        .filter(
          (e) =>
            wanted(e) && (after === undefined || e.id > after) && (before === undefined || e.id < before),
        )
        .sort((a, b) => a.id - b.id);
      pool = after !== undefined ? pool.slice(0, limit) : pool.slice(-limit);
    } else {
      // Events are kept in id order: a query starts where its bound falls (as a region's index
      // on the id does) and reads only as far as its limit, not the whole history.
      const source = ids.length ? (this.eventsBySystem.get(ids[0]!) ?? []) : this.events;
      pool =
        after !== undefined
          ? oldestAfter(source, after, before, limit, wanted)
          : newestBefore(source, before, limit, wanted);
    }
    const events = pool.reverse().map(eventJson);
    const base = new URLSearchParams({ op: 'query' });
    for (const id of ids) base.append('id', id);
    for (const h of hostnames) base.append('hostname', h);
    if (q.get('level') !== null) base.set('level', level);
    base.set('limit', String(limit));
    const newest = events[0]?.id ?? after ?? 0;
    const oldest = events[events.length - 1]?.id ?? before ?? 0;
    const next = new URLSearchParams(base);
    next.set('after', String(newest));
    const prev = new URLSearchParams(base);
    prev.set('before', String(oldest));
    return {
      count: events.length,
      events,
      next_uri: `${API_PREFIX}events/?${next.toString()}`,
      prev_uri: `${API_PREFIX}events/?${prev.toString()}`,
    };
  }

  /** For tests: a machine's events oldest first, as "type - description". */
  eventLines(systemId: string, minLevel = 'DEBUG'): string[] {
    const min = levelRank(minLevel);
    return (this.eventsBySystem.get(systemId) ?? [])
      .filter((e) => levelRank(e.level) >= min)
      .map((e) => (e.description ? `${e.type} - ${e.description}` : e.type));
  }

  // ---------- state machine and physics ----------

  private setStatus(m: LabMachine, to: NodeStatusCode): void {
    if (m.status === to) return;
    const from = m.status;
    this.addEvent(m, 'INFO', 'Node changed status', `From '${name(from)}' to '${name(to)}'`);
    m.previousStatus = from;
    m.status = to;
    this.touch(m);
  }

  private target(m: LabMachine): MaasPowerTarget {
    return {
      systemId: m.systemId,
      hostname: m.worldHost ?? m.hostname,
      powerType: m.powerType,
      powerParameters: m.powerParameters,
    };
  }

  /**
   * MaaS runs one power action per node at a time (the rack controller queues them): a release's
   * power-off never overtakes the erase's power-on still talking to the BMC.
   */
  private driver(m: LabMachine, action: 'on' | 'off'): Promise<void> {
    const prev = this.powerQueue.get(m.systemId) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.driveNow(m, action));
    this.powerQueue.set(m.systemId, next);
    void next
      .finally(() => {
        if (this.powerQueue.get(m.systemId) === next) this.powerQueue.delete(m.systemId);
      })
      .catch(() => undefined);
    return next;
  }

  private async driveNow(m: LabMachine, action: 'on' | 'off'): Promise<void> {
    try {
      if (action === 'on') await this.opts.powerDriver.powerOn(this.target(m));
      else await this.opts.powerDriver.powerOff(this.target(m));
      if (!m.worldHost) {
        m.powerState = action;
        this.touch(m);
      }
      // power_change_success: MaaS logs its own power action once the BMC has done it.
      this.addEvent(m, 'DEBUG', action === 'on' ? 'Node powered on' : 'Node powered off', '');
    } catch (err) {
      if (this.closed) return;
      this.addEvent(
        m,
        'ERROR',
        `Failed to power ${action} node`,
        `Power ${action} for the node failed: ${redact(errText(err))}`,
      );
      throw err;
    } finally {
      this.schedule(m);
    }
  }

  private powerOnForOp(m: LabMachine, op: Op): void {
    this.addEvent(m, 'INFO', 'Powering on', '');
    this.driver(m, 'on').catch((err) => {
      if (this.ops.get(m.systemId) === op)
        this.failOp(m, op, undefined, `Failed to power on node: ${redact(errText(err))}`);
    });
  }

  private powerOffAsync(m: LabMachine): void {
    this.addEvent(m, 'INFO', 'Powering off', '');
    this.driver(m, 'off').catch(() => {});
  }

  private startOp(m: LabMachine, status: NodeStatusCode, steps: Step[]): Op {
    this.cancelOp(m);
    this.setStatus(m, status);
    const minutes = TIMEOUT_MINUTES[status] ?? 30;
    const op: Op = {
      status,
      steps,
      index: 0,
      stalledMs: 0,
      timeoutMs: Math.max(this.minStallMs, minutes * 60_000 * this.timeScale),
    };
    this.ops.set(m.systemId, op);
    this.schedule(m);
    return op;
  }

  /** The boot loader MaaS serves tells it the firmware's boot method; it keeps the last one seen. */
  private pxeRequest(m: LabMachine, purpose: string): void {
    // MaaS logs PXE and TFTP requests at DEBUG: `events/?op=query&level=DEBUG` shows them.
    const efi = m.worldHost ? labBiosBootMethod(m.worldHost) === 'uefi' : false;
    story.pxeBoot(this.emit(m), purpose, efi);
    const method = m.worldHost
      ? labBiosBootMethod(m.worldHost)
      : m.powerParameters['power_boot_type'] === 'efi'
        ? 'uefi'
        : 'pxe';
    if (m.biosBootMethod !== method) {
      m.biosBootMethod = method;
      this.touch(m);
    }
  }

  /** addEvent for the story module's sequences. */
  private emit(m: LabMachine): story.Emit {
    return (level, type, description) => this.addEvent(m, level, type, description);
  }

  /** Boot loader, kernel and initrd, then the ephemeral: the network boot of every operation. */
  private netbootSteps(m: LabMachine, purpose: string, stopAfterLoader: boolean): Step[] {
    return [
      { need: 'pxe', seconds: 5, done: () => this.pxeRequest(m, purpose) },
      {
        need: stopAfterLoader ? 'never' : 'pxe',
        seconds: 10,
        done: () => {
          story.kernelAndInitrd(this.emit(m));
          story.ephemeral(this.emit(m));
        },
      },
    ];
  }

  private startDeploy(m: LabMachine, osystem: string, series: string): void {
    const host = m.worldHost;
    const has = (set: Set<string>) => host !== undefined && set.has(host);
    const fail = () => has(this.faults.failDeploy);
    const stick = has(this.faults.stickDeploy);
    m.osystem = osystem;
    m.distroSeries = series;
    const image = `${osystem}/amd64/generic/${series}`;
    const inst: LabInstallation = { id: this.nextScriptSetId++, started: Date.now(), status: 1, lines: [] };
    this.installations.set(m.systemId, inst);
    const curtinDone = (status: 2 | 3) => {
      inst.status = status;
      inst.ended = Date.now();
    };
    const emit = this.emit(m);
    const op = this.startOp(m, S.DEPLOYING, [
      ...this.netbootSteps(m, 'installation', has(this.faults.noKernel)),
      {
        need: has(this.faults.noInstaller) ? 'never' : 'pxe',
        seconds: 60,
        done: () => {
          this.addEvent(m, 'DEBUG', 'Node installation', "'cloudinit' running modules for config");
          story.curtinStage(emit, 'start');
          story.curtinStage(emit, 'partitioning');
          this.installLog(m, `curtin: Installation started. (${series})`);
          this.installLog(m, 'start: cmd-install/stage-early: preparing for installation');
          this.installLog(m, 'finish: cmd-install/stage-early: SUCCESS: preparing for installation');
        },
      },
      {
        need: 'pxe',
        seconds: 300,
        done: () => {
          if (fail()) {
            for (const l of story.curtinPartitioningFailure(`LAB-${host ?? 'disk'}-0`)) this.installLog(m, l);
            curtinDone(3);
            story.curtinFailureEvents(emit);
            this.failOp(
              m,
              op,
              undefined,
              'Installation failed (refer to the installation log for more information).',
            );
            return;
          }
          for (const l of story.curtinStageLog('partitioning', image)) this.installLog(m, l);
          story.curtinStage(emit, 'extract');
          for (const l of story.curtinStageLog('extract', image)) this.installLog(m, l);
        },
      },
      {
        need: 'pxe',
        seconds: 30,
        done: () => {
          story.curtinStage(emit, 'curthooks');
          for (const l of story.curtinStageLog('curthooks', image)) this.installLog(m, l);
          this.installLog(m, 'finish: cmd-install: SUCCESS: curtin command install');
          this.installLog(m, 'curtin: Installation finished.');
          curtinDone(2);
          m.netboot = false;
          this.addEvent(m, 'DEBUG', 'Installation complete', 'Node disabled netboot');
          if (host) this.world.setInstalledOs(host, `${osystem}/${series}`);
          this.addEvent(m, 'INFO', 'Rebooting', '');
          if (host) this.world.reboot(host, 'os');
        },
      },
      {
        // The installed OS reports back to the region's metadata service: needs the PXE network.
        need: stick ? 'never' : 'disk',
        seconds: 60,
        done: () => {
          // A host still booting from PXE asks MaaS first, which sends it to its disk.
          if (host && this.world.host(host).bootedFrom === 'pxe')
            this.addEvent(m, 'DEBUG', 'PXE Request', 'local boot');
          story.firstBootCloudInit(emit);
          this.endOp(m, op);
          this.assignAddresses(m);
          this.setStatus(m, S.DEPLOYED);
          // cloud-init's final stage runs after MaaS calls it Deployed (the user data is fetched first).
          if (has(this.faults.userDataFails)) story.userDataFailure(emit);
        },
      },
    ]);
    this.powerOnForOp(m, op);
  }

  private startCommission(m: LabMachine): void {
    const host = m.worldHost;
    const back = m.status;
    const op = this.startOp(m, S.COMMISSIONING, [
      ...this.netbootSteps(m, 'commissioning', false),
      {
        need: 'pxe',
        seconds: 120,
        done: () => {
          if (host && this.faults.failCommission.has(host)) {
            this.failOp(
              m,
              op,
              { type: 'Script result', description: "'maas-lshw' failed" },
              'Failed to complete commissioning: maas-lshw failed.',
            );
            return;
          }
          this.addEvent(m, 'INFO', 'Node commissioning', "'maas-lshw' passed");
          this.addEvent(m, 'INFO', 'Node commissioning', "'maas-list-modaliases' passed");
          this.endOp(m, op);
          this.setStatus(m, S.READY);
          // MaaS powers a machine off once commissioning is done.
          this.powerOffAsync(m);
        },
      },
    ]);
    if (back !== S.COMMISSIONING) m.previousStatus = back;
    this.powerOnForOp(m, op);
  }

  private startErase(m: LabMachine, mode: 'quick' | 'secure' | 'full'): void {
    const host = m.worldHost;
    const op = this.startOp(m, S.DISK_ERASING, [
      // Erasing boots the commissioning environment (Node.get_boot_purpose).
      ...this.netbootSteps(m, 'commissioning', false),
      {
        need: 'pxe',
        seconds: 0,
        done: () => {
          this.addEvent(m, 'DEBUG', 'Node status event', "'cloudinit' running modules for config");
          this.addEvent(m, 'INFO', 'Erasing disk', `Performing ${mode} erase on all disks`);
        },
      },
      {
        need: 'pxe',
        seconds: eraseSeconds(mode, m.storageBytes),
        done: () => {
          if (host && this.faults.failErase.has(host)) {
            this.failOp(
              m,
              op,
              { type: 'Erasing disk', description: `${mode} erase failed on sda` },
              'Failed to erase disks.',
            );
            return;
          }
          if (host) this.world.setInstalledOs(host, undefined);
          this.addEvent(m, 'INFO', 'Disks erased', '');
          this.endOp(m, op);
          this.startRelease(m);
        },
      },
    ]);
    this.powerOnForOp(m, op);
  }

  /**
   * MaaS's rescue mode (op=rescue_mode): the machine boots the ephemeral environment and stays in
   * it, reachable over SSH, until someone exits rescue mode.
   */
  enterRescueMode(m: LabMachine): void {
    if (m.status !== S.READY && m.status !== S.DEPLOYED && m.status !== S.BROKEN)
      throw this.conflict(m, 'rescue-mode');
    this.addEvent(m, 'DEBUG', 'User starting rescue mode', `(${this.username})`, this.username);
    const back = m.status;
    const op = this.startOp(m, S.ENTERING_RESCUE_MODE, [
      ...this.netbootSteps(m, 'rescue mode', false),
      {
        need: 'pxe',
        seconds: 30,
        done: () => {
          this.addEvent(m, 'DEBUG', 'Node entering rescue mode', "'cloudinit' running modules for final");
          this.endOp(m, op);
          this.setStatus(m, S.RESCUE_MODE);
          this.addEvent(m, 'INFO', 'Rescue mode', '');
        },
      },
    ]);
    m.previousStatus = back;
    this.powerOnForOp(m, op);
  }

  private startRelease(m: LabMachine): void {
    const op = this.startOp(m, S.RELEASING, [
      {
        need: 'off',
        seconds: 0,
        done: () => {
          this.endOp(m, op);
          m.owner = null;
          m.ownerData = {};
          m.osystem = '';
          m.distroSeries = '';
          m.hweKernel = null;
          m.netboot = true;
          m.ipAddresses = [];
          for (const i of m.interfaces) for (const l of i.links) if (l.mode === 'auto') delete l.ipAddress;
          this.setStatus(m, S.READY);
        },
      },
    ]);
    this.powerOffAsync(m);
  }

  private assignAddresses(m: LabMachine): void {
    const ips: string[] = [];
    for (const i of m.interfaces) {
      for (const l of i.links) {
        if (l.subnetId === undefined) continue;
        if (l.mode === 'auto' && !l.ipAddress) l.ipAddress = this.nextAddress(this.subnets.get(l.subnetId)!);
        if (l.ipAddress) ips.push(l.ipAddress);
      }
    }
    m.ipAddresses = ips;
    this.touch(m);
  }

  private nextAddress(s: LabSubnet): string {
    const base = s.cidr.split('/')[0]!.split('.').map(Number);
    const n = s.nextHost++;
    return `${base[0]}.${base[1]}.${Math.floor(n / 256) % 256}.${n % 256}`;
  }

  private endOp(m: LabMachine, op: Op): void {
    this.clearOpTimers(op);
    if (this.ops.get(m.systemId) === op) this.ops.delete(m.systemId);
  }

  private cancelOp(m: LabMachine): void {
    const op = this.ops.get(m.systemId);
    if (op) this.endOp(m, op);
  }

  private clearOpTimers(op: Op): void {
    if (op.timer) clearTimeout(op.timer);
    if (op.stallTimer) clearTimeout(op.stallTimer);
    op.timer = undefined;
    op.stallTimer = undefined;
  }

  /**
   * The operation failed: an ERROR event saying what broke, the failed state, then MaaS's
   * mark_failed comment, which stays the machine's status_message as operators read it.
   */
  private failOp(
    m: LabMachine,
    op: Op,
    what: { type: string; description: string } | undefined,
    comment: string,
  ): void {
    this.endOp(m, op);
    if (what) this.addEvent(m, 'ERROR', what.type, what.description);
    this.setStatus(m, FAILURE_OF[op.status] ?? S.BROKEN);
    this.addEvent(m, 'ERROR', 'Marking node failed', comment);
  }

  private timedOut(m: LabMachine, op: Op): void {
    if (this.ops.get(m.systemId) !== op) return;
    const minutes = TIMEOUT_MINUTES[op.status] ?? 30;
    this.endOp(m, op);
    this.setStatus(m, FAILURE_OF[op.status] ?? S.BROKEN);
    this.addEvent(
      m,
      'ERROR',
      'Marking node failed',
      `Node operation '${name(op.status)}' timed out after ${minutes} minutes.`,
    );
  }

  private needMet(m: LabMachine, need: Need): boolean {
    if (need === 'none') return true;
    if (need === 'never') return false;
    const host = m.worldHost;
    if (need === 'off') return host ? this.world.host(host).power === 'off' : m.powerState === 'off';
    if (!host) return false;
    const h = this.world.host(host);
    if (h.power !== 'on' || h.halted || !this.world.onPxeNetwork(host)) return false;
    if (need === 'pxe') return h.bootedFrom === 'pxe';
    // The deployed OS: booted from disk, or PXE-booted and sent to the local disk by MaaS.
    return h.bootedFrom === 'disk' || (h.bootedFrom === 'pxe' && this.world.installedOs.has(host));
  }

  /** Re-evaluate soon (coalesced): world events arrive in bursts and may come from our own actions. */
  private schedule(m: LabMachine): void {
    if (this.closed || !this.ops.has(m.systemId)) return;
    if (this.pending.has(m.systemId)) return;
    this.pending.add(m.systemId);
    queueMicrotask(() => {
      this.pending.delete(m.systemId);
      this.evaluate(m);
    });
  }

  private evaluate(m: LabMachine): void {
    const op = this.ops.get(m.systemId);
    if (!op || this.closed) return;
    const step = op.steps[op.index];
    if (!step) {
      this.endOp(m, op);
      return;
    }
    if (this.needMet(m, step.need)) {
      if (op.stallSince !== undefined) {
        op.stalledMs += Date.now() - op.stallSince;
        op.stallSince = undefined;
        if (op.stallTimer) clearTimeout(op.stallTimer);
        op.stallTimer = undefined;
      }
      if (!op.timer) {
        op.timer = setTimeout(
          () => {
            op.timer = undefined;
            if (this.ops.get(m.systemId) !== op) return;
            if (!this.needMet(m, step.need)) {
              this.evaluate(m);
              return;
            }
            op.index++;
            step.done();
            if (this.ops.get(m.systemId) === op) this.evaluate(m);
          },
          Math.min(MAX_TIMER_MS, step.seconds * 1000 * this.timeScale),
        );
      }
    } else {
      if (op.timer) {
        clearTimeout(op.timer);
        op.timer = undefined;
      }
      if (op.stallSince === undefined) {
        op.stallSince = Date.now();
        op.stallTimer = setTimeout(
          () => this.timedOut(m, op),
          Math.min(MAX_TIMER_MS, Math.max(0, op.timeoutMs - op.stalledMs)),
        );
      }
    }
  }

  private onWorld(e: WorldEvent): void {
    if (this.closed) return;
    if (e.kind === 'power') {
      const m = this.byWorldHost.get(e.hostname);
      if (!m) return;
      // MaaS's power poll records what the BMC says (update_power_state) and logs no event: a
      // power button or the host's own reboot leaves power_state changed and the story silent.
      m.powerState = e.power;
      this.schedule(m);
    } else if (e.kind === 'boot') {
      const m = this.byWorldHost.get(e.hostname);
      if (m) this.schedule(m);
    } else {
      const owner = this.portOwner.get(`${e.switch}|${e.port}`);
      const m = owner ? this.byWorldHost.get(owner) : undefined;
      if (m) this.schedule(m);
    }
  }

  /** For tests and the integrator: whether MaaS is working on a machine right now. */
  busy(systemId: string): boolean {
    return this.ops.has(systemId);
  }
}

function toStatus(s: NodeStatusCode | string): NodeStatusCode {
  if (typeof s === 'number') return s;
  const c = nodeStatusFromName(s);
  if (c === undefined) throw new Error(`unknown MaaS status "${s}"`);
  return c;
}

function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

function userComment(user: string, comment: string | null): string {
  return comment ? `(${user}) - ${comment}` : `(${user})`;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function powerParametersFrom(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) {
    if (k.startsWith('power_parameters_')) out[k.slice('power_parameters_'.length)] = v;
  }
  return out;
}

interface LabInstallation {
  id: number;
  started: number;
  ended?: number;
  /** MaaS SCRIPT_STATUS: 1 running, 2 passed, 3 failed. */
  status: 1 | 2 | 3;
  lines: string[];
}
