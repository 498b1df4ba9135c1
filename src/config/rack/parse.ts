import { readFile, stat } from 'node:fs/promises';
import type { z } from 'zod';
import type { DialectName } from '../../gear/switch/dialect-names.ts';
import { OperatorError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import { parseJson } from './json.ts';
import { normaliseMac } from './mac.ts';
import { comparePaths, formatPath } from './path.ts';
import {
  checkPortPrefix,
  interfaceTypeFor,
  KNOWN_SWITCH_TYPES,
  parsePort,
  portHasSafeShape,
  switchTypeFor,
} from './ports.ts';
import { quote } from './quote.ts';
import {
  defaultBmcPort,
  KNOWN_FIELDS,
  rackFileSchema,
  type BootMethod,
  type RackFileParsed,
} from './schema.ts';
import type {
  Rack,
  RackBmc,
  RackEntry,
  RackError,
  RackNic,
  RackFileResult,
  RackParseResult,
  RackSwitch,
} from './types.ts';

/** A rack file larger than this is not a hand-written topology; refuse before reading it into memory. */
export const MAX_RACK_FILE_BYTES = 16 * 1024 * 1024;

type Raw = Record<string, unknown>;
const isObj = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isFinite(v) ? 'a number' : 'a number too large to use';
  if (typeof v === 'boolean') return 'true/false';
  return typeof v;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  object: 'an object ({…})',
  array: 'a list ([…])',
  boolean: 'true or false',
};

function knownFieldsAt(path: readonly PropertyKey[]): readonly string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return KNOWN_FIELDS.file!;
  if (last === 'l2Switch') return KNOWN_FIELDS.l2Switch!;
  if (last === 'bmc') return KNOWN_FIELDS.bmc!;
  if (path.length === 2) return KNOWN_FIELDS.rack!;
  return KNOWN_FIELDS.host!;
}

function issueErrors(issue: z.core.$ZodIssue, raw: unknown): RackError[] {
  const path = issue.path;
  if (issue.code === 'unrecognized_keys') {
    const known = knownFieldsAt(path).join(', ');
    return issue.keys.map((k) => ({
      path: formatPath([...path, k]),
      message: `unknown field (known: ${known})`,
    }));
  }
  if (issue.code === 'invalid_type') {
    const actual = valueAt(raw, path);
    // Never the value itself: a mistyped password is still a password.
    const message =
      actual === undefined
        ? 'missing (required)'
        : `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${typeName(actual)}`;
    return [{ path: formatPath(path), message }];
  }
  return [{ path: formatPath(path), message: issue.message }];
}

/** Passwords are secrets from the moment they are read, whether or not the file is valid. */
function registerPasswords(v: unknown): void {
  if (Array.isArray(v)) v.forEach(registerPasswords);
  else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'password' && (typeof x === 'string' || typeof x === 'number')) registerSecret(String(x));
      else registerPasswords(x);
    }
  }
}

const protocolOf = (bmc: Raw) => (bmc.protocol === 'redfish' ? 'redfish' : 'ipmi');
const schemeOf = (bmc: Raw) => (typeof bmc.scheme === 'string' ? bmc.scheme : undefined);
const REDFISH_ONLY = ['scheme', 'certSha256', 'systemId'] as const;

/** What depends on the BMC's protocol: IPMI's byte limits, the fields only Redfish has. */
function bmcProtocolErrors(bmc: Raw, path: string): RackError[] {
  const out: RackError[] = [];
  if (protocolOf(bmc) === 'ipmi') {
    // IPMI v2.0 carries user names of at most 16 bytes and passwords of at most 20.
    if (typeof bmc.username === 'string' && Buffer.byteLength(bmc.username) > 16)
      out.push({
        path: `${path}.username`,
        message: 'must be 1–16 printable characters without spaces (IPMI limit)',
      });
    if (typeof bmc.password === 'string' && Buffer.byteLength(bmc.password) > 20)
      out.push({ path: `${path}.password`, message: 'is longer than 20 bytes (IPMI limit)' });
    for (const k of REDFISH_ONLY) {
      if (bmc[k] !== undefined)
        out.push({
          path: `${path}.${k}`,
          message: 'is a Redfish field: add "protocol": "redfish", or remove it',
        });
    }
    return out;
  }
  if (bmc.scheme === 'http' && bmc.certSha256 !== undefined)
    out.push({
      path: `${path}.certSha256`,
      message: 'pins an HTTPS certificate, but scheme is http (no certificate)',
    });
  return out;
}

