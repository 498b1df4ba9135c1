/**
 * Everything that reaches a switch CLI passes through here first. A switch CLI executes whatever
 * line it receives, so a port name or VLAN id taken from a rack file must not be able to smuggle
 * a newline, `;`, `|` or a second command into the session.
 */
export const MIN_VLAN = 1;
export const MAX_VLAN = 4094;

/** `1/1/1`, `1/3`, `1/1/1:2` (breakout), optionally preceded by an interface type. */
const PORT_NUMBER = /^\d{1,3}(?:\/\d{1,3}){0,3}(?::\d{1,2})?$/;
/** `TenGigabitEthernet`, `Te`, `ethernet`, `fortyGigE`, `Eth`: letters and dashes only. */
const PORT_TYPE = /^[A-Za-z][A-Za-z-]{0,31}$/;

export class ValidationError extends Error {
  override name = 'ValidationError';
}

export function isValidVlan(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= MIN_VLAN && v <= MAX_VLAN;
}

export function assertVlan(v: unknown, what = 'VLAN id'): number {
  if (!isValidVlan(v))
    throw new ValidationError(`${what} ${JSON.stringify(v)} is not an integer between 1 and 4094`);
  return v;
}

export function isValidPortType(s: string): boolean {
  return PORT_TYPE.test(s);
}

export interface ParsedPort {
  /** Interface type as written (`TenGigabitEthernet`, `Te`, `ethernet`), if any. */
  type?: string;
  /** Numeric part: `1/1/1`. */
  number: string;
}

/**
 * Accepts the forms rack files use: `1/1/1`, `TenGigabitEthernet 1/1/1`, `Te1/1/1`,
 * `ethernet1/1/1`, and the CloudStack REST backend's `tengigabitethernet:1/3`.
 */
export function parsePort(raw: unknown): ParsedPort {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 64) {
    throw new ValidationError(`port ${JSON.stringify(raw)} is not a port name`);
  }
  const m = /^([A-Za-z][A-Za-z-]{0,31})?(?:[ :])?(\S+)$/.exec(raw);
  if (m && PORT_NUMBER.test(m[2]!) && (m[1] === undefined || PORT_TYPE.test(m[1]))) {
    return m[1] === undefined ? { number: m[2]! } : { type: m[1], number: m[2]! };
  }
  throw new ValidationError(
    `port ${JSON.stringify(raw)} is not a valid switch port (expected e.g. 1/1/1 or TenGigabitEthernet 1/1/1)`,
  );
}

export function assertPort(raw: unknown): string {
  parsePort(raw);
  return raw as string;
}

/** MAC in any of the usual notations → `aa:bb:cc:dd:ee:ff`. */
export function normalizeMac(raw: unknown): string {
  if (typeof raw !== 'string') throw new ValidationError(`MAC ${JSON.stringify(raw)} is not a MAC address`);
  const hex = raw.toLowerCase().replace(/[:.-]/g, '');
  if (!/^[0-9a-f]{12}$/.test(hex) || !/^[0-9a-fA-F:.-]+$/.test(raw)) {
    throw new ValidationError(`MAC ${JSON.stringify(raw)} is not a MAC address`);
  }
  return hex.match(/../g)!.join(':');
}

/** `aabb.ccdd.eeff`, the Cisco/Arista notation. */
export function macDotted(mac: string): string {
  const hex = normalizeMac(mac).replace(/:/g, '');
  return `${hex.slice(0, 4)}.${hex.slice(4, 8)}.${hex.slice(8)}`;
}

/** Hostnames and switch names that show up in prompts and messages. */
export function isSafeName(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(s);
}

/** Final guard before a line is written to the CLI, whatever built it. */
export function assertSafeCliLine(line: string): string {
  // Printable ASCII only: no CR/LF (a second command), no control characters, no `;` or `|`
  // (command chaining / output filters on some NOS), no `!` or `#` (comments on some NOS).
  if (!/^[\x20-\x7e]*$/.test(line) || /[;|!#`$]/.test(line) || line.length > 200) {
    throw new ValidationError(`refusing to send unsafe CLI line ${JSON.stringify(line)}`);
  }
  return line;
}
