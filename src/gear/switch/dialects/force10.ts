import { parseVlanList } from '../ranges.ts';
import type { PortVlans } from '../target.ts';
import { diffVlans, parseDellVlanTable, parseMacRows } from './common.ts';
import type { Dialect, PortStatus } from './types.ts';

/** OS9 treats VLAN 1 as the default VLAN: membership there is implicit and cannot be removed. */
const DEFAULT_VLAN = 1;

/**
 * Dell Force10 FTOS / OS9: VLAN-centric. Membership is configured inside `interface vlan N`
 * by naming the physical port (`untagged TenGigabitEthernet 1/1/1`).
 */
export const force10: Dialect = {
  name: 'force10',
  label: 'Dell Force10 OS9',
  defaultPortPrefix: 'TenGigabitEthernet',
  configure: 'configure',
  save: 'write memory',
  pagingOff: 'terminal length 0',
  errorPatterns: [/^\s*% ?Error\b/i, /^\s*% (Invalid|Incomplete|Ambiguous)\b/i],

  iface(port, prefix) {
    return `${port.type ?? prefix ?? this.defaultPortPrefix} ${port.number}`;
  },

  changeLines(iface, from: PortVlans, to: PortVlans) {
    const lines: string[] = [];
    const block = (vlan: number, cmd: string) => lines.push(`interface vlan ${vlan}`, cmd, 'exit');
    const { removed, added } = diffVlans(from, to);
    for (const v of removed) block(v, `no tagged ${iface}`);
    if (from.untagged !== to.untagged) {
      if (from.untagged !== null && from.untagged !== DEFAULT_VLAN)
        block(from.untagged, `no untagged ${iface}`);
      if (to.untagged !== null && to.untagged !== DEFAULT_VLAN) block(to.untagged, `untagged ${iface}`);
    }
    for (const v of added) block(v, `tagged ${iface}`);
    return lines;
  },

  showPort(iface) {
    return `show interfaces switchport ${iface}`;
  },

  parsePort(output): PortStatus {
    const lines = output.split(/\r?\n/);
    const layer2 = lines.some((l) => /^\s*Name:\s*\S/.test(l));
    let untagged: number | null = null;
    const tagged: number[] = [];
    let q: string | undefined;
    let inTable = false;
    for (const line of lines) {
      if (/^\s*Q\s+Vlans\s*$/i.test(line)) {
        inTable = true;
        continue;
      }
      if (!inTable) continue;
      const row = /^\s*([UTxXGMHiIvV])\s+([\d,\s-]+)$/.exec(line);
      const cont = /^\s{2,}([\d,-]+)\s*$/.exec(line);
      let list: string | undefined;
      if (row) {
        q = row[1];
        list = row[2];
      } else if (cont && q) list = cont[1];
      else if (line.trim() === '' || /^\s*Native/i.test(line)) {
        inTable = line.trim() === '' ? inTable : false;
        continue;
      } else continue;
      const vlans = parseVlanList(list!.replace(/\s+/g, '').replace(/,$/, ''));
      if (q === 'U' || q === 'x' || q === 'i' || q === 'v') untagged = vlans[0] ?? untagged;
      else tagged.push(...vlans);
    }
    return { layer2, untagged, tagged: [...new Set(tagged)].sort((a, b) => a - b) };
  },

  showVlans: 'show vlan',
  parseVlans: parseDellVlanTable,

  showMac(mac) {
    return `show mac-address-table address ${mac}`;
  },
  parseMac(output) {
    return parseMacRows(
      output,
      /^\s*(\d{1,4})\s+([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5})\s+\S+\s+([A-Za-z][A-Za-z-]*\s*\d+(?:\/\d+)*(?::\d+)?)\s/,
    );
  },
};
