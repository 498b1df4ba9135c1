import { z } from 'zod';
import { isNodeStatusCode, type NodeStatusCode } from './node-status.ts';

/**
 * MaaS 2.0 JSON as rackpilot reads it. Strict on the fields rackpilot uses (type and presence),
 * tolerant of everything else: a newer MaaS adds fields, and unknown ones are dropped.
 */

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export const MacAddressSchema = z.string().regex(MAC, 'not a MAC address (aa:bb:cc:dd:ee:ff)');

export const VlanSchema = z.object({
  id: z.number().int(),
  vid: z.number().int().min(0).max(4094),
  name: z.string().nullable().optional(),
  fabric: z.string(),
  fabric_id: z.number().int().optional(),
  mtu: z.number().int().optional(),
  dhcp_on: z.boolean(),
  primary_rack: z.string().nullable().optional(),
});
export type MaasVlan = z.infer<typeof VlanSchema>;

export const SubnetSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  cidr: z.string(),
  vlan: VlanSchema,
  gateway_ip: z.string().nullable(),
  dns_servers: z.array(z.string()),
  managed: z.boolean().optional(),
  space: z.string().optional(),
});
export type MaasSubnet = z.infer<typeof SubnetSchema>;

/** A link's embedded subnet: only what a link needs (its full form comes from GET subnets/). */
export const SubnetRefSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  cidr: z.string(),
  gateway_ip: z.string().nullable().optional(),
});

/** MaaS returns link modes lowercase ("auto", "static", "dhcp", "link_up"). */
export const LinkSchema = z.object({
  id: z.number().int(),
  mode: z.string().transform((m) => m.toLowerCase()),
  ip_address: z.string().optional(),
  subnet: SubnetRefSchema.optional(),
});
export type MaasLink = z.infer<typeof LinkSchema>;

export const INTERFACE_TYPES = ['physical', 'bond', 'bridge', 'vlan', 'alias', 'unknown'] as const;

export const InterfaceSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  type: z.enum(INTERFACE_TYPES),
  mac_address: MacAddressSchema,
  enabled: z.boolean(),
  parents: z.array(z.string()),
  children: z.array(z.string()),
  // Bonds carry bond_* keys in an object; MaaS's examples show "" for interfaces without params.
  params: z.union([z.string(), z.record(z.string(), z.unknown()), z.null()]),
  vlan: VlanSchema.nullable(),
  links: z.array(LinkSchema),
  link_connected: z.boolean(),
  link_speed: z.number().int(),
  interface_speed: z.number().int(),
  system_id: z.string().optional(),
  effective_mtu: z.number().int().optional(),
});
export type MaasInterface = z.infer<typeof InterfaceSchema>;

export const POWER_STATES = ['on', 'off', 'unknown', 'error'] as const;
export type PowerState = (typeof POWER_STATES)[number];

const StatusCodeSchema = z
  .number()
  .int()
  .refine(isNodeStatusCode, 'not a MaaS NODE_STATUS code (0–22)')
  .transform((n) => n as NodeStatusCode);

const NamedRefSchema = z.object({ name: z.string() });

export const MachineSchema = z.object({
  system_id: z.string().min(1),
  hostname: z.string(),
  fqdn: z.string(),
  status: StatusCodeSchema,
  status_name: z.string(),
  // Absent events → null on real regions.
  status_message: z.string().nullable(),
  power_state: z.enum(POWER_STATES),
  power_type: z.string(),
  architecture: z.string(),
  cpu_count: z.number().int(),
  cpu_speed: z.number().int(),
  memory: z.number().int(),
  osystem: z.string(),
  distro_series: z.string(),
  hwe_kernel: z.string().nullable(),
  owner: z.string().nullable(),
  // The owner's key/value notes (op=set_owner_data); MaaS clears them on release.
  owner_data: z.record(z.string(), z.string()).optional(),
  netboot: z.boolean(),
  // How the firmware last PXE-booted ("uefi", "pxe" = legacy BIOS, "ipxe", …); null until it has.
  bios_boot_method: z.string().nullable().optional(),
  locked: z.boolean().optional(),
  ip_addresses: z.array(z.string()),
  tag_names: z.array(z.string()),
  interface_set: z.array(InterfaceSchema),
  // A copy of one entry of interface_set: only its identity is read (parsing it whole again
  // costs a third of a 10,000-machine list).
  boot_interface: z
    .object({ id: z.number().int(), name: z.string(), mac_address: MacAddressSchema })
    .nullable(),
  zone: NamedRefSchema,
  pool: NamedRefSchema.optional(),
  resource_uri: z.string(),
  // Total size of the machine's disks in MB (the doctor's erase estimate).
  storage: z.number().nonnegative().optional(),
});
export type MaasMachine = z.infer<typeof MachineSchema>;

