/**
 * The lab's datacenter on paper: racks, one ToR switch per rack, hosts with 1–4 NICs cabled to it,
 * a BMC per host. Deterministic for a given seed so tests, demos and the rack file agree.
 * Ports (SSH, UDP, HTTP) are assigned when the lab starts, not here.
 */
import { DIALECTS, type DialectName } from '../gear/switch/dialect-names.ts';
import { OperatorError } from '../util/errors.ts';

export interface LabNic {
  mac: string;
  /** Name of the ToR switch the NIC is cabled to. */
  switch: string;
  /** Port as the rack file writes it (`1/1/3` on Dell, `1/3` on NX-OS/EOS). */
  port: string;
}

export interface LabHost {
  hostname: string;
  rack: number;
  nics: LabNic[];
  cpuCount: number;
  cpuMhz: number;
  memoryMb: number;
  bmc: { user: string; password: string };
}

export interface LabSwitch {
  name: string;
  rack: number;
  dialect: DialectName;
  username: string;
  password: string;
  /** MaaS's PXE network: the untagged VLAN of every host port when no tenant VLAN is set. */
  pxeVlan: number;
  /** Every port the switch has, rack-file form. */
  ports: string[];
}

export interface LabSpec {
  switches: LabSwitch[];
  hosts: LabHost[];
}

export interface LabSpecOptions {
  racks?: number;
  hosts?: number;
  seed?: number;
  dialects?: readonly DialectName[];
  pxeVlan?: number;
}

/** Small deterministic PRNG (mulberry32): the same seed gives the same lab everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHAPES = [
  { cpuCount: 16, cpuMhz: 2400, memoryMb: 65536 },
  { cpuCount: 32, cpuMhz: 2600, memoryMb: 131072 },
  { cpuCount: 64, cpuMhz: 2100, memoryMb: 262144 },
] as const;

export function rackPortName(dialect: DialectName, index: number): string {
  return dialect === 'force10' || dialect === 'os10' ? `1/1/${index}` : `1/${index}`;
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, '0');
}

function password(rand: () => number): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
  return s;
}

/** A ToR port number has at most three digits (1/1/999): what one lab switch can offer. */
const MAX_SWITCH_PORTS = 999;
/** Hosts per rack when the lab's rack count is not given: a few hundred NICs per ToR switch. */
const HOSTS_PER_RACK = 160;
const MAX_RACKS = 64;

/** The lab's rack count when none is given: 3, or more for a big lab, so no switch runs out of ports. */
/** The spec's hosts of these names (all of them when no names are given). */
export function labHostsNamed(spec: LabSpec, hostnames?: readonly string[]): LabHost[] {
  if (!hostnames) return spec.hosts;
  return hostnames.map((n) => {
    const h = spec.hosts.find((x) => x.hostname === n);
    if (!h) throw new Error(`no lab host ${n}`);
    return h;
  });
}

export function defaultLabRacks(hosts: number): number {
  return Math.min(MAX_RACKS, Math.max(3, Math.ceil(hosts / HOSTS_PER_RACK)));
}

export function generateLabSpec(opts: LabSpecOptions = {}): LabSpec {
  const hostCount = opts.hosts ?? 40;
  const racks = opts.racks ?? defaultLabRacks(hostCount);
  const rand = seededRandom(opts.seed ?? 1);
  const dialects = opts.dialects ?? DIALECTS;
  const pxeVlan = opts.pxeVlan ?? 10;
  if (racks < 1) throw new Error('a lab needs at least one rack');

  const perRack = Math.ceil(hostCount / racks);
  // 4 NICs at most per host, plus spare ports so miscabling and uplinks have room.
  const portsPerSwitch = Math.min(MAX_SWITCH_PORTS, Math.max(48, perRack * 4 + 4));
  const switches: LabSwitch[] = [];
  for (let r = 0; r < racks; r++) {
    const dialect = dialects[r % dialects.length]!;
    switches.push({
      name: `tor-r${String(r + 1).padStart(2, '0')}`,
      rack: r,
      dialect,
      username: 'admin',
      password: password(rand),
      pxeVlan,
      ports: Array.from({ length: portsPerSwitch }, (_, i) => rackPortName(dialect, i + 1)),
    });
  }

  const hosts: LabHost[] = [];
  const nextPort = new Array<number>(racks).fill(1);
  for (let i = 0; i < hostCount; i++) {
    const r = i % racks;
    const sw = switches[r]!;
    // Mostly two NICs (bondable), some single-NIC hosts, a few with four.
    const roll = rand();
    const nicCount = roll < 0.2 ? 1 : roll < 0.85 ? 2 : roll < 0.93 ? 3 : 4;
    const nics: LabNic[] = [];
    for (let n = 0; n < nicCount; n++) {
      const portIndex = nextPort[r]!++;
      if (portIndex > MAX_SWITCH_PORTS) {
        throw new OperatorError(
          `${hostCount} lab hosts do not fit in ${racks} racks: a ToR switch has at most ${MAX_SWITCH_PORTS} ports`,
          {
            hint: `give at least ${defaultLabRacks(hostCount)} racks (--racks or RACKPILOT_LAB_RACKS), or leave the rack count out`,
          },
        );
      }
      nics.push({
        mac: `52:54:${hex2(r)}:${hex2(i >> 8)}:${hex2(i)}:${hex2(n)}`,
        switch: sw.name,
        port: rackPortName(sw.dialect, portIndex),
      });
    }
    const shape = SHAPES[Math.floor(rand() * SHAPES.length)]!;
    hosts.push({
      hostname: `r${String(r + 1).padStart(2, '0')}-n${String(Math.floor(i / racks) + 1).padStart(3, '0')}`,
      rack: r,
      nics,
      ...shape,
      bmc: { user: 'admin', password: password(rand) },
    });
  }
  return { switches, hosts };
}