interface CrossFacts {
  dialects: (DialectName | undefined)[];
  ports: Map<string, ReturnType<typeof parsePort>>;
}

/** What the cross-check has seen so far, to find what two entries both claim. */
interface Seen {
  switchByAddress: Map<string, string>;
  switchByName: Map<string, string>;
  macs: Map<string, string>;
  ports: Map<string, string>;
  bmcByHost: Map<string, { key: string; path: string }>;
  bootByHost: Map<string, { method: string; path: string }>;
  hostByBmc: Map<string, { host: string; path: string }>;
}

/** A rack's switch as its hosts' ports are read against: its dialect, port prefix and identity. */
interface SwitchFacts {
  dialect: DialectName | undefined;
  prefix: string | undefined;
  /** Its name (lower case) once known to be its own, else the rack's index. */
  key: string;
}

/**
 * Rules that span fields or entries. Runs on the raw JSON, defensively, so that it reports its
 * problems alongside the field-level ones instead of only after those are fixed.
 */
function crossCheck(raw: unknown, errors: RackError[]): CrossFacts {
  const facts: CrossFacts = { dialects: [], ports: new Map() };
  if (!isObj(raw)) return facts;
  const seen: Seen = {
    switchByAddress: new Map(),
    switchByName: new Map(),
    macs: new Map(),
    ports: new Map(),
    bmcByHost: new Map(),
    bootByHost: new Map(),
    hostByBmc: new Map(),
  };
  list(raw.racks).forEach((rack, r) => {
    if (!isObj(rack)) return;
    const sw = checkSwitch(rack, r, seen, errors);
    facts.dialects[r] = sw.dialect;
    list(rack.hosts).forEach((host, h) => {
      if (!isObj(host)) return;
      const hPath = `racks[${r}].hosts[${h}]`;
      checkMac(host, hPath, seen, errors);
      checkPort(host, hPath, sw, seen, facts, errors);
      checkBootMethod(host, hPath, seen, errors);
      if (isObj(host.bmc)) checkHostBmc(host, host.bmc, hPath, seen, errors);
    });
  });
  return facts;
}

function checkSwitch(rack: Raw, r: number, seen: Seen, errors: RackError[]): SwitchFacts {
  const swPath = `racks[${r}].l2Switch`;
  const sw = isObj(rack.l2Switch) ? rack.l2Switch : undefined;
  const facts: SwitchFacts = { dialect: undefined, prefix: undefined, key: `#${r}` };
  if (!sw) return facts;
  if (typeof sw.type === 'string') {
    facts.dialect = switchTypeFor(sw.type)?.dialect;
    if (!facts.dialect) {
      errors.push({
        path: `${swPath}.type`,
        message: `unknown switch type ${quote(sw.type)} (known: ${KNOWN_SWITCH_TYPES})`,
      });
    }
  }
  if (sw.password === undefined && sw.passwordEnv === undefined) {
    errors.push({
      path: swPath,
      message: 'needs "password" or "passwordEnv" (the name of an environment variable holding it)',
    });
  } else if (sw.password !== undefined && sw.passwordEnv !== undefined) {
    errors.push({
      path: `${swPath}.passwordEnv`,
      message: 'give either "password" or "passwordEnv", not both',
    });
  }
  if (typeof sw.portPrefix === 'string')
    facts.prefix = checkPortPrefixField(sw.portPrefix, swPath, facts.dialect, errors);
  if (typeof sw.ip === 'string')
    facts.key = checkSwitchIdentity(sw, sw.ip, swPath, seen, errors) ?? facts.key;
  return facts;
}

/** The switch's port prefix, when it is one its dialect knows. */
function checkPortPrefixField(
  portPrefix: string,
  swPath: string,
  dialect: DialectName | undefined,
  errors: RackError[],
): string | undefined {
  const bad = dialect
    ? checkPortPrefix(dialect, portPrefix)
    : /^[A-Za-z]{1,32}$/.test(portPrefix)
      ? undefined
      : {
          ok: false as const,
          message: `${quote(portPrefix)} is not an interface type (letters only)`,
        };
  if (bad && !bad.ok) errors.push({ path: `${swPath}.portPrefix`, message: bad.message });
  else if (dialect) return portPrefix;
  return undefined;
}

