/**
 * Wire formats of IPMI over LAN (IPMI v2.0 spec §13): the RMCP header, the IPMI v1.5 session
 * wrapper (only used before a session exists), the RMCP+ (v2.0) session wrapper with its integrity
 * trailer, and IPMI messages with their two checksums. Pure functions over Buffers.
 */

export const RMCP_VERSION = 0x06;
export const RMCP_CLASS_IPMI = 0x07;
export const RMCP_NO_ACK_SEQ = 0xff;

export const AUTH_TYPE_NONE = 0x00;
export const AUTH_TYPE_RMCPPLUS = 0x06;

export const PayloadType = {
  IPMI: 0x00,
  SOL: 0x01,
  OpenSessionRequest: 0x10,
  OpenSessionResponse: 0x11,
  Rakp1: 0x12,
  Rakp2: 0x13,
  Rakp3: 0x14,
  Rakp4: 0x15,
} as const;

export const NetFn = { Chassis: 0x00, App: 0x06 } as const;

/** The BMC's address on the IPMB and the address remote consoles use (spec §5.5, software ID 0x81). */
export const BMC_SLAVE_ADDR = 0x20;
export const REMOTE_CONSOLE_SWID = 0x81;

export class CodecError extends Error {
  override name = 'CodecError';
}

/** Two's complement checksum: the covered bytes plus the checksum sum to zero mod 256. */
export function checksum(buf: Uint8Array, start = 0, end = buf.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + buf[i]!) & 0xff;
  return (0x100 - sum) & 0xff;
}

export interface IpmiRequest {
  rsAddr: number;
  netFn: number;
  rsLun: number;
  rqAddr: number;
  rqSeq: number;
  rqLun: number;
  cmd: number;
  data: Buffer;
}

export interface IpmiResponse {
  rqAddr: number;
  /** The response netFn (request netFn | 1). */
  netFn: number;
  rqLun: number;
  rsAddr: number;
  rqSeq: number;
  rsLun: number;
  cmd: number;
  completionCode: number;
  data: Buffer;
}

export function encodeRequest(r: IpmiRequest): Buffer {
  const out = Buffer.alloc(7 + r.data.length);
  out[0] = r.rsAddr;
  out[1] = ((r.netFn & 0x3f) << 2) | (r.rsLun & 3);
  out[2] = checksum(out, 0, 2);
  out[3] = r.rqAddr;
  out[4] = ((r.rqSeq & 0x3f) << 2) | (r.rqLun & 3);
  out[5] = r.cmd;
  r.data.copy(out, 6);
  out[out.length - 1] = checksum(out, 3, out.length - 1);
  return out;
}

function verifyChecksums(buf: Buffer, what: string): void {
  if (buf.length < 7) throw new CodecError(`${what} too short (${buf.length} bytes)`);
  if (checksum(buf, 0, 3) !== 0) throw new CodecError(`${what}: header checksum mismatch`);
  if (checksum(buf, 3, buf.length) !== 0) throw new CodecError(`${what}: data checksum mismatch`);
}

export function decodeRequest(buf: Buffer): IpmiRequest {
  verifyChecksums(buf, 'IPMI request');
  return {
    rsAddr: buf[0]!,
    netFn: buf[1]! >> 2,
    rsLun: buf[1]! & 3,
    rqAddr: buf[3]!,
    rqSeq: buf[4]! >> 2,
    rqLun: buf[4]! & 3,
    cmd: buf[5]!,
    data: Buffer.from(buf.subarray(6, buf.length - 1)),
  };
}

export function encodeResponse(r: IpmiResponse): Buffer {
  const out = Buffer.alloc(8 + r.data.length);
  out[0] = r.rqAddr;
  out[1] = ((r.netFn & 0x3f) << 2) | (r.rqLun & 3);
  out[2] = checksum(out, 0, 2);
  out[3] = r.rsAddr;
  out[4] = ((r.rqSeq & 0x3f) << 2) | (r.rsLun & 3);
  out[5] = r.cmd;
  out[6] = r.completionCode;
  r.data.copy(out, 7);
  out[out.length - 1] = checksum(out, 3, out.length - 1);
  return out;
}

