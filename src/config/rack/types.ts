import type { DialectName } from '../../gear/switch/dialect-names.ts';
import type { BmcProtocol, BootMethod } from './schema.ts';
import type { VlanRange } from './vlans.ts';

/** A problem in a rack file, located by its JSON path (`racks[0].hosts[3].mac`). */
export interface RackError {
  path: string;
  message: string;
}

export interface RackSwitch {
  /** `name` from the file, or the address when the file gives none (the seed's files have none). */
  name: string;
  /** Where to SSH to: the seed's `ip` (an IP address or a DNS name). */
  ip: string;
  sshPort: number;
  username: string;
  /** Given inline (the seed's way); else read from the environment variable `passwordEnv`. */
  password?: string;
  passwordEnv?: string;
  /** `type` as written in the file. */
  type: string;
  dialect: DialectName;
  /** Pinned host key, OpenSSH's `SHA256:…` fingerprint. */
  hostKey?: string;
  pxeVlan?: number;
  /** Interface type of bare port numbers, in the dialect's spelling (`TenGigabitEthernet`). */
  portPrefix?: string;
  /** Tenant VLANs this switch may be given; absent = any. */
  allowedVlans?: VlanRange[];
  rackIndex: number;
  /** JSON path of the switch object, for messages. */
  path: string;
}

export interface RackBmc {
  protocol: BmcProtocol;
  address: string;
  /** Given, or the protocol's default (623 IPMI, 443 HTTPS, 80 HTTP). */
  port: number;
  username?: string;
  password?: string;
  passwordEnv?: string;
  /** Redfish only: https unless the file says http (a lab BMC). */
  scheme?: 'https' | 'http';
  /** Redfish only: pinned certificate, lower-case hex SHA-256 of its DER. */
  certSha256?: string;
  /** Redfish only: the member of /redfish/v1/Systems; absent: discovered from the collection. */
  systemId?: string;
}

/** One `hosts[]` entry of the file: a NIC cabled to a port of its rack's switch. */
export interface RackNic {
  /** Lower-case colon form. */
  mac: string;
  /** The port as the file writes it (`1/1/1`); the lab and the switch tables key ports this way. */
  port: string;
  /** Interface type in the dialect's spelling (`TenGigabitEthernet`), explicit or defaulted. */
  portType: string;
  /** Numbers only: `1/1/1`. */
  portId: string;
  /** The interface as the switch CLI names it: `TenGigabitEthernet 1/1/1`, `ethernet1/1/1`, `Ethernet1/3`. */
  interfaceName: string;
  /** Name of the switch (RackSwitch.name). */
  switch: string;
  /** Lower-cased; NIC entries sharing it are one machine. */
  hostname?: string;
  bmc?: RackBmc;
  /** CloudStack's host uuid, when the file came from CloudStack. */
  uuid?: string;
  /** Overrides MaaS's bios_boot_method; given on one entry of a host, every entry carries it. */
  bootMethod?: BootMethod;
  rackIndex: number;
  hostIndex: number;
  path: string;
}

export interface RackEntry {
  name?: string;
  switch: RackSwitch;
  nics: RackNic[];
}

/** A whole rack file, validated. */
export interface Rack {
  /** Where it came from (file path or "inline"), for messages. */
  source: string;
  racks: RackEntry[];
  switches: RackSwitch[];
  nics: RackNic[];
}

export type RackParseResult = { ok: true; rack: Rack } | { ok: false; errors: RackError[] };
/** A rack file read and validated, with the text it was read as. */
export type RackFileResult = { ok: true; rack: Rack; text: string } | { ok: false; errors: RackError[] };