/** One switch per address and per name: its key (its name) when it is the first. */
function checkSwitchIdentity(
  sw: Raw,
  ip: string,
  swPath: string,
  seen: Seen,
  errors: RackError[],
): string | undefined {
  const sshPort = typeof sw.sshPort === 'number' ? sw.sshPort : 22;
  const address = `${ip.toLowerCase()}:${sshPort}`;
  const name = typeof sw.name === 'string' ? sw.name : ip;
  const seenAt = seen.switchByAddress.get(address);
  const nameAt = seen.switchByName.get(name.toLowerCase());
  if (seenAt) {
    errors.push({
      path: `${swPath}.ip`,
      message: `switch ${quote(ip)} port ${sshPort} is already ${seenAt}; list all of a switch's hosts under one rack`,
    });
  } else if (nameAt) {
    errors.push({
      path: typeof sw.name === 'string' ? `${swPath}.name` : `${swPath}.ip`,
      message: `switch name ${quote(name)} is already used by ${nameAt}`,
    });
  } else {
    seen.switchByAddress.set(address, swPath);
    seen.switchByName.set(name.toLowerCase(), swPath);
    return name.toLowerCase();
  }
  return undefined;
}

function checkMac(host: Raw, hPath: string, seen: Seen, errors: RackError[]): void {
  if (typeof host.mac !== 'string') return;
  const mac = normaliseMac(host.mac);
  if (!mac) return;
  const first = seen.macs.get(mac);
  if (first) errors.push({ path: `${hPath}.mac`, message: `MAC ${mac} is already used by ${first}` });
  else seen.macs.set(mac, hPath);
}

/** The port in the switch's dialect, once per switch. */
function checkPort(
  host: Raw,
  hPath: string,
  sw: SwitchFacts,
  seen: Seen,
  facts: CrossFacts,
  errors: RackError[],
): void {
  if (typeof host.port !== 'string') return;
  if (!sw.dialect) {
    if (!portHasSafeShape(host.port))
      errors.push({
        path: `${hPath}.port`,
        message: `${quote(host.port)} is not a port name (e.g. 1/1/1, Te 1/1/1, Ethernet1/1)`,
      });
    return;
  }
  const p = parsePort(sw.dialect, host.port, sw.prefix);
  facts.ports.set(hPath, p);
  if (!p.ok) {
    errors.push({ path: `${hPath}.port`, message: p.message });
    return;
  }
  const key = `${sw.key}|${p.port.type.toLowerCase()}|${p.port.id}`;
  const first = seen.ports.get(key);
  if (first) {
    errors.push({
      path: `${hPath}.port`,
      message: `port ${p.port.interfaceName} of this switch is already used by ${first}`,
    });
  } else seen.ports.set(key, hPath);
}

/** A host boots one way, whichever of its NIC entries says it. */
function checkBootMethod(host: Raw, hPath: string, seen: Seen, errors: RackError[]): void {
  if (typeof host.bootMethod !== 'string' || typeof host.hostname !== 'string') return;
  const hostname = host.hostname.toLowerCase();
  const first = seen.bootByHost.get(hostname);
  if (first && first.method !== host.bootMethod) {
    errors.push({
      path: `${hPath}.bootMethod`,
      message: `differs from the boot method given for ${hostname} at ${first.path}; a host boots one way`,
    });
  } else if (!first) seen.bootByHost.set(hostname, { method: host.bootMethod, path: `${hPath}.bootMethod` });
}

