import { formatVlanList } from '../ranges.ts';
import type { PortVlans } from '../target.ts';
import { macDotted } from '../validate.ts';
import { diffVlans, parseCiscoVlanTable, parseMacRows, parseSwitchportBlock } from './common.ts';
import type { Dialect, PortStatus } from './types.ts';

/**
 * NX-OS and EOS share the IOS model: access mode carries one untagged VLAN; trunk mode carries the
 * native VLAN untagged plus the allowed list tagged (the native VLAN must be allowed to pass).
 */
export function ciscoChangeLines(iface: string, from: PortVlans, to: PortVlans): string[] {
  const { removed, added } = diffVlans(from, to);
  const untaggedChanged = from.untagged !== to.untagged;
  if (!untaggedChanged && removed.length === 0 && added.length === 0) return [];
  const lines: string[] = [];
  const create = [...(untaggedChanged && to.untagged !== null ? [to.untagged] : []), ...added];
  for (const v of create) lines.push(`vlan ${v}`, 'exit');
  lines.push(`interface ${iface}`);
  if (to.tagged.length === 0) {
    if (from.tagged.length > 0) {
      lines.push(
        'switchport mode access',
        'no switchport trunk native vlan',
        'no switchport trunk allowed vlan',
      );
    }
    if (to.untagged !== null && (untaggedChanged || from.tagged.length > 0)) {
      lines.push(`switchport access vlan ${to.untagged}`);
    }
  } else if (from.tagged.length === 0) {
    lines.push('switchport mode trunk');
    if (to.untagged !== null) lines.push(`switchport trunk native vlan ${to.untagged}`);
    const allowed = to.untagged === null ? to.tagged : [to.untagged, ...to.tagged];
    lines.push(`switchport trunk allowed vlan ${formatVlanList(allowed)}`);
  } else {
    for (const v of removed) if (v !== to.untagged) lines.push(`switchport trunk allowed vlan remove ${v}`);
    if (untaggedChanged) {
      if (from.untagged !== null && !to.tagged.includes(from.untagged)) {
        lines.push(`switchport trunk allowed vlan remove ${from.untagged}`);
      }
      if (to.untagged !== null) {
        lines.push(
          `switchport trunk native vlan ${to.untagged}`,
          `switchport trunk allowed vlan add ${to.untagged}`,
        );
      } else lines.push('no switchport trunk native vlan');
    }
    if (added.length > 0) lines.push(`switchport trunk allowed vlan add ${formatVlanList(added)}`);
  }
  lines.push('exit');
  return lines;
}

function ciscoParsePort(output: string): PortStatus {
  const sp = parseSwitchportBlock(output);
  if (!sp.layer2) return { layer2: false, untagged: null, tagged: [] };
  if (!sp.trunk) return { layer2: true, untagged: sp.access, tagged: [] };
  const nativeAllowed = sp.native !== null && sp.allowed.includes(sp.native);
  return {
    layer2: true,
    untagged: nativeAllowed ? sp.native : null,
    tagged: sp.allowed.filter((v) => v !== sp.native),
  };
}

/** What NX-OS and EOS say alike: their configure and save lines, interface names, MAC lookup. */
const CISCO_FAMILY = {
  configure: 'configure terminal',
  save: 'copy running-config startup-config',
  pagingOff: 'terminal length 0',
  iface(this: Dialect, port, prefix) {
    return `${port.type ?? prefix ?? this.defaultPortPrefix}${port.number}`;
  },
  changeLines: ciscoChangeLines,
  parsePort: ciscoParsePort,
  showMac(mac) {
    return `show mac address-table address ${macDotted(mac)}`;
  },
} satisfies Partial<Dialect>;

export const nxos: Dialect = {
  name: 'nxos',
  label: 'Cisco NX-OS',
  defaultPortPrefix: 'Ethernet',
  ...CISCO_FAMILY,
  errorPatterns: [/^\s*% ?(Invalid|Incomplete|Ambiguous|Error)\b/i, /^\s*ERROR:/],
  showPort(iface) {
    return `show interface ${iface} switchport`;
  },
  showVlans: 'show vlan brief',
  parseVlans: parseCiscoVlanTable,
  parseMac(output) {
    // `*   10     5254.0000.0000   dynamic  0   F   F    Eth1/1`
    return parseMacRows(
      output,
      /^[*+GOC~ ]*?\s*(\d{1,4})\s+([0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4})\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S+)\s*$/,
    );
  },
};

export const eos: Dialect = {
  name: 'eos',
  label: 'Arista EOS',
  defaultPortPrefix: 'Ethernet',
  ...CISCO_FAMILY,
  errorPatterns: [/^\s*% /],
  showPort(iface) {
    return `show interfaces ${iface} switchport`;
  },
  showVlans: 'show vlan',
  parseVlans: parseCiscoVlanTable,
  parseMac(output) {
    // `  10    5254.0000.0000    DYNAMIC     Et1/1        1       0:00:12 ago`
    return parseMacRows(
      output,
      /^\s*(\d{1,4})\s+([0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4})\s+\S+\s+(\S+)/,
    );
  },
};
