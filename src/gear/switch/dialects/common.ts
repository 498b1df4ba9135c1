import { expandPortNumbers, parseVlanList } from '../ranges.ts';
import type { MacEntry, PortVlans, VlanEntry } from '../target.ts';
import { normalizeMac } from '../validate.ts';

/** `Te 1/1/1`, `ethernet1/1/1`, `Eth1/1`, `Et1/1` → `1/1/1` / `1/1`; null for non-front-panel interfaces. */
export function portNumberOf(iface: string): string | null {
  const m = /^(?:[A-Za-z][A-Za-z-]*)\s*(\d+(?:\/\d+)*(?::\d+)?)$/.exec(iface.trim());
  if (!m) return null;
  if (/^(po|port-channel|vl|vlan|lo|loopback|ma|mgmt|management|nu|null|cpu|vx|vxlan)/i.test(iface.trim()))
    return null;
  return m[1]!;
}

export function diffVlans(from: PortVlans, to: PortVlans): { removed: number[]; added: number[] } {
  const f = new Set(from.tagged);
  const t = new Set(to.tagged);
  return {
    removed: [...f].filter((v) => !t.has(v)).sort((a, b) => a - b),
    added: [...t].filter((v) => !f.has(v)).sort((a, b) => a - b),
  };
}

const DELL_Q = '[UTAxXoOGMHiIvV]';
const DELL_PORTS = '((?:[A-Za-z][A-Za-z-]*)\\s*[\\d/,\\-:]+)';

/**
 * Dell OS9/OS10 `show vlan`: a row per VLAN (`*` marks the default), then `Q Ports` pairs that
 * continue on following lines, each a type plus a port range list (`Te 1/1/2-4,8`, `Eth1/1/3-1/1/48`).
 */
export function parseDellVlanTable(output: string): VlanEntry[] {
  const rows: VlanEntry[] = [];
  const rowRe = new RegExp(`^\\s*\\*?\\s*(\\d{1,4})\\s+(Active|Inactive|Suspended|Up|Down)\\b(.*)$`, 'i');
  const tailRe = new RegExp(`(?:^|\\s)(${DELL_Q})\\s+${DELL_PORTS}\\s*$`);
  const contRe = new RegExp(`^\\s+(${DELL_Q})\\s+${DELL_PORTS}\\s*$`);
  let current: VlanEntry | undefined;
  const addPorts = (entry: VlanEntry, q: string, text: string) => {
    const m = /^([A-Za-z][A-Za-z-]*)\s*(.*)$/.exec(text.trim())!;
    const mode =
      q === 'T' || q === 'X' || q === 'G' || q === 'I' || q === 'V' || q === 'O' ? 'tagged' : 'untagged';
    for (const port of expandPortNumbers(m[2]!)) entry.ports.push({ port, mode });
  };
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    const row = rowRe.exec(line);
    if (row) {
      current = { id: Number(row[1]), name: '', status: row[2]!, ports: [] };
      rows.push(current);
      let rest = row[3]!;
      const tail = tailRe.exec(rest);
      if (tail) {
        addPorts(current, tail[1]!, tail[2]!);
        rest = rest.slice(0, tail.index);
      }
      current.name = rest.trim();
      continue;
    }
    const cont = contRe.exec(line);
    if (cont && current) addPorts(current, cont[1]!, cont[2]!);
  }
  return rows;
}

/** NX-OS `show vlan brief` / EOS `show vlan`: `ID Name Status Ports`, ports comma-separated, continued. */
export function parseCiscoVlanTable(output: string): VlanEntry[] {
  const rows: VlanEntry[] = [];
  let current: VlanEntry | undefined;
  const addPorts = (entry: VlanEntry, text: string) => {
    for (const item of text.split(',')) {
      const port = portNumberOf(item.trim());
      if (port) entry.ports.push({ port, mode: 'member' });
    }
  };
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.replace(/\s+$/, '');
    const row =
      /^(\d{1,4})\s+(\S+)\s+(active|suspended|suspend|act\/lshut|sus\/lshut|act\/unsup|inactive)\b\s*(.*)$/i.exec(
        line,
      );
    if (row) {
      current = { id: Number(row[1]), name: row[2]!, status: row[3]!, ports: [] };
      rows.push(current);
      addPorts(current, row[4]!);
      continue;
    }
    if (current && /^\s{8,}\S/.test(line) && /^[\sA-Za-z0-9/,:-]+$/.test(line)) addPorts(current, line);
    else if (line.trim() === '' || /^-/.test(line)) continue;
  }
  return rows;
}

/** The `key: value` switchport block NX-OS and EOS print for one interface. */
export function parseSwitchportBlock(output: string): {
  layer2: boolean;
  trunk: boolean;
  access: number | null;
  native: number | null;
  allowed: number[];
} {
  const lines = output.split(/\r?\n/);
  const field = (re: RegExp): string | undefined => {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(lines[i]!);
      if (!m) continue;
      let value = m[1]!.trim();
      // Long allowed lists wrap onto lines holding only list characters.
      while (i + 1 < lines.length && /^\s+[\d,-]+\s*$/.test(lines[i + 1]!) && /[,-]$/.test(value)) {
        value += lines[++i]!.trim();
      }
      return value;
    }
    return undefined;
  };
  const switchport = field(/^\s*Switchport:\s*(.*)$/i);
  const mode = field(/^\s*Operational Mode:\s*(.*)$/i) ?? field(/^\s*Administrative Mode:\s*(.*)$/i) ?? '';
  const num = (s: string | undefined) => {
    const m = s === undefined ? null : /^(\d+)/.exec(s);
    return m ? Number(m[1]) : null;
  };
  const allowedText = field(/^\s*Trunking VLANs (?:Allowed|Enabled):\s*(.*)$/i) ?? '';
  const allowed = /^all$/i.test(allowedText) ? parseVlanList('1-4094') : parseVlanList(allowedText);
  return {
    layer2: switchport !== undefined && /enabled/i.test(switchport),
    trunk: /trunk/i.test(mode),
    access: num(field(/^\s*Access Mode VLAN:\s*(.*)$/i)),
    native: num(field(/^\s*Trunking Native Mode VLAN:\s*(.*)$/i)),
    allowed,
  };
}

/** Generic MAC-table row parser: `re` captures vlan, mac, interface. */
export function parseMacRows(output: string, re: RegExp): MacEntry[] {
  const out: MacEntry[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = re.exec(line);
    if (!m) continue;
    const iface = m[3]!.trim();
    out.push({ vlan: Number(m[1]), mac: normalizeMac(m[2]!), iface, port: portNumberOf(iface) ?? iface });
  }
  return out;
}
