/**
 * Serial-over-LAN wire formats (IPMI v2.0 §15 and §24): the SOL payload (payload type 0x01) and
 * the Activate / Deactivate Payload and Get Payload Activation Status commands that bracket it.
 * Shared by the client and the lab BMC. Pure functions over Buffers.
 */
import { CodecError, NetFn } from './codec.ts';

export const SolCmd = {
  ActivatePayload: { netFn: NetFn.App, cmd: 0x48 },
  DeactivatePayload: { netFn: NetFn.App, cmd: 0x49 },
  GetPayloadActivationStatus: { netFn: NetFn.App, cmd: 0x4a },
} as const;

export const SOL_PAYLOAD_TYPE = 0x01;
/** SOL sequence numbers run 1..15; 0 marks an acknowledgement-only packet. */
export const SOL_MAX_SEQ = 0x0f;
/** The accepted-character-count field is one byte: no packet carries more characters. */
export const SOL_MAX_CHARS = 255;

/**
 * One SOL packet (§15.9). The operation/status byte means different things by direction:
 * console → BMC carries operations (break, CTS, DCD/DSR, ring, flushes), BMC → console carries
 * status (character transfer unavailable, deactivating, overrun, break detected). NACK (bit 6)
 * exists both ways.
 */
export interface SolPacket {
  /** 1..15, or 0 for a packet that only acknowledges. */
  seq: number;
  /** The sequence number being acknowledged (or NACKed), 0 for none. */
  ackSeq: number;
  /** Characters of the acknowledged packet accepted (fewer than sent: resend the rest). */
  acceptedChars: number;
  nack: boolean;
  /** Console → BMC operations. */
  ringWor?: boolean;
  generateBreak?: boolean;
  deassertCts?: boolean;
  dropDcdDsr?: boolean;
  flushInbound?: boolean;
  flushOutbound?: boolean;
  /** BMC → console status. */
  transferUnavailable?: boolean;
  deactivating?: boolean;
  transmitOverrun?: boolean;
  breakDetected?: boolean;
  data: Buffer;
}

export type SolDirection = 'to-bmc' | 'to-console';

export function encodeSolPacket(p: Partial<SolPacket> & { data?: Buffer }, dir: SolDirection): Buffer {
  const data = p.data ?? Buffer.alloc(0);
  const seq = p.seq ?? 0;
  if (seq < 0 || seq > SOL_MAX_SEQ) throw new CodecError(`SOL sequence number ${seq} is not 0..15`);
  if (data.length > SOL_MAX_CHARS) throw new CodecError(`SOL packet of ${data.length} characters (max 255)`);
  let op = p.nack ? 0x40 : 0;
  if (dir === 'to-bmc') {
    if (p.ringWor) op |= 0x20;
    if (p.generateBreak) op |= 0x10;
    if (p.deassertCts) op |= 0x08;
    if (p.dropDcdDsr) op |= 0x04;
    if (p.flushInbound) op |= 0x02;
    if (p.flushOutbound) op |= 0x01;
  } else {
    if (p.transferUnavailable) op |= 0x20;
    if (p.deactivating) op |= 0x10;
    if (p.transmitOverrun) op |= 0x08;
    if (p.breakDetected) op |= 0x04;
  }
  const head = Buffer.from([seq & 0x0f, (p.ackSeq ?? 0) & 0x0f, (p.acceptedChars ?? 0) & 0xff, op]);
  return Buffer.concat([head, data]);
}

export function decodeSolPacket(buf: Buffer, dir: SolDirection): SolPacket {
  if (buf.length < 4) throw new CodecError(`SOL packet of ${buf.length} bytes (header is 4)`);
  const op = buf[3]!;
  const base = {
    seq: buf[0]! & 0x0f,
    ackSeq: buf[1]! & 0x0f,
    acceptedChars: buf[2]!,
    nack: (op & 0x40) !== 0,
    data: Buffer.from(buf.subarray(4)),
  };
  if (dir === 'to-bmc') {
    return {
      ...base,
      ringWor: (op & 0x20) !== 0,
      generateBreak: (op & 0x10) !== 0,
      deassertCts: (op & 0x08) !== 0,
      dropDcdDsr: (op & 0x04) !== 0,
      flushInbound: (op & 0x02) !== 0,
      flushOutbound: (op & 0x01) !== 0,
    };
  }
  return {
    ...base,
    transferUnavailable: (op & 0x20) !== 0,
    deactivating: (op & 0x10) !== 0,
    transmitOverrun: (op & 0x08) !== 0,
    breakDetected: (op & 0x04) !== 0,
  };
}

