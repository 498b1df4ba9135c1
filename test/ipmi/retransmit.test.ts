import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import { decodePacket } from '../../src/gear/ipmi/codec.ts';
import { LabBmc } from '../../src/lab/bmc-core.ts';

/** A lab BMC behind a socket that drops chosen inbound datagrams and records all of them. */
let socket: dgram.Socket;
let port: number;
const seen: Buffer[] = [];
let dropIndexes = new Set<number>();
let power: 'on' | 'off' = 'on';
const bmc = new LabBmc(
  {
    power: () => power,
    setPower: (p) => (power = p),
    boot: () => ({ device: 'none', persistent: false, efi: false }),
    setBoot: () => {},
  },
  { name: 'lossy', username: 'admin', password: 'lossy-pass' },
);

beforeAll(async () => {
  socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const i = seen.push(msg) - 1;
    if (dropIndexes.has(i)) return;
    for (const out of bmc.handle(msg)) socket.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  port = socket.address().port;
});
afterAll(() => socket.close());

describe('retransmission', () => {
  it('resends the very same datagram (same session sequence number) when an answer is lost', async () => {
    const client = new IpmiClient({ timeoutMs: 100, retries: 3 });
    const target = { host: '127.0.0.1', port, username: 'admin', password: 'lossy-pass', name: 'lossy' };
    await client.powerStatus(target); // handshake + first command, nothing dropped
    const before = seen.length;
    dropIndexes = new Set([before, before + 1]); // lose the next request twice
    expect(await client.powerStatus(target)).toBe('on');
    const attempts = seen.slice(before);
    expect(attempts).toHaveLength(3);
    expect(attempts[1]!.equals(attempts[0]!)).toBe(true);
    expect(attempts[2]!.equals(attempts[0]!)).toBe(true);
    const p = decodePacket(attempts[0]!, 12);
    if (p.format !== 'v20') throw new Error('expected RMCP+');
    expect(p.seq).toBe(2); // reads need no Set Session Privilege Level: 1 was the first Get Chassis Status
    await client.close();
  });

  it('reads take five datagrams from a cold start; the first power command raises privilege once', async () => {
    const client = new IpmiClient({ timeoutMs: 500, retries: 3 });
    const target = { host: '127.0.0.1', port, username: 'admin', password: 'lossy-pass', name: 'lossy' };
    dropIndexes = new Set();
    let mark = seen.length;
    await client.powerStatus(target); // auth caps, Open Session, RAKP 1, RAKP 3, Get Chassis Status
    expect(seen.length - mark).toBe(5);
    mark = seen.length;
    await client.power(target, 'off'); // Set Session Privilege Level, Chassis Control
    expect(seen.length - mark).toBe(2);
    expect(power).toBe('off');
    mark = seen.length;
    await client.power(target, 'on');
    expect(seen.length - mark).toBe(1);
    await client.close();
  });

  it('pre-session requests are retransmitted identically too, then fail naming the BMC', async () => {
    const client = new IpmiClient({ timeoutMs: 50, retries: 2 });
    const before = seen.length;
    dropIndexes = new Set([before, before + 1, before + 2]);
    const target = { host: '127.0.0.1', port, username: 'admin', password: 'lossy-pass', name: 'lossy' };
    await expect(client.powerStatus(target)).rejects.toThrow(/BMC lossy \(127\.0\.0\.1:\d+\) did not answer/);
    const attempts = seen.slice(before);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.toString('hex'))).size).toBe(1);
    await client.close();
  });
});