/** A host has one BMC, and a BMC one host. */
function checkHostBmc(host: Raw, bmc: Raw, hPath: string, seen: Seen, errors: RackError[]): void {
  if (bmc.password !== undefined && bmc.passwordEnv !== undefined) {
    errors.push({
      path: `${hPath}.bmc.passwordEnv`,
      message: 'give either "password" or "passwordEnv", not both',
    });
  }
  errors.push(...bmcProtocolErrors(bmc, `${hPath}.bmc`));
  const hostname = typeof host.hostname === 'string' ? host.hostname.toLowerCase() : undefined;
  const port = typeof bmc.port === 'number' ? bmc.port : defaultBmcPort(protocolOf(bmc), schemeOf(bmc));
  const key = JSON.stringify([
    protocolOf(bmc),
    bmc.address,
    port,
    bmc.username,
    bmc.password,
    bmc.passwordEnv,
    bmc.scheme,
    bmc.certSha256,
    bmc.systemId,
  ]);
  if (hostname) {
    const first = seen.bmcByHost.get(hostname);
    if (first && first.key !== key) {
      errors.push({
        path: `${hPath}.bmc`,
        message: `differs from the BMC given for ${hostname} at ${first.path}; a host has one BMC`,
      });
    } else if (!first) seen.bmcByHost.set(hostname, { key, path: `${hPath}.bmc` });
  }
  if (typeof bmc.address === 'string') {
    const where = `${bmc.address.toLowerCase()}:${port}`;
    const owner = hostname ?? hPath;
    const first = seen.hostByBmc.get(where);
    if (first && first.host !== owner) {
      errors.push({
        path: `${hPath}.bmc.address`,
        message: `BMC ${where} is already the BMC of ${first.host.startsWith('racks[') ? 'the host at' : 'host'} ${first.host} (${first.path})`,
      });
    } else if (!first) seen.hostByBmc.set(where, { host: owner, path: `${hPath}.bmc` });
  }
}

function build(parsed: RackFileParsed, facts: CrossFacts, source: string): Rack {
  const switches: RackSwitch[] = [];
  const nics: RackNic[] = [];
  const racks: RackEntry[] = parsed.racks.map((r, ri) => {
    const s = r.l2Switch;
    const dialect = facts.dialects[ri]!;
    const sw: RackSwitch = {
      name: s.name ?? s.ip,
      ip: s.ip,
      sshPort: s.sshPort,
      username: s.username,
      ...(s.password !== undefined && { password: s.password }),
      ...(s.passwordEnv !== undefined && { passwordEnv: s.passwordEnv }),
      type: s.type,
      dialect,
      ...(s.hostKey !== undefined && { hostKey: s.hostKey }),
      ...(s.pxeVlan !== undefined && { pxeVlan: s.pxeVlan }),
      ...(s.portPrefix !== undefined && { portPrefix: interfaceTypeFor(dialect, s.portPrefix)! }),
      ...(s.allowedVlans !== undefined && { allowedVlans: s.allowedVlans }),
      rackIndex: ri,
      path: `racks[${ri}].l2Switch`,
    };
    switches.push(sw);
    const rackNics = r.hosts.map((h, hi): RackNic => {
      const path = `racks[${ri}].hosts[${hi}]`;
      const p = facts.ports.get(path);
      if (!p?.ok) throw new Error(`internal: port of ${path} was not checked`);
      const bmc: RackBmc | undefined = h.bmc && {
        protocol: h.bmc.protocol,
        address: h.bmc.address,
        port: h.bmc.port ?? defaultBmcPort(h.bmc.protocol, h.bmc.scheme),
        ...(h.bmc.username !== undefined && { username: h.bmc.username }),
        ...(h.bmc.password !== undefined && { password: h.bmc.password }),
        ...(h.bmc.passwordEnv !== undefined && { passwordEnv: h.bmc.passwordEnv }),
        ...(h.bmc.protocol === 'redfish' && { scheme: h.bmc.scheme ?? 'https' }),
        ...(h.bmc.certSha256 !== undefined && { certSha256: h.bmc.certSha256 }),
        ...(h.bmc.systemId !== undefined && { systemId: h.bmc.systemId }),
      };
      return {
        mac: h.mac,
        port: h.port,
        portType: p.port.type,
        portId: p.port.id,
        interfaceName: p.port.interfaceName,
        switch: sw.name,
        ...(h.hostname !== undefined && { hostname: h.hostname }),
        ...(bmc && { bmc }),
        ...(h.uuid !== undefined && { uuid: h.uuid }),
        ...(h.bootMethod !== undefined && { bootMethod: h.bootMethod }),
        rackIndex: ri,
        hostIndex: hi,
        path,
      };
    });
    nics.push(...rackNics);
    return { ...(r.name !== undefined && { name: r.name }), switch: sw, nics: rackNics };
  });
  // A host's BMC may be written on one of its NIC entries only; every entry gets it.
  const bmcOf = new Map<string, RackBmc>();
  for (const n of nics) if (n.hostname && n.bmc && !bmcOf.has(n.hostname)) bmcOf.set(n.hostname, n.bmc);
  for (const n of nics) if (n.hostname && !n.bmc && bmcOf.has(n.hostname)) n.bmc = bmcOf.get(n.hostname)!;
  // So may its boot method.
  const bootOf = new Map<string, BootMethod>();
  for (const n of nics) if (n.hostname && n.bootMethod) bootOf.set(n.hostname, n.bootMethod);
  for (const n of nics) if (n.hostname && bootOf.has(n.hostname)) n.bootMethod = bootOf.get(n.hostname)!;
  return { source, racks, switches, nics };
}