export const MachineListSchema = z.array(MachineSchema);

/**
 * The fields the live inventory reads, for the one list call per refresh: validating a whole
 * machine (interfaces, links, VLANs) for 10,000 machines every 2 s is most of the refresh's CPU.
 */
export const MachineSummarySchema = MachineSchema.pick({
  system_id: true,
  hostname: true,
  status: true,
  status_name: true,
  status_message: true,
  power_state: true,
  cpu_count: true,
  memory: true,
}).extend({
  interface_set: z.array(z.object({ mac_address: z.string(), name: z.string(), type: z.string() })),
  boot_interface: z.object({ mac_address: z.string() }).nullable(),
});
export type MaasMachineSummary = z.infer<typeof MachineSummarySchema>;
export const MachineSummaryListSchema = z.array(MachineSummarySchema);

export const EVENT_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'AUDIT'] as const;

export const EventSchema = z.object({
  id: z.number().int(),
  node: z.string(),
  hostname: z.string(),
  username: z.string(),
  level: z.string(),
  /** MaaS's own format: "Fri, 07 Dec. 2018 20:11:08". */
  created: z.string(),
  type: z.string(),
  description: z.string(),
});
export type MaasEvent = z.infer<typeof EventSchema>;

export const EventsPageSchema = z.object({
  count: z.number().int(),
  events: z.array(EventSchema),
  next_uri: z.string(),
  prev_uri: z.string(),
});
export type MaasEventsPage = z.infer<typeof EventsPageSchema>;

export const BOOT_RESOURCE_TYPES = ['Synced', 'Uploaded', 'Generated'] as const;

export const BootResourceSchema = z.object({
  id: z.number().int(),
  type: z.enum(BOOT_RESOURCE_TYPES),
  name: z.string(),
  architecture: z.string(),
  resource_uri: z.string(),
  subarches: z.string().optional(),
  title: z.string().optional(),
});
export type MaasBootResource = z.infer<typeof BootResourceSchema>;

export const BootResourceListSchema = z.array(BootResourceSchema);

export const PowerStateResponseSchema = z.object({ state: z.enum(POWER_STATES) });

export const VersionSchema = z.object({
  version: z.string(),
  subversion: z.string().optional(),
  capabilities: z.array(z.string()),
});
export type MaasVersion = z.infer<typeof VersionSchema>;

/** users/?op=whoami: the MaaS user the API key belongs to (the `owner` of what it allocates). */
export const UserSchema = z.object({
  username: z.string(),
  email: z.string().nullable().optional(),
  is_superuser: z.boolean().optional(),
});
export type MaasUser = z.infer<typeof UserSchema>;

/** `created` → epoch ms (MaaS omits the zone: the region's local time, UTC on standard installs). */
export function parseEventTime(created: string): number | undefined {
  const m = /^\w{3}, (\d{2}) ([A-Za-z]+)\.? (\d{4}) (\d{2}):(\d{2}):(\d{2})$/.exec(created.trim());
  if (!m) return undefined;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(
    m[2]!.slice(0, 3),
  );
  if (month < 0) return undefined;
  return Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** The reverse, for the lab: MaaS abbreviates the month AP style, as Django's "N" format does ("Dec.", "March", "Sept."). */
export function formatEventTime(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = [
    'Jan.',
    'Feb.',
    'March',
    'April',
    'May',
    'June',
    'July',
    'Aug.',
    'Sept.',
    'Oct.',
    'Nov.',
    'Dec.',
  ];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
