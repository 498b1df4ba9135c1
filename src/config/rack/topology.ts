import { normaliseMac } from './mac.ts';
import type { BootMethod } from './schema.ts';
import type { Rack, RackBmc, RackNic, RackSwitch } from './types.ts';
import { vlanInRanges } from './vlans.ts';

/** A NIC of a machine found in the rack file: the switch and port it is cabled to. */
export interface CabledNic {
  /** Switch name (RackSwitch.name). */
  switch: string;
  /** Port as the rack file writes it. */
  port: string;
  mac: string;
  nic: RackNic;
}

export interface RackHost {
  hostname: string;
  nics: RackNic[];
  bmc?: RackBmc;
  bootMethod?: BootMethod;
}

export interface RackSummary {
  racks: number;
  switches: number;
  /** Named hosts plus NIC entries without a hostname (each may be its own machine). */
  hosts: number;
  namedHosts: number;
  unnamedNics: number;
  nics: number;
  /** Named hosts with ≥ 2 ToR-connected NICs. */
  bondableHosts: number;
}

/**
 * Questions the workflows ask of the rack file: which switch ports does this machine (known by
 * the MACs MaaS reports) use, and can it bond? Indexed once; every query is a map lookup.
 */
export class Topology {
  private current!: Rack;
  private byMac = new Map<string, RackNic>();
  private bySwitch = new Map<string, RackSwitch>();
  private hosts = new Map<string, RackNic[]>();

  constructor(rack: Rack) {
    this.reload(rack);
  }

  get rack(): Rack {
    return this.current;
  }

  /**
   * Answers from another rack file from now on (the runner reloads an edited one). In place: the
   * adapters built on this topology see the new file without being rebuilt.
   */
  reload(rack: Rack): void {
    const byMac = new Map<string, RackNic>();
    const bySwitch = new Map<string, RackSwitch>();
    const hosts = new Map<string, RackNic[]>();
    for (const sw of rack.switches) bySwitch.set(sw.name, sw);
    for (const nic of rack.nics) {
      byMac.set(nic.mac, nic);
      if (nic.hostname) {
        const list = hosts.get(nic.hostname);
        if (list) list.push(nic);
        else hosts.set(nic.hostname, [nic]);
      }
    }
    this.current = rack;
    this.byMac = byMac;
    this.bySwitch = bySwitch;
    this.hosts = hosts;
  }

  switches(): readonly RackSwitch[] {
    return this.rack.switches;
  }

  switch(name: string): RackSwitch | undefined {
    return this.bySwitch.get(name);
  }

  /** The rack entry of a MAC in any notation, or undefined when it is not cabled to a listed switch. */
  nic(mac: string): RackNic | undefined {
    const m = normaliseMac(mac);
    return m === undefined ? undefined : this.byMac.get(m);
  }

  switchFor(mac: string): RackSwitch | undefined {
    const nic = this.nic(mac);
    return nic && this.bySwitch.get(nic.switch);
  }

  /** The ToR-connected NICs among a machine's MACs, in the order given; unknown or repeated MACs are skipped. */
  nicsForMacs(macs: Iterable<string>): CabledNic[] {
    const out: CabledNic[] = [];
    const seen = new Set<string>();
    for (const m of macs) {
      const nic = this.nic(m);
      if (!nic || seen.has(nic.mac)) continue;
      seen.add(nic.mac);
      out.push({ switch: nic.switch, port: nic.port, mac: nic.mac, nic });
    }
    return out;
  }

  /** The named host a MAC belongs to, or undefined when the MAC is unknown or its entry has no hostname. */
  hostForMac(mac: string): RackHost | undefined {
    const nic = this.nic(mac);
    return nic?.hostname === undefined ? undefined : this.host(nic.hostname);
  }

  /**
   * Every ToR-connected NIC of the machine one MAC belongs to: all entries sharing its hostname,
   * or the entry alone when it has none. Lets a host known by a single MAC (the one an operator
   * typed) be found with all its ports.
   */
  nicsOfMachineWith(mac: string): CabledNic[] {
    const nic = this.nic(mac);
    if (!nic) return [];
    const nics = nic.hostname === undefined ? [nic] : this.hosts.get(nic.hostname)!;
    return nics.map((n) => ({ switch: n.switch, port: n.port, mac: n.mac, nic: n }));
  }

  /** The seed's rule: bond when more than one of the machine's interfaces is connected to the ToR. */
  canBond(macs: Iterable<string>): boolean {
    return this.nicsForMacs(macs).length >= 2;
  }

  /** NIC entries grouped by hostname (entries without one are not included). */
  hostsByName(): ReadonlyMap<string, readonly RackNic[]> {
    return this.hosts;
  }

  host(hostname: string): RackHost | undefined {
    const nics = this.hosts.get(hostname.toLowerCase());
    if (!nics) return undefined;
    const bmc = nics.find((n) => n.bmc)?.bmc;
    const bootMethod = nics.find((n) => n.bootMethod)?.bootMethod;
    return { hostname: hostname.toLowerCase(), nics, ...(bmc && { bmc }), ...(bootMethod && { bootMethod }) };
  }

  /**
   * The rack file's boot method for a machine, by its hostname or any of its MACs (an unnamed
   * entry stands for its machine alone); undefined when the file says nothing.
   */
  bootMethodOf(macs: Iterable<string>, hostname?: string): BootMethod | undefined {
    const named = hostname === undefined ? undefined : this.host(hostname);
    if (named?.bootMethod) return named.bootMethod;
    for (const c of this.nicsForMacs(macs)) if (c.nic.bootMethod) return c.nic.bootMethod;
    return undefined;
  }

  /** Every NIC entry cabled to a switch. */
  nicsOnSwitch(name: string): RackNic[] {
    return this.rack.nics.filter((n) => n.switch === name);
  }

  /** Whether a tenant VLAN may be put on the switch (its `allowedVlans`; no list = any). */
  vlanAllowed(switchName: string, vlan: number): boolean {
    const sw = this.bySwitch.get(switchName);
    if (!sw) return false;
    return sw.allowedVlans === undefined || vlanInRanges(sw.allowedVlans, vlan);
  }

  summary(): RackSummary {
    const unnamedNics = this.rack.nics.filter((n) => !n.hostname).length;
    let bondable = 0;
    for (const nics of this.hosts.values()) if (nics.length >= 2) bondable++;
    return {
      racks: this.rack.racks.length,
      switches: this.rack.switches.length,
      hosts: this.hosts.size + unnamedNics,
      namedHosts: this.hosts.size,
      unnamedNics,
      nics: this.rack.nics.length,
      bondableHosts: bondable,
    };
  }
}
