/**
 * RMCP+ session establishment payloads (IPMI v2.0 §13.17–13.23): Open Session and RAKP 1–4.
 * Integers are little-endian on the wire. Pure encode/decode, used by the client and the lab BMC.
 */
import { CodecError } from './codec.ts';

export const Privilege = { Callback: 1, User: 2, Operator: 3, Administrator: 4, Oem: 5 } as const;
export type PrivilegeName = 'user' | 'operator' | 'administrator';
export const PRIVILEGE_BY_NAME: Record<PrivilegeName, number> = { user: 2, operator: 3, administrator: 4 };

/** RAKP 1 role bit: look the user up by name only (what ipmitool sends by default). */
export const NAME_ONLY_LOOKUP = 0x10;

/** RMCP+ status codes (§13.24) carried by Open Session Response and RAKP 2/4. */
export const RMCPPLUS_STATUS: Record<number, string> = {
  0x00: 'no errors',
  0x01: 'insufficient resources to create a session',
  0x02: 'invalid session ID',
  0x03: 'invalid payload type',
  0x04: 'invalid authentication algorithm',
  0x05: 'invalid integrity algorithm',
  0x06: 'no matching authentication payload',
  0x07: 'no matching integrity payload',
  0x08: 'inactive session ID',
  0x09: 'invalid role',
  0x0a: 'unauthorized role or privilege level requested',
  0x0b: 'insufficient resources to create a session at the requested role',
  0x0c: 'invalid name length',
  0x0d: 'unauthorized name',
  0x0e: 'unauthorized GUID',
  0x0f: 'invalid integrity check value',
  0x10: 'invalid confidentiality algorithm',
  0x11: 'no cipher suite match with proposed security algorithms',
  0x12: 'illegal or unrecognized parameter',
};

export function rmcpStatusText(code: number): string {
  return RMCPPLUS_STATUS[code] ?? `unknown RMCP+ status 0x${code.toString(16)}`;
}

function need(buf: Buffer, len: number, what: string): void {
  if (buf.length < len) throw new CodecError(`${what} too short (${buf.length} < ${len} bytes)`);
}

export interface OpenSessionRequest {
  tag: number;
  /** 0 = highest level matching the proposed algorithms. */
  maxPrivilege: number;
  consoleSessionId: number;
  authAlg: number;
  integrityAlg: number;
  confidentialityAlg: number;
}

function algRecord(kind: number, alg: number): Buffer {
  return Buffer.from([kind, 0, 0, 8, alg, 0, 0, 0]);
}

export function encodeOpenSessionRequest(r: OpenSessionRequest): Buffer {
  const head = Buffer.alloc(8);
  head[0] = r.tag;
  head[1] = r.maxPrivilege;
  head.writeUInt32LE(r.consoleSessionId >>> 0, 4);
  return Buffer.concat([
    head,
    algRecord(0, r.authAlg),
    algRecord(1, r.integrityAlg),
    algRecord(2, r.confidentialityAlg),
  ]);
}

export function decodeOpenSessionRequest(buf: Buffer): OpenSessionRequest {
  need(buf, 32, 'Open Session Request');
  return {
    tag: buf[0]!,
    maxPrivilege: buf[1]! & 0x0f,
    consoleSessionId: buf.readUInt32LE(4),
    authAlg: buf[12]! & 0x3f,
    integrityAlg: buf[20]! & 0x3f,
    confidentialityAlg: buf[28]! & 0x3f,
  };
}

export interface OpenSessionResponse {
  tag: number;
  status: number;
  maxPrivilege: number;
  consoleSessionId: number;
  bmcSessionId: number;
  authAlg: number;
  integrityAlg: number;
  confidentialityAlg: number;
}

export function encodeOpenSessionResponse(r: OpenSessionResponse): Buffer {
  const head = Buffer.alloc(8);
  head[0] = r.tag;
  head[1] = r.status;
  head[2] = r.maxPrivilege;
  head.writeUInt32LE(r.consoleSessionId >>> 0, 4);
  // An error response stops after the console session id (§13.18).
  if (r.status !== 0) return head;
  const sid = Buffer.alloc(4);
  sid.writeUInt32LE(r.bmcSessionId >>> 0, 0);
  return Buffer.concat([
    head,
    sid,
    algRecord(0, r.authAlg),
    algRecord(1, r.integrityAlg),
    algRecord(2, r.confidentialityAlg),
  ]);
}

