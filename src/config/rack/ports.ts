import type { DialectName } from '../../gear/switch/dialect-names.ts';
import { quote } from './quote.ts';

/**
 * Switch types and port names. A port name ends up inside a switch CLI command, so it is parsed
 * against a strict grammar per dialect instead of being passed through: letters for the interface
 * type, then digits separated by `/` (and `:` for a breakout lane). Nothing else gets through.
 */

export interface SwitchTypeInfo {
  dialect: DialectName;
  /** The name the rack file is expected to use ("Force10" is the seed's). */
  name: string;
  label: string;
  aliases: readonly string[];
}

export const SWITCH_TYPES: readonly SwitchTypeInfo[] = [
  {
    dialect: 'force10',
    name: 'Force10',
    label: 'Dell Force10 OS9',
    aliases: ['force10', 'ftos', 'os9', 'dellos9'],
  },
  { dialect: 'os10', name: 'DellOS10', label: 'Dell OS10', aliases: ['dellos10', 'os10'] },
  { dialect: 'nxos', name: 'NXOS', label: 'Cisco NX-OS', aliases: ['nxos', 'cisconxos', 'cisco'] },
  { dialect: 'eos', name: 'EOS', label: 'Arista EOS', aliases: ['eos', 'aristaeos', 'arista'] },
];

/** Case, spaces, dashes and underscores do not matter: "Dell OS10", "nx-os" and "NXOS" are all fine. */
export function switchTypeFor(type: string): SwitchTypeInfo | undefined {
  const key = type.toLowerCase().replace(/[\s_-]/g, '');
  return SWITCH_TYPES.find((t) => t.aliases.includes(key));
}

export function switchTypeInfo(dialect: DialectName): SwitchTypeInfo {
  return SWITCH_TYPES.find((t) => t.dialect === dialect)!;
}

export const KNOWN_SWITCH_TYPES = SWITCH_TYPES.map((t) => t.name).join(', ');

interface InterfaceType {
  name: string;
  short: readonly string[];
}

interface DialectPorts {
  types: readonly InterfaceType[];
  /** The type a bare number (`1/1/1`) means, unless the switch sets `portPrefix`. */
  defaultType: string;
  /** The numeric part: unit/slot/port, with an optional breakout lane. */
  id: RegExp;
  examples: string;
  /** How the dialect's CLI names the interface. */
  cli: (type: string, id: string) => string;
}

const DIALECT_PORTS: Record<DialectName, DialectPorts> = {
  force10: {
    types: [
      { name: 'TenGigabitEthernet', short: ['te', 'tengig'] },
      { name: 'GigabitEthernet', short: ['gi'] },
      { name: 'twentyFiveGigE', short: ['tf'] },
      { name: 'fortyGigE', short: ['fo'] },
      { name: 'fiftyGigE', short: ['fi'] },
      { name: 'hundredGigE', short: ['hu'] },
    ],
    defaultType: 'TenGigabitEthernet',
    // Older Force10 S-series name ports unit/port (0/1), OS9 stacks unit/slot/port (1/1/1).
    id: /^\d{1,3}\/\d{1,3}(?:\/\d{1,3})?(?::\d{1,2})?$/,
    examples: '1/1/1, 1/1/1:1, 0/1, Te 1/1/1, TenGigabitEthernet 1/1/1',
    cli: (type, id) => `${type} ${id}`,
  },
  os10: {
    types: [{ name: 'ethernet', short: ['eth', 'e'] }],
    defaultType: 'ethernet',
    id: /^\d{1,3}\/\d{1,3}\/\d{1,3}(?::\d{1,2})?$/,
    examples: '1/1/1, 1/1/1:1, ethernet1/1/1',
    cli: (_type, id) => `ethernet${id}`,
  },
  nxos: {
    types: [{ name: 'Ethernet', short: ['eth', 'e'] }],
    defaultType: 'Ethernet',
    // Slot/port, or a breakout / FEX port as three numbers.
    id: /^\d{1,3}\/\d{1,3}(?:\/\d{1,3})?$/,
    examples: '1/1, 1/1/1, Ethernet1/1, Eth1/1',
    cli: (_type, id) => `Ethernet${id}`,
  },
  eos: {
    types: [{ name: 'Ethernet', short: ['et', 'eth'] }],
    defaultType: 'Ethernet',
    // Fixed switches number ports 1, 2…; modular and breakout ones 1/1 or 3/1/1.
    id: /^\d{1,3}(?:\/\d{1,3}){0,2}$/,
    examples: '1, 1/1, 3/1/1, Ethernet1/1, Et1',
    cli: (_type, id) => `Ethernet${id}`,
  },
};

