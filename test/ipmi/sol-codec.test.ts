import { describe, expect, it } from 'vitest';
import {
  decodeActivatePayload,
  decodeActivatePayloadResponse,
  decodeGetPayloadActivationStatusResponse,
  decodeSolPacket,
  encodeActivatePayload,
  encodeActivatePayloadResponse,
  encodeGetPayloadActivationStatusResponse,
  encodeSolPacket,
  nextSolSeq,
} from '../../src/gear/ipmi/sol-codec.ts';
import { SolLink, type Schedule } from '../../src/gear/ipmi/sol-link.ts';

describe('SOL packet codec (IPMI v2.0 §15.9)', () => {
  it('lays out sequence, ack, accepted count and operation bits as ipmitool does', () => {
    const b = encodeSolPacket(
      { seq: 3, ackSeq: 2, acceptedChars: 7, generateBreak: true, data: Buffer.from('ab') },
      'to-bmc',
    );
    expect([...b]).toEqual([3, 2, 7, 0x10, 0x61, 0x62]);
    expect([...encodeSolPacket({ seq: 0, ackSeq: 5, nack: true, deassertCts: true }, 'to-bmc')]).toEqual([
      0, 5, 0, 0x48,
    ]);
    expect([
      ...encodeSolPacket({ seq: 1, transferUnavailable: true, breakDetected: true }, 'to-console'),
    ]).toEqual([1, 0, 0, 0x24]);
  });

  it('reads the status bits of a BMC packet and the operation bits of a console packet', () => {
    const s = decodeSolPacket(Buffer.from([4, 0, 0, 0x10 | 0x08, 0x41]), 'to-console');
    expect(s).toMatchObject({ seq: 4, deactivating: true, transmitOverrun: true, nack: false });
    expect(s.data.toString()).toBe('A');
    const o = decodeSolPacket(Buffer.from([0, 9, 3, 0x40 | 0x20 | 0x04 | 0x01]), 'to-bmc');
    expect(o).toMatchObject({
      seq: 0,
      ackSeq: 9,
      acceptedChars: 3,
      nack: true,
      ringWor: true,
      dropDcdDsr: true,
    });
    expect(o.flushOutbound).toBe(true);
  });

  it('refuses a packet shorter than its header, more than 255 characters, or a sequence past 15', () => {
    expect(() => decodeSolPacket(Buffer.from([1, 0, 0]), 'to-bmc')).toThrow(/header is 4/);
    expect(() => encodeSolPacket({ seq: 1, data: Buffer.alloc(256) }, 'to-bmc')).toThrow(/max 255/);
    expect(() => encodeSolPacket({ seq: 16 }, 'to-bmc')).toThrow(/0\.\.15/);
  });

  it('numbers packets 1..15 and skips 0, which marks acknowledgements', () => {
    expect(nextSolSeq(0)).toBe(1);
    expect(nextSolSeq(14)).toBe(15);
    expect(nextSolSeq(15)).toBe(1);
  });

  it('encodes Activate Payload as ipmitool sends it (C6h: encrypted, authenticated, alerts deferred)', () => {
    const req = encodeActivatePayload({ instance: 1, encrypt: true, authenticate: true, serialAlert: 1 });
    expect([...req]).toEqual([0x01, 0x01, 0xc4, 0, 0, 0]);
    expect(decodeActivatePayload(req)).toMatchObject({
      payloadType: 1,
      instance: 1,
      encrypt: true,
      authenticate: true,
    });
    const rsp = encodeActivatePayloadResponse({
      inboundSize: 0x00ff,
      outboundSize: 0x0100,
      port: 623,
      vlan: 0xffff,
    });
    expect(rsp.length).toBe(12);
    expect(decodeActivatePayloadResponse(rsp)).toEqual({
      inboundSize: 255,
      outboundSize: 256,
      port: 623,
      vlan: 0xffff,
    });
    expect(() => decodeActivatePayloadResponse(Buffer.alloc(4))).toThrow(/12 expected/);
  });

  it('encodes the activation status bitfield of instances 1..16', () => {
    const b = encodeGetPayloadActivationStatusResponse(1, [1]);
    expect([...b]).toEqual([1, 1, 0]);
    expect(decodeGetPayloadActivationStatusResponse(Buffer.from([2, 0x02, 0x80]))).toEqual({
      capacity: 2,
      active: [2, 16],
    });
  });
});

