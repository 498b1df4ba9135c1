import { NODE_STATUS_NAME, type NodeStatusCode } from '../gear/maas/node-status.ts';
import { formatEventTime } from '../gear/maas/schemas.ts';

/**
 * The lab MaaS's records and their JSON, shaped field for field like a MaaS 2.x region's
 * answers (see test/fixtures/maas/machines.json), so clients cannot tell the lab from the real thing.
 */
export const API_PREFIX = '/MAAS/api/2.0/';

export interface LabFabric {
  id: number;
  name: string;
  vlanId: number;
  primaryRack: string;
}

export interface LabSubnet {
  id: number;
  name: string;
  cidr: string;
  gateway: string;
  fabric: LabFabric;
  /** Next free host offset for AUTO/DHCP addresses. */
  nextHost: number;
}

export interface LabLink {
  id: number;
  mode: 'auto' | 'dhcp' | 'static' | 'link_up';
  subnetId?: number;
  ipAddress?: string;
}

export interface LabInterface {
  id: number;
  name: string;
  type: 'physical' | 'bond' | 'vlan';
  mac: string;
  /** Names, as MaaS lists them. */
  parents: string[];
  children: string[];
  params: Record<string, string | number> | '';
  fabric: LabFabric;
  vid: number;
  links: LabLink[];
  speed: number;
}

export interface LabEvent {
  id: number;
  systemId: string;
  hostname: string;
  username: string;
  level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
  created: number;
  type: string;
  description: string;
}

export interface LabMachine {
  systemId: string;
  hostname: string;
  /** The LabWorld host this machine is (undefined for a machine with no hardware behind it). */
  worldHost: string | undefined;
  architecture: string;
  cpuCount: number;
  cpuSpeed: number;
  memory: number;
  storageBytes: number;
  status: NodeStatusCode;
  /** Where mark_fixed/abort return to. */
  previousStatus: NodeStatusCode;
  owner: string | null;
  /** Key/value data of the current owner (op=set_owner_data); cleared when the machine is released. */
  ownerData: Record<string, string>;
  osystem: string;
  distroSeries: string;
  hweKernel: string | null;
  netboot: boolean;
  description: string;
  powerType: string;
  powerParameters: Record<string, string>;
  /**
   * How the firmware last PXE-booted, as MaaS records it from the boot loader it served: "uefi",
   * "pxe" (legacy BIOS), …; null until the machine has PXE-booted once.
   */
  biosBootMethod: string | null;
  powerState: 'on' | 'off' | 'unknown' | 'error';
  interfaces: LabInterface[];
  bootInterfaceId: number;
  ipAddresses: string[];
  statusMessage: string | null;
  zone: string;
  pool: string;
  tags: string[];
  /** Bumped on every change; the JSON cache is keyed on it. */
  version: number;
  cache?: { version: number; json: string; bytes?: Buffer };
}

const DOMAIN = {
  authoritative: true,
  ttl: null,
  is_default: true,
  name: 'maas',
  resource_record_count: 0,
  id: 0,
  resource_uri: '/MAAS/api/2.0/domains/0/',
};

const HARDWARE_INFO = {
  system_vendor: 'Lab',
  system_product: 'rackpilot lab server',
  system_version: '1',
  system_serial: 'Unknown',
  cpu_model: 'Lab CPU',
  mainboard_vendor: 'Lab',
  mainboard_product: 'Unknown',
  mainboard_firmware_version: 'Unknown',
  mainboard_firmware_date: 'Unknown',
};

export function vlanJson(fabric: LabFabric, vid: number) {
  return {
    vid,
    mtu: 1500,
    dhcp_on: vid === 0,
    external_dhcp: null,
    relay_vlan: null,
    fabric: fabric.name,
    fabric_id: fabric.id,
    space: 'undefined',
    primary_rack: vid === 0 ? fabric.primaryRack : null,
    secondary_rack: null,
    name: vid === 0 ? 'untagged' : String(vid),
    id: vid === 0 ? fabric.vlanId : fabric.vlanId * 10000 + vid,
    resource_uri: `/MAAS/api/2.0/vlans/${vid === 0 ? fabric.vlanId : fabric.vlanId * 10000 + vid}/`,
  };
}

export function subnetJson(s: LabSubnet) {
  return {
    name: s.name,
    vlan: vlanJson(s.fabric, 0),
    cidr: s.cidr,
    rdns_mode: 2,
    gateway_ip: s.gateway,
    dns_servers: [],
    allow_dns: true,
    allow_proxy: true,
    active_discovery: false,
    managed: true,
    space: 'undefined',
    id: s.id,
    resource_uri: `/MAAS/api/2.0/subnets/${s.id}/`,
  };
}

export function interfaceJson(m: LabMachine, i: LabInterface, subnets: ReadonlyMap<number, LabSubnet>) {
  return {
    type: i.type,
    vlan: vlanJson(i.fabric, i.vid),
    mac_address: i.mac,
    enabled: true,
    discovered: null,
    system_id: m.systemId,
    name: i.name,
    effective_mtu: 1500,
    firmware_version: null,
    vendor: i.type === 'physical' ? 'Lab Networks' : null,
    tags: [],
    children: i.children,
    product: null,
    params: i.params,
    links: i.links.map((l) => {
      const subnet = l.subnetId === undefined ? undefined : subnets.get(l.subnetId);
      return {
        id: l.id,
        mode: l.mode,
        ...(l.ipAddress ? { ip_address: l.ipAddress } : {}),
        ...(subnet ? { subnet: subnetJson(subnet) } : {}),
      };
    }),
    id: i.id,
    parents: i.parents,
    link_connected: true,
    interface_speed: i.speed,
    link_speed: i.speed,
    resource_uri: `/MAAS/api/2.0/nodes/${m.systemId}/interfaces/${i.id}/`,
  };
}

