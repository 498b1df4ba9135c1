import type { DialectName, MacEntry, PortVlans, VlanEntry } from '../target.ts';
import type { ParsedPort } from '../validate.ts';

export interface PortStatus extends PortVlans {
  /** False when the port is routed (no `switchport`): it cannot join a VLAN. */
  layer2: boolean;
}

/**
 * One vendor's CLI: command templates and output parsers, nothing else. Templates return lines
 * for configuration mode; each block returns to configuration mode (`exit`) before the next.
 */
export interface Dialect {
  name: DialectName;
  label: string;
  defaultPortPrefix: string;
  configure: string;
  save: string;
  pagingOff: string;
  /** A line of command output matching one of these is the switch refusing the command. */
  errorPatterns: RegExp[];
  /** Rack-file port → the interface name this CLI wants. */
  iface(port: ParsedPort, prefix?: string): string;
  /** Lines that take a port from one membership to another (VLANs created on the way if needed). */
  changeLines(iface: string, from: PortVlans, to: PortVlans): string[];
  showPort(iface: string): string;
  parsePort(output: string): PortStatus;
  showVlans: string;
  parseVlans(output: string): VlanEntry[];
  showMac(mac: string): string;
  parseMac(output: string): MacEntry[];
}
