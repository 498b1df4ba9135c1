import { formatVlanList, parseVlanList } from '../ranges.ts';
import type { PortVlans } from '../target.ts';
import { diffVlans, parseDellVlanTable, parseMacRows } from './common.ts';
import type { Dialect, PortStatus } from './types.ts';

/**
 * Dell OS10: port-centric. The access VLAN is the untagged VLAN in both access and trunk mode;
 * tagged VLANs need trunk mode. `interface vlan N` creates the VLAN.
 */
export const os10: Dialect = {
  name: 'os10',
  label: 'Dell OS10',
  defaultPortPrefix: 'ethernet',
  configure: 'configure terminal',
  save: 'copy running-configuration startup-configuration',
  pagingOff: 'terminal length 0',
  errorPatterns: [/^\s*% ?Error\b/i, /^\s*% (Invalid|Incomplete|Ambiguous)\b/i],

  iface(port, prefix) {
    return `${port.type ?? prefix ?? this.defaultPortPrefix}${port.number}`;
  },

  changeLines(iface, from: PortVlans, to: PortVlans) {
    const { removed, added } = diffVlans(from, to);
    const untaggedChanged = from.untagged !== to.untagged;
    if (!untaggedChanged && removed.length === 0 && added.length === 0) return [];
    const lines: string[] = [];
    const create = [...(untaggedChanged && to.untagged !== null ? [to.untagged] : []), ...added];
    for (const v of create) lines.push(`interface vlan ${v}`, 'exit');
    lines.push(`interface ${iface}`);
    if (from.tagged.length === 0 && to.tagged.length > 0) lines.push('switchport mode trunk');
    for (const v of removed) lines.push(`no switchport trunk allowed vlan ${v}`);
    if (untaggedChanged)
      lines.push(
        to.untagged === null ? 'no switchport access vlan' : `switchport access vlan ${to.untagged}`,
      );
    if (added.length > 0) lines.push(`switchport trunk allowed vlan ${formatVlanList(added)}`);
    if (from.tagged.length > 0 && to.tagged.length === 0) lines.push('switchport mode access');
    lines.push('exit');
    return lines;
  },

  showPort(iface) {
    return `show running-configuration interface ${iface}`;
  },

  parsePort(output): PortStatus {
    let layer2 = true;
    let trunk = false;
    let access = 1;
    const tagged: number[] = [];
    let sawInterface = false;
    for (const line of output.split(/\r?\n/)) {
      if (/^interface\s+\S/i.test(line)) sawInterface = true;
      let m: RegExpExecArray | null;
      if (/^\s*no switchport\s*$/.test(line)) layer2 = false;
      else if ((m = /^\s*switchport mode (access|trunk)\s*$/.exec(line))) trunk = m[1] === 'trunk';
      else if ((m = /^\s*switchport access vlan (\d+)\s*$/.exec(line))) access = Number(m[1]);
      else if ((m = /^\s*switchport trunk allowed vlan ([\d,-]+)\s*$/.exec(line)))
        tagged.push(...parseVlanList(m[1]!));
    }
    return {
      layer2: sawInterface && layer2,
      untagged: layer2 ? access : null,
      tagged: trunk ? [...new Set(tagged)].sort((a, b) => a - b) : [],
    };
  },

  showVlans: 'show vlan',
  parseVlans: parseDellVlanTable,

  showMac(mac) {
    return `show mac address-table address ${mac}`;
  },
  parseMac(output) {
    return parseMacRows(output, /^\s*(\d{1,4})\s+([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\s+\S+\s+(\S+)/);
  },
};