export interface ParseRackOptions {
  /** File name or "inline", for messages. */
  source?: string;
}

/** Validate a rack file's text: every problem with its JSON path, or the rack. */
export function parseRackFile(text: string, opts: ParseRackOptions = {}): RackParseResult {
  const source = opts.source ?? 'inline';
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const json = parseJson(body);
  if (!json.ok) {
    return {
      ok: false,
      errors: [
        { path: '$', message: `invalid JSON at line ${json.line}, column ${json.column}: ${json.message}` },
      ],
    };
  }
  return validateRackObject(json.value, { source, duplicates: json.duplicates });
}

/** Validate an already-parsed rack file object (e.g. one built in code, like the lab's). */
export function validateRackObject(
  raw: unknown,
  opts: ParseRackOptions & {
    duplicates?: { path: (string | number)[]; line: number; column: number }[];
  } = {},
): RackParseResult {
  registerPasswords(raw);
  const errors: RackError[] = [];
  for (const d of opts.duplicates ?? []) {
    errors.push({
      path: formatPath(d.path),
      message: `field given twice (again at line ${d.line}, column ${d.column})`,
    });
  }
  const result = rackFileSchema.safeParse(raw);
  if (!result.success) for (const issue of result.error.issues) errors.push(...issueErrors(issue, raw));
  const facts = crossCheck(raw, errors);
  if (errors.length > 0 || !result.success) {
    const seen = new Set<string>();
    const unique = errors.filter((e) => {
      const k = `${e.path}\n${e.message}`;
      return seen.has(k) ? false : (seen.add(k), true);
    });
    return { ok: false, errors: unique.sort((a, b) => comparePaths(a.path, b.path)) };
  }
  return { ok: true, rack: build(result.data, facts, opts.source ?? 'inline') };
}

/**
 * The rack when no rack file is configured: no switches and no cabling, so every MaaS-only command
 * works and anything that needs a switch port says the host is not in the rack file. (A rack FILE
 * that lists no racks is still refused: that is a mistake, not a choice.)
 */
export function emptyRack(): Rack {
  return { source: 'no rack file', racks: [], switches: [], nics: [] };
}

/** Read and validate a rack file; a file that cannot be read is reported the same way as a bad one. */
export async function loadRackFile(path: string): Promise<RackFileResult> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return { ok: false, errors: [{ path: '$', message: `${path} is not a file` }] };
    if (st.size > MAX_RACK_FILE_BYTES) {
      return {
        ok: false,
        errors: [{ path: '$', message: `${path} is larger than ${MAX_RACK_FILE_BYTES} bytes` }],
      };
    }
    const text = await readFile(path, 'utf8');
    const parsed = parseRackFile(text, { source: path });
    return parsed.ok ? { ...parsed, text } : parsed;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    return { ok: false, errors: [{ path: '$', message: `cannot read ${path}: ${why}` }] };
  }
}

/** A refused rack file as an operator error: every problem, one per line, under the file's name. */
export class RackFileError extends OperatorError {
  readonly errors: readonly RackError[];

  constructor(source: string, errors: RackError[]) {
    const n = errors.length;
    super(
      [
        `rack file ${source}: ${n} problem${n === 1 ? '' : 's'}`,
        ...errors.map((e) => `  ${e.path}: ${e.message}`),
      ].join('\n'),
      { hint: `fix the file, then check it with: rackpilot rack validate ${source}`, target: source },
    );
    this.errors = errors;
  }
}

/** For start-up: the rack, or a RackFileError listing every problem. */
export async function loadRackFileOrThrow(path: string): Promise<Rack> {
  const r = await loadRackFile(path);
  if (!r.ok) throw new RackFileError(path, r.errors);
  return r.rack;
}