function blockDevice(m: LabMachine) {
  const deployed = m.osystem !== '';
  return {
    firmware_version: '1.0',
    type: 'physical',
    available_size: deployed ? 0 : m.storageBytes,
    model: 'LAB-SSD',
    used_for: deployed ? 'GPT partitioned with 1 partition' : 'Unused',
    partitions: [],
    system_id: m.systemId,
    name: 'sda',
    path: '/dev/disk/by-dname/sda',
    id_path: '/dev/disk/by-id/wwn-0x5000c500a0000001',
    tags: ['ssd'],
    serial: `LAB${m.systemId.toUpperCase()}`,
    used_size: deployed ? m.storageBytes : 0,
    filesystem: null,
    storage_pool: null,
    block_size: 512,
    partition_table_type: deployed ? 'GPT' : null,
    size: m.storageBytes,
    uuid: null,
    id: 1,
    resource_uri: `/MAAS/api/2.0/nodes/${m.systemId}/blockdevices/1/`,
  };
}

export function machineObject(m: LabMachine, subnets: ReadonlyMap<number, LabSubnet>) {
  const ifaces = m.interfaces.map((i) => interfaceJson(m, i, subnets));
  const boot = ifaces.find((i) => i.id === m.bootInterfaceId) ?? null;
  const disk = blockDevice(m);
  const passed = m.status !== 0;
  return {
    current_installation_result_id: null,
    pool: { name: m.pool, description: 'Default pool', id: 0, resource_uri: '/MAAS/api/2.0/resourcepool/0/' },
    status: m.status,
    tag_names: m.tags,
    interface_set: ifaces,
    blockdevice_set: [disk],
    special_filesystems: [],
    distro_series: m.distroSeries,
    volume_groups: [],
    domain: DOMAIN,
    disable_ipv4: false,
    power_state: m.powerState,
    storage_test_status: passed ? 2 : -1,
    hwe_kernel: m.hweKernel,
    zone: { name: m.zone, description: '', id: 1, resource_uri: `/MAAS/api/2.0/zones/${m.zone}/` },
    boot_disk: disk,
    hardware_info: HARDWARE_INFO,
    commissioning_status: passed ? 2 : -1,
    cpu_test_status: -1,
    address_ttl: null,
    swap_size: null,
    other_test_status: -1,
    storage: Math.round(m.storageBytes / 1_000_000),
    ip_addresses: m.ipAddresses,
    other_test_status_name: 'Unknown',
    status_name: NODE_STATUS_NAME[m.status],
    storage_test_status_name: passed ? 'Passed' : 'Unknown',
    memory_test_status_name: 'Unknown',
    netboot: m.netboot,
    memory: m.memory,
    osystem: m.osystem,
    system_id: m.systemId,
    cpu_count: m.cpuCount,
    locked: false,
    memory_test_status: -1,
    raids: [],
    current_commissioning_result_id: passed ? 1 : null,
    current_testing_result_id: passed ? 2 : null,
    physicalblockdevice_set: [disk],
    cache_sets: [],
    node_type: 0,
    node_type_name: 'Machine',
    owner: m.owner,
    fqdn: `${m.hostname}.${DOMAIN.name}`,
    bcaches: [],
    power_type: m.powerType,
    cpu_speed: m.cpuSpeed,
    status_action: '',
    architecture: m.architecture,
    min_hwe_kernel: '',
    virtualblockdevice_set: [],
    bios_boot_method: m.biosBootMethod,
    boot_interface: boot,
    default_gateways: {
      ipv4: { gateway_ip: null, link_id: null },
      ipv6: { gateway_ip: null, link_id: null },
    },
    owner_data: { ...m.ownerData },
    testing_status: passed ? 2 : -1,
    commissioning_status_name: passed ? 'Passed' : 'Unknown',
    status_message: m.statusMessage,
    cpu_test_status_name: 'Unknown',
    hostname: m.hostname,
    description: m.description,
    testing_status_name: passed ? 'Passed' : 'Unknown',
    interface_test_status_name: 'Unknown',
    interface_test_status: -1,
    resource_uri: `/MAAS/api/2.0/machines/${m.systemId}/`,
  };
}

/** The list call serves 10,000 machines per UI cycle: each machine's JSON is built once per change. */
export function machineJson(m: LabMachine, subnets: ReadonlyMap<number, LabSubnet>): string {
  if (m.cache && m.cache.version === m.version) return m.cache.json;
  const json = JSON.stringify(machineObject(m, subnets));
  m.cache = { version: m.version, json };
  return json;
}

/** The machine's JSON as bytes, kept with it: a list is then a copy of each, not an encoding. */
export function machineBytes(m: LabMachine, subnets: ReadonlyMap<number, LabSubnet>): Buffer {
  const json = machineJson(m, subnets);
  const cache = m.cache!;
  cache.bytes ??= Buffer.from(json);
  return cache.bytes;
}

export function eventJson(e: LabEvent) {
  return {
    username: e.username,
    node: e.systemId,
    hostname: e.hostname,
    id: e.id,
    level: e.level,
    created: formatEventTime(e.created),
    type: e.type,
    description: e.description,
  };
}