/** The next sequence number after `seq`: 1..15, wrapping past 0 (reserved for acks). */
export function nextSolSeq(seq: number): number {
  return seq >= SOL_MAX_SEQ ? 1 : seq + 1;
}

// --- Activate / Deactivate Payload ------------------------------------------------------------

export interface ActivatePayloadRequest {
  instance: number;
  encrypt: boolean;
  authenticate: boolean;
  /**
   * Aux byte bits 3:2, shared serial alert behaviour: 0 fail, 1 deferred, 2 succeed. Bit 1: the
   * BMC asserts CTS and DCD/DSR only once the console has sent its first packet (startup handshake).
   */
  serialAlert?: 0 | 1 | 2;
  startupHandshake?: boolean;
}

export function encodeActivatePayload(r: ActivatePayloadRequest): Buffer {
  let aux = (r.encrypt ? 0x80 : 0) | (r.authenticate ? 0x40 : 0);
  aux |= ((r.serialAlert ?? 1) & 3) << 2;
  if (r.startupHandshake) aux |= 0x02;
  return Buffer.from([SOL_PAYLOAD_TYPE, r.instance & 0x0f, aux, 0, 0, 0]);
}

export function decodeActivatePayload(data: Buffer): ActivatePayloadRequest & { payloadType: number } {
  if (data.length < 6) throw new CodecError(`Activate Payload request of ${data.length} bytes (6 expected)`);
  const aux = data[2]!;
  return {
    payloadType: data[0]! & 0x3f,
    instance: data[1]! & 0x0f,
    encrypt: (aux & 0x80) !== 0,
    authenticate: (aux & 0x40) !== 0,
    serialAlert: ((aux >> 2) & 3) as 0 | 1 | 2,
    startupHandshake: (aux & 0x02) !== 0,
  };
}

export interface ActivatePayloadResponse {
  /** Largest SOL payload the BMC accepts from the console, header included. */
  inboundSize: number;
  /** Largest SOL payload the BMC sends. */
  outboundSize: number;
  /** UDP port the payload flows on (the session's own port on every BMC ipmitool supports). */
  port: number;
  /** VLAN of the payload, 0xFFFF for none. */
  vlan: number;
}

export function encodeActivatePayloadResponse(r: ActivatePayloadResponse): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16LE(r.inboundSize, 4);
  out.writeUInt16LE(r.outboundSize, 6);
  out.writeUInt16LE(r.port, 8);
  out.writeUInt16LE(r.vlan, 10);
  return out;
}

export function decodeActivatePayloadResponse(data: Buffer): ActivatePayloadResponse {
  if (data.length < 12) {
    throw new CodecError(`Activate Payload answer of ${data.length} data bytes (12 expected)`);
  }
  return {
    inboundSize: data.readUInt16LE(4),
    outboundSize: data.readUInt16LE(6),
    port: data.readUInt16LE(8),
    vlan: data.readUInt16LE(10),
  };
}

export function encodeDeactivatePayload(instance: number): Buffer {
  return Buffer.from([SOL_PAYLOAD_TYPE, instance & 0x0f, 0, 0, 0, 0]);
}

export function encodeGetPayloadActivationStatusResponse(capacity: number, active: number[]): Buffer {
  let bits = 0;
  for (const i of active) bits |= 1 << (i - 1);
  return Buffer.from([capacity & 0x0f, bits & 0xff, (bits >> 8) & 0xff]);
}

export function decodeGetPayloadActivationStatusResponse(data: Buffer): {
  capacity: number;
  active: number[];
} {
  if (data.length < 3) throw new CodecError('Get Payload Activation Status answer truncated');
  const bits = data[1]! | (data[2]! << 8);
  const active: number[] = [];
  for (let i = 0; i < 16; i++) if (bits & (1 << i)) active.push(i + 1);
  return { capacity: data[0]! & 0x0f, active };
}

/** Activate Payload's command-specific completion codes (§24.1), as ipmitool words them. */
export const ACTIVATE_PAYLOAD_CODES: Readonly<Record<number, string>> = {
  0x80: 'SOL payload already active on another session',
  0x81: 'SOL payload disabled',
  0x82: 'SOL payload activation limit reached',
  0x83: 'cannot activate SOL payload with encryption',
  0x84: 'cannot activate SOL payload without encryption',
};