/**
 * The lexical shape every port name must have whatever the dialect: an optional interface type
 * (letters), separated from the numbers by nothing, one space, or `:` (the CloudStack REST form
 * `tengigabitethernet:1/3`), then digits, `/` and at most one `:` lane.
 */
const PORT_SHAPE = /^(?:([A-Za-z]{1,32})(?: |:)?)?(\d{1,3}(?:\/\d{1,3}){0,3}(?::\d{1,2})?)$/;

export interface ParsedPort {
  /** The interface type in the dialect's own spelling, e.g. `TenGigabitEthernet`. */
  type: string;
  /** The numbers: `1/1/1`, `1/1/1:2`, `1/3`. */
  id: string;
  /** The interface as the switch CLI names it: `TenGigabitEthernet 1/1/1`, `ethernet1/1/1`, `Ethernet1/3`. */
  interfaceName: string;
}

export type PortResult = { ok: true; port: ParsedPort } | { ok: false; message: string };

function knownTypes(d: DialectPorts): string {
  return d.types.map((t) => (t.short.length ? `${t.name} (${t.short.join(', ')})` : t.name)).join(', ');
}

/** The dialect's spelling of an interface type, or undefined when the dialect has no such type. */
export function interfaceTypeFor(dialect: DialectName, type: string): string | undefined {
  const key = type.toLowerCase();
  return DIALECT_PORTS[dialect].types.find((t) => t.name.toLowerCase() === key || t.short.includes(key))
    ?.name;
}

export function checkPortPrefix(dialect: DialectName, prefix: string): PortResult | undefined {
  if (!/^[A-Za-z]{1,32}$/.test(prefix))
    return { ok: false, message: `${quote(prefix)} is not an interface type (letters only)` };
  if (interfaceTypeFor(dialect, prefix) === undefined) {
    const d = DIALECT_PORTS[dialect];
    return {
      ok: false,
      message: `unknown interface type ${quote(prefix)} for ${switchTypeInfo(dialect).name} (known: ${knownTypes(d)})`,
    };
  }
  return undefined;
}

/** Only the dialect-independent shape; used when the switch type itself is wrong. */
export function portHasSafeShape(text: string): boolean {
  return PORT_SHAPE.test(text);
}

function notAPort(dialect: DialectName, text: string): PortResult {
  return {
    ok: false,
    message: `${quote(text)} is not a valid port name for ${switchTypeInfo(dialect).name} (e.g. ${DIALECT_PORTS[dialect].examples})`,
  };
}

export function parsePort(dialect: DialectName, text: string, portPrefix?: string): PortResult {
  const d = DIALECT_PORTS[dialect];
  const m = PORT_SHAPE.exec(text);
  if (!m) return notAPort(dialect, text);
  const written = m[1];
  const id = m[2]!;
  let type: string | undefined;
  if (written !== undefined) {
    type = interfaceTypeFor(dialect, written);
    if (type === undefined) {
      return {
        ok: false,
        message: `${quote(text)}: unknown interface type ${quote(written)} for ${switchTypeInfo(dialect).name} (known: ${knownTypes(d)})`,
      };
    }
  } else {
    type = (portPrefix && interfaceTypeFor(dialect, portPrefix)) || d.defaultType;
  }
  if (!d.id.test(id)) return notAPort(dialect, text);
  return { ok: true, port: { type, id, interfaceName: d.cli(type, id) } };
}