/** A manual clock: timers fire only when the test says so. */
function manualClock() {
  const timers = new Set<{ fn: () => void }>();
  const schedule: Schedule = (fn) => {
    const t = { fn };
    timers.add(t);
    return () => timers.delete(t);
  };
  const fire = () => {
    const all = [...timers];
    timers.clear();
    for (const t of all) t.fn();
  };
  return {
    schedule,
    fire,
    get count() {
      return timers.size;
    },
  };
}

describe('SOL link: sequence numbers, acknowledgements, retransmission', () => {
  function pair() {
    const clock = manualClock();
    const toBmc: Buffer[] = [];
    const toConsole: Buffer[] = [];
    const gotByBmc: string[] = [];
    const gotByConsole: string[] = [];
    const consoleEnd = new SolLink({
      dir: 'to-bmc',
      send: (p) => toBmc.push(p),
      onData: (d) => gotByConsole.push(d.toString()),
      schedule: clock.schedule,
      maxChars: 4,
      retries: 2,
    });
    const bmcEnd = new SolLink({
      dir: 'to-console',
      send: (p) => toConsole.push(p),
      onData: (d) => gotByBmc.push(d.toString()),
      schedule: clock.schedule,
    });
    return { clock, toBmc, toConsole, gotByBmc, gotByConsole, consoleEnd, bmcEnd };
  }

  it('splits input into packets of the accepted size, one in flight, each acknowledged', () => {
    const p = pair();
    p.consoleEnd.write(Buffer.from('root\rpass'));
    expect(p.toBmc).toHaveLength(1);
    expect(decodeSolPacket(p.toBmc[0]!, 'to-bmc')).toMatchObject({ seq: 1 });
    p.bmcEnd.receive(p.toBmc.shift()!);
    expect(decodeSolPacket(p.toConsole[0]!, 'to-console')).toMatchObject({
      seq: 0,
      ackSeq: 1,
      acceptedChars: 4,
    });
    // The ack releases the next packet.
    p.consoleEnd.receive(p.toConsole.shift()!);
    p.bmcEnd.receive(p.toBmc.shift()!);
    p.consoleEnd.receive(p.toConsole.shift()!);
    p.bmcEnd.receive(p.toBmc.shift()!);
    p.consoleEnd.receive(p.toConsole.shift()!);
    expect(p.gotByBmc.join('')).toBe('root\rpass');
    expect(p.consoleEnd.pending).toBe(0);
  });

  it('resends an unacknowledged packet, and the receiver delivers it once but acknowledges again', () => {
    const p = pair();
    p.consoleEnd.write(Buffer.from('ls'));
    const first = p.toBmc.shift()!;
    p.bmcEnd.receive(first);
    p.toConsole.shift(); // the ack is lost
    p.clock.fire();
    const again = p.toBmc.shift()!;
    expect(again.equals(first)).toBe(true);
    p.bmcEnd.receive(again);
    expect(p.gotByBmc).toEqual(['ls']);
    expect(p.bmcEnd.stats.duplicates).toBe(1);
    p.consoleEnd.receive(p.toConsole.shift()!);
    expect(p.consoleEnd.pending).toBe(0);
    expect(p.consoleEnd.stats.retransmitted).toBe(1);
  });

  it('sends the unaccepted rest of a partially acknowledged packet under a new number', () => {
    const p = pair();
    p.consoleEnd.write(Buffer.from('abcd'));
    p.toBmc.shift();
    p.consoleEnd.receive(encodeSolPacket({ seq: 0, ackSeq: 1, acceptedChars: 1 }, 'to-console'));
    const rest = decodeSolPacket(p.toBmc.shift()!, 'to-bmc');
    expect(rest).toMatchObject({ seq: 2 });
    expect(rest.data.toString()).toBe('bcd');
  });

  it('holds a NACKed packet until the retry, and gives up after the retries', () => {
    const p = pair();
    let gaveUp = 0;
    const link = new SolLink({
      dir: 'to-bmc',
      send: (b) => p.toBmc.push(b),
      onData: () => {},
      onGiveUp: () => gaveUp++,
      schedule: p.clock.schedule,
      retries: 2,
    });
    link.write(Buffer.from('x'));
    link.receive(encodeSolPacket({ seq: 0, ackSeq: 1, nack: true }, 'to-console'));
    expect(link.stats.nacked).toBe(1);
    expect(link.pending).toBe(1);
    p.clock.fire();
    p.clock.fire();
    expect(p.toBmc).toHaveLength(3);
    p.clock.fire();
    expect(gaveUp).toBe(1);
    expect(link.pending).toBe(0);
  });

  it('carries a break in the next packet, with or without characters', () => {
    const p = pair();
    p.consoleEnd.sendBreak();
    expect(decodeSolPacket(p.toBmc[0]!, 'to-bmc')).toMatchObject({ seq: 1, generateBreak: true });
  });

  it("gathers a BMC end's output for the accumulate interval, and sends a full packet at once", () => {
    const clock = manualClock();
    const sent: Buffer[] = [];
    const bmc = new SolLink({
      dir: 'to-console',
      send: (p) => sent.push(p),
      onData: () => undefined,
      schedule: clock.schedule,
      maxChars: 8,
      accumulate: { intervalMs: 100, sendThreshold: 8 },
    });
    const data = (i: number) => decodeSolPacket(sent[i]!, 'to-console').data.toString();
    const ack = (seq: number, n: number) =>
      bmc.receive(encodeSolPacket({ seq: 0, ackSeq: seq, acceptedChars: n }, 'to-bmc'));
    bmc.write(Buffer.from('a\r\n'));
    bmc.write(Buffer.from('bc\r\n'));
    // Partial: held for the interval, which started with the first character (one timer, not two).
    expect(sent).toHaveLength(0);
    expect(clock.count).toBe(1);
    clock.fire();
    expect(sent).toHaveLength(1);
    expect(data(0)).toBe('a\r\nbc\r\n');
    ack(1, 7);
    // The threshold reached: a packet goes without waiting; the rest is partial again and waits.
    bmc.write(Buffer.from('0123456789'));
    expect(sent).toHaveLength(2);
    expect(data(1)).toBe('01234567');
    ack(2, 8);
    expect(sent).toHaveLength(2);
    clock.fire();
    expect(data(2)).toBe('89');
    ack(3, 2);
    // A break does not wait.
    bmc.write(Buffer.from('x'));
    bmc.sendBreak();
    expect(sent).toHaveLength(4);
    expect(data(3)).toBe('x');
    expect(bmc.pending).toBe(1);
  });

  it('delivers only the new tail of a retransmission that grew (characters accumulated)', () => {
    const got: string[] = [];
    const link = new SolLink({ dir: 'to-bmc', send: () => {}, onData: (d) => got.push(d.toString()) });
    link.receive(encodeSolPacket({ seq: 5, data: Buffer.from('Boot') }, 'to-console'));
    link.receive(encodeSolPacket({ seq: 5, data: Buffer.from('Booting') }, 'to-console'));
    link.receive(encodeSolPacket({ seq: 6, data: Buffer.from('!') }, 'to-console'));
    expect(got).toEqual(['Boot', 'ing', '!']);
  });
});