export function decodeOpenSessionResponse(buf: Buffer): OpenSessionResponse {
  need(buf, 2, 'Open Session Response');
  const status = buf[1]!;
  if (status !== 0) {
    return {
      tag: buf[0]!,
      status,
      maxPrivilege: buf[2] ?? 0,
      consoleSessionId: buf.length >= 8 ? buf.readUInt32LE(4) : 0,
      bmcSessionId: 0,
      authAlg: 0,
      integrityAlg: 0,
      confidentialityAlg: 0,
    };
  }
  need(buf, 36, 'Open Session Response');
  return {
    tag: buf[0]!,
    status,
    maxPrivilege: buf[2]!,
    consoleSessionId: buf.readUInt32LE(4),
    bmcSessionId: buf.readUInt32LE(8),
    authAlg: buf[16]! & 0x3f,
    integrityAlg: buf[24]! & 0x3f,
    confidentialityAlg: buf[32]! & 0x3f,
  };
}

export interface Rakp1 {
  tag: number;
  bmcSessionId: number;
  consoleRandom: Buffer;
  role: number;
  username: string;
}

export function encodeRakp1(r: Rakp1): Buffer {
  const name = Buffer.from(r.username, 'utf8');
  if (name.length > 16) throw new CodecError('IPMI user names are at most 16 bytes');
  const out = Buffer.alloc(28 + name.length);
  out[0] = r.tag;
  out.writeUInt32LE(r.bmcSessionId >>> 0, 4);
  r.consoleRandom.copy(out, 8);
  out[24] = r.role;
  out[27] = name.length;
  name.copy(out, 28);
  return out;
}

export function decodeRakp1(buf: Buffer): Rakp1 {
  need(buf, 28, 'RAKP 1');
  const len = buf[27]!;
  if (len > 16) throw new CodecError('RAKP 1 user name length over 16');
  need(buf, 28 + len, 'RAKP 1');
  return {
    tag: buf[0]!,
    bmcSessionId: buf.readUInt32LE(4),
    consoleRandom: Buffer.from(buf.subarray(8, 24)),
    role: buf[24]!,
    username: buf.subarray(28, 28 + len).toString('utf8'),
  };
}

export interface Rakp2 {
  tag: number;
  status: number;
  consoleSessionId: number;
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  authCode: Buffer;
}

export function encodeRakp2(r: Rakp2): Buffer {
  const head = Buffer.alloc(8);
  head[0] = r.tag;
  head[1] = r.status;
  head.writeUInt32LE(r.consoleSessionId >>> 0, 4);
  if (r.status !== 0) return head;
  return Buffer.concat([head, r.bmcRandom, r.bmcGuid, r.authCode]);
}

export function decodeRakp2(buf: Buffer): Rakp2 {
  need(buf, 2, 'RAKP 2');
  const status = buf[1]!;
  if (status !== 0) {
    return {
      tag: buf[0]!,
      status,
      consoleSessionId: buf.length >= 8 ? buf.readUInt32LE(4) : 0,
      bmcRandom: Buffer.alloc(0),
      bmcGuid: Buffer.alloc(0),
      authCode: Buffer.alloc(0),
    };
  }
  need(buf, 40, 'RAKP 2');
  return {
    tag: buf[0]!,
    status,
    consoleSessionId: buf.readUInt32LE(4),
    bmcRandom: Buffer.from(buf.subarray(8, 24)),
    bmcGuid: Buffer.from(buf.subarray(24, 40)),
    authCode: Buffer.from(buf.subarray(40)),
  };
}

export interface Rakp3 {
  tag: number;
  status: number;
  bmcSessionId: number;
  authCode: Buffer;
}

export function encodeRakp3(r: Rakp3): Buffer {
  const head = Buffer.alloc(8);
  head[0] = r.tag;
  head[1] = r.status;
  head.writeUInt32LE(r.bmcSessionId >>> 0, 4);
  return Buffer.concat([head, r.authCode]);
}

export function decodeRakp3(buf: Buffer): Rakp3 {
  need(buf, 8, 'RAKP 3');
  return {
    tag: buf[0]!,
    status: buf[1]!,
    bmcSessionId: buf.readUInt32LE(4),
    authCode: Buffer.from(buf.subarray(8)),
  };
}

export interface Rakp4 {
  tag: number;
  status: number;
  consoleSessionId: number;
  icv: Buffer;
}

export function encodeRakp4(r: Rakp4): Buffer {
  const head = Buffer.alloc(8);
  head[0] = r.tag;
  head[1] = r.status;
  head.writeUInt32LE(r.consoleSessionId >>> 0, 4);
  return r.status === 0 ? Buffer.concat([head, r.icv]) : head;
}

export function decodeRakp4(buf: Buffer): Rakp4 {
  need(buf, 2, 'RAKP 4');
  return {
    tag: buf[0]!,
    status: buf[1]!,
    consoleSessionId: buf.length >= 8 ? buf.readUInt32LE(4) : 0,
    icv: Buffer.from(buf.subarray(8)),
  };
}
