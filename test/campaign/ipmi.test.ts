import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import {
  CodecError,
  decodePacket,
  decodeRequest,
  decodeResponse,
  encodeResponse,
  encodeV20,
  PayloadType,
} from '../../src/gear/ipmi/codec.ts';
import { decodeOpenSessionResponse, decodeRakp2 } from '../../src/gear/ipmi/rmcpplus.ts';
import { describeError } from '../../src/util/errors.ts';
import { bounded, expectClean } from './clean.ts';

/** IPMI packets a BMC (or anyone on the network) might send: a typed refusal or a named timeout. */
const good = encodeResponse({
  rqAddr: 0x81,
  netFn: 0x01,
  rqLun: 0,
  rsAddr: 0x20,
  rqSeq: 1,
  rsLun: 0,
  cmd: 0x01,
  completionCode: 0,
  data: Buffer.from([1, 2, 3]),
});
const flip = (b: Buffer, i: number) => {
  const c = Buffer.from(b);
  c[i] = c[i]! ^ 0xff;
  return c;
};
const v20 = encodeV20({
  payloadType: PayloadType.IPMI,
  sessionId: 7,
  seq: 1,
  payload: good,
  encrypted: false,
});

type Case = [label: string, decode: () => unknown];
const CODEC: Case[] = [
  ['an empty datagram', () => decodePacket(Buffer.alloc(0))],
  ['4 bytes', () => decodePacket(Buffer.from([6, 0, 0xff, 7]))],
  ['not RMCP (version byte)', () => decodePacket(Buffer.from([5, 0, 0xff, 7, 0, 0, 0, 0]))],
  ['RMCP class ASF, not IPMI', () => decodePacket(Buffer.from([6, 0, 0xff, 6, 0, 0, 0, 0]))],
  ['v1.5 header truncated', () => decodePacket(Buffer.from([6, 0, 0xff, 7, 0, 1, 2]))],
  [
    'v1.5 message truncated',
    () => decodePacket(Buffer.from([6, 0, 0xff, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 1])),
  ],
  ['v1.5 with auth code cut', () => decodePacket(Buffer.from([6, 0, 0xff, 7, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1]))],
  ['RMCP+ header truncated', () => decodePacket(v20.subarray(0, 12))],
  ['RMCP+ payload truncated', () => decodePacket(v20.subarray(0, v20.length - 3))],
  [
    'RMCP+ OEM explicit payload',
    () => decodePacket(Buffer.from([6, 0, 0xff, 7, 6, 2, ...Array(14).fill(0)])),
  ],
  [
    'authenticated outside a session',
    () => decodePacket(Buffer.from([...v20.subarray(0, 5), 0x40, ...v20.subarray(6)])),
  ],
  [
    'authenticated, trailer cut',
    () => decodePacket(Buffer.from([...v20.subarray(0, 5), 0x40, ...v20.subarray(6)]), 12),
  ],
  ['response: short', () => decodeResponse(Buffer.from([1, 2, 3]))],
  ['response: bad header checksum', () => decodeResponse(flip(good, 2))],
  ['response: bad data checksum', () => decodeResponse(flip(good, good.length - 1))],
  ['response: corrupted payload byte', () => decodeResponse(flip(good, 7))],
  ['response: no completion code', () => decodeResponse(Buffer.from([0x81, 0x04, 0x7b, 0x20, 0x04, 0xdc]))],
  ['request: short', () => decodeRequest(Buffer.from([0x20]))],
  ['request: bad checksum', () => decodeRequest(flip(good, 2))],
  ['open session response: short', () => decodeOpenSessionResponse(Buffer.from([0, 0, 4]))],
  ['RAKP 2: short', () => decodeRakp2(Buffer.from([0, 0, 0, 0, 1]))],
];

describe('malformed IPMI packets: a typed CodecError, nothing else', () => {
  it.each(CODEC)('%s', (_l, decode) => {
    let err: unknown;
    try {
      decode();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CodecError);
    expectClean((err as Error).message, /\w/);
  });
});

/** A fake "BMC" on UDP that answers each datagram with whatever the case says. */
let bmc: Socket;
let reply: (msg: Buffer) => Buffer | null = () => null;
beforeAll(async () => {
  bmc = createSocket('udp4');
  bmc.on('message', (msg, rinfo) => {
    const r = reply(msg);
    if (r) bmc.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((ok) => bmc.bind(0, '127.0.0.1', ok));
});
afterAll(() => bmc.close());

const PEERS: [label: string, reply: (msg: Buffer) => Buffer | null][] = [
  ['a BMC that never answers', () => null],
  ['garbage bytes', () => Buffer.from('hello, this is not IPMI')],
  ['a short datagram', () => Buffer.from([6, 0])],
  ['a v1.5 answer with a bad checksum', (m) => Buffer.concat([m.subarray(0, 14), flip(good, 2)])],
  [
    'an RMCP+ packet for another session id',
    () =>
      encodeV20({
        payloadType: 0x11,
        sessionId: 0xdeadbeef,
        seq: 1,
        payload: Buffer.alloc(36),
        encrypted: false,
      }),
  ],
  ['its own request replayed back', (m) => m],
];

describe('a BMC that answers badly: the call ends naming the BMC', () => {
  it.each(PEERS)('%s', async (_l, r) => {
    reply = r;
    const ipmi = new IpmiClient({ timeoutMs: 100, retries: 1, keepAliveMs: 0 });
    try {
      const port = (bmc.address() as AddressInfo).port;
      const err = await bounded(
        ipmi
          .powerStatus({
            host: '127.0.0.1',
            port,
            username: 'admin',
            password: 'Bmc-Secret-42',
            name: 'bmc-r01-n001',
          })
          .then(
            () => null,
            (e: unknown) => e,
          ),
        5_000,
        'power status',
      );
      expect(err).not.toBeNull();
      expectClean(describeError(err), /bmc-r01-n001/, { secrets: ['Bmc-Secret-42'] });
    } finally {
      await ipmi.close();
    }
  });
});

export const IPMI_CASES = CODEC.length + PEERS.length;