export function decodeResponse(buf: Buffer): IpmiResponse {
  verifyChecksums(buf, 'IPMI response');
  if (buf.length < 8) throw new CodecError('IPMI response without completion code');
  return {
    rqAddr: buf[0]!,
    netFn: buf[1]! >> 2,
    rqLun: buf[1]! & 3,
    rsAddr: buf[3]!,
    rqSeq: buf[4]! >> 2,
    rsLun: buf[4]! & 3,
    cmd: buf[5]!,
    completionCode: buf[6]!,
    data: Buffer.from(buf.subarray(7, buf.length - 1)),
  };
}

/** The response a BMC builds for a request: addresses swapped, netFn made odd, sequence echoed. */
export function responseFor(
  req: IpmiRequest,
  completionCode: number,
  data: Buffer = Buffer.alloc(0),
): IpmiResponse {
  return {
    rqAddr: req.rqAddr,
    netFn: req.netFn | 1,
    rqLun: req.rqLun,
    rsAddr: req.rsAddr,
    rqSeq: req.rqSeq,
    rsLun: req.rsLun,
    cmd: req.cmd,
    completionCode,
    data,
  };
}

// ---------------------------------------------------------------------------------------------
// Session wrappers

/** What a packet carries once its wrapper is removed. */
export type SessionPacket =
  | { format: 'v15'; authType: number; seq: number; sessionId: number; message: Buffer }
  | {
      format: 'v20';
      payloadType: number;
      encrypted: boolean;
      authenticated: boolean;
      sessionId: number;
      seq: number;
      /** Payload as on the wire (still encrypted when `encrypted`). */
      payload: Buffer;
      /** Bytes covered by the integrity code (auth type through next header), when authenticated. */
      signed?: Buffer;
      authCode?: Buffer;
    };

function rmcpHeader(): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, RMCP_NO_ACK_SEQ, RMCP_CLASS_IPMI]);
}

/** IPMI v1.5 wrapper with auth type NONE: what consoles send before RMCP+ exists (auth caps). */
export function encodeV15(seq: number, sessionId: number, message: Buffer): Buffer {
  const head = Buffer.alloc(10);
  head[0] = AUTH_TYPE_NONE;
  head.writeUInt32LE(seq >>> 0, 1);
  head.writeUInt32LE(sessionId >>> 0, 5);
  head[9] = message.length;
  return Buffer.concat([rmcpHeader(), head, message]);
}

export interface V20Frame {
  payloadType: number;
  sessionId: number;
  seq: number;
  /** The payload as it goes on the wire (already encrypted if `encrypted`). */
  payload: Buffer;
  encrypted: boolean;
  /** Integrity function and its output length; absent for unauthenticated packets. */
  integrity?: { sign: (covered: Buffer) => Buffer };
}

export function encodeV20(f: V20Frame): Buffer {
  const head = Buffer.alloc(12);
  head[0] = AUTH_TYPE_RMCPPLUS;
  head[1] = (f.encrypted ? 0x80 : 0) | (f.integrity ? 0x40 : 0) | (f.payloadType & 0x3f);
  head.writeUInt32LE(f.sessionId >>> 0, 2);
  head.writeUInt32LE(f.seq >>> 0, 6);
  head.writeUInt16LE(f.payload.length, 10);
  if (!f.integrity) return Buffer.concat([rmcpHeader(), head, f.payload]);
  // Integrity pad: auth type … next header must be a multiple of 4 bytes long.
  const unpadded = head.length + f.payload.length + 2;
  const padLen = (4 - (unpadded % 4)) % 4;
  const trailer = Buffer.alloc(padLen + 2, 0xff);
  trailer[padLen] = padLen;
  trailer[padLen + 1] = RMCP_CLASS_IPMI; // next header
  const covered = Buffer.concat([head, f.payload, trailer]);
  return Buffer.concat([rmcpHeader(), covered, f.integrity.sign(covered)]);
}

/** Parse a datagram's RMCP and session wrappers. Integrity and decryption are the caller's (keys). */
export function decodePacket(buf: Buffer, authCodeLength = 0): SessionPacket {
  if (buf.length < 5) throw new CodecError('datagram too short for RMCP');
  if (buf[0] !== RMCP_VERSION) throw new CodecError(`not RMCP (version byte 0x${buf[0]!.toString(16)})`);
  if ((buf[3]! & 0x1f) !== RMCP_CLASS_IPMI)
    throw new CodecError(`RMCP class 0x${buf[3]!.toString(16)} is not IPMI`);
  const authType = buf[4]!;
  if (authType !== AUTH_TYPE_RMCPPLUS) {
    if (buf.length < 14) throw new CodecError('IPMI v1.5 session header truncated');
    const seq = buf.readUInt32LE(5);
    const sessionId = buf.readUInt32LE(9);
    let off = 13;
    if (authType !== AUTH_TYPE_NONE) off += 16;
    if (buf.length < off + 1) throw new CodecError('IPMI v1.5 session header truncated');
    const len = buf[off]!;
    const message = buf.subarray(off + 1, off + 1 + len);
    if (message.length !== len) throw new CodecError('IPMI v1.5 message truncated');
    return { format: 'v15', authType, seq, sessionId, message: Buffer.from(message) };
  }
  if (buf.length < 16) throw new CodecError('RMCP+ session header truncated');
  const pt = buf[5]!;
  const payloadType = pt & 0x3f;
  if (payloadType === 0x02) throw new CodecError('OEM explicit payloads are not supported');
  const sessionId = buf.readUInt32LE(6);
  const seq = buf.readUInt32LE(10);
  const len = buf.readUInt16LE(14);
  const payload = buf.subarray(16, 16 + len);
  if (payload.length !== len) throw new CodecError('RMCP+ payload truncated');
  const authenticated = (pt & 0x40) !== 0;
  const out: SessionPacket = {
    format: 'v20',
    payloadType,
    encrypted: (pt & 0x80) !== 0,
    authenticated,
    sessionId,
    seq,
    payload: Buffer.from(payload),
  };
  if (authenticated) {
    if (authCodeLength <= 0) throw new CodecError('authenticated packet outside an established session');
    const end = buf.length - authCodeLength;
    if (end < 16 + len + 2) throw new CodecError('RMCP+ integrity trailer truncated');
    const padLen = buf[end - 2]!;
    if (end - 2 - padLen !== 16 + len) throw new CodecError('RMCP+ integrity pad length mismatch');
    out.signed = Buffer.from(buf.subarray(4, end));
    out.authCode = Buffer.from(buf.subarray(end));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Meanings an operator can read

const COMPLETION_CODES: Record<number, string> = {
  0x00: 'command completed normally',
  0xc0: 'node busy',
  0xc1: 'invalid command',
  0xc2: 'command invalid for given LUN',
  0xc3: 'timeout while processing command',
  0xc4: 'out of space',
  0xc5: 'reservation cancelled or invalid',
  0xc6: 'request data truncated',
  0xc7: 'request data length invalid',
  0xc8: 'request data field length limit exceeded',
  0xc9: 'parameter out of range',
  0xca: 'cannot return number of requested data bytes',
  0xcb: 'requested sensor, data, or record not present',
  0xcc: 'invalid data field in request',
  0xcd: 'command illegal for specified sensor or record type',
  0xce: 'command response could not be provided',
  0xcf: 'cannot execute duplicated request',
  0xd0: 'SDR repository in update mode',
  0xd1: 'device in firmware update mode',
  0xd2: 'BMC initialization in progress',
  0xd3: 'destination unavailable',
  0xd4: 'insufficient privilege level',
  0xd5: 'command not supported in present state',
  0xd6: 'command sub-function disabled or unavailable',
  0xff: 'unspecified error',
};

export function completionCodeText(cc: number): string {
  const known = COMPLETION_CODES[cc];
  if (known) return known;
  if (cc >= 0x80 && cc <= 0xbe) return 'command-specific error';
  return 'unknown completion code';
}

export function hex(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}
