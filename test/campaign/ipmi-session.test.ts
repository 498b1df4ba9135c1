import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import type { IpmiTarget } from '../../src/gear/ipmi/session.ts';
import { describeError } from '../../src/util/errors.ts';
import { startLab, type Lab } from '../ipmi/helpers.ts';
import { bounded, expectClean } from './clean.ts';

/**
 * IPMI inside an established session (issue 13): a man in the middle between rackpilot's client
 * and a lab BMC, on a live RMCP+ session, sends the client datagrams that belong to another
 * session (genuine, signed by the BMC for another console) and replays the BMC's own earlier
 * answers (valid signature, old session sequence number). The client must drop them and either
 * get the right answer or end naming the BMC — never act on a stale or foreign answer.
 */
let lab: Lab;
let bmcPort = 0;

/** Answers to the console from the BMC, per console address. */
type Tamper = (from: string, answer: Buffer, send: (d: Buffer) => void) => void;

interface Proxy {
  port: number;
  /** Signed session answers (v2.0, IPMI payload, authenticated) the BMC sent each console, in order. */
  answers: Map<string, Buffer[]>;
  tamper: Tamper | undefined;
  close(): void;
}

function isSessionAnswer(d: Buffer): boolean {
  return (
    d.length > 16 && d[4] === 0x06 && (d[5]! & 0x3f) === 0 && (d[5]! & 0x40) !== 0 && d.readUInt32LE(6) !== 0
  );
}

async function startProxy(): Promise<Proxy> {
  const front = createSocket('udp4');
  const upstream = new Map<string, Socket>();
  const p: Proxy = {
    port: 0,
    answers: new Map(),
    tamper: undefined,
    close: () => {
      front.close();
      for (const s of upstream.values()) s.close();
    },
  };
  front.on('message', (msg, rinfo: RemoteInfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let up = upstream.get(key);
    if (!up) {
      up = createSocket('udp4');
      up.on('message', (answer) => {
        const send = (d: Buffer) => front.send(d, rinfo.port, rinfo.address);
        if (isSessionAnswer(answer)) p.answers.set(key, [...(p.answers.get(key) ?? []), Buffer.from(answer)]);
        if (p.tamper && isSessionAnswer(answer)) p.tamper(key, answer, send);
        else send(answer);
      });
      upstream.set(key, up);
    }
    up.send(msg, bmcPort, '127.0.0.1');
  });
  await new Promise<void>((ok) => front.bind(0, '127.0.0.1', ok));
  p.port = (front.address() as AddressInfo).port;
  return p;
}

let proxy: Proxy;
const clients: IpmiClient[] = [];
let host = '';
let target: IpmiTarget;

function client(): IpmiClient {
  const c = new IpmiClient({ timeoutMs: 200, retries: 2, keepAliveMs: 0 });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  lab = await startLab(1);
  const t = lab.targets[0]!;
  bmcPort = t.port!;
  host = t.name!;
  proxy = await startProxy();
  target = { ...t, port: proxy.port };
});
afterEach(async () => {
  proxy.tamper = undefined;
  await Promise.all(clients.splice(0).map((c) => c.close()));
  // A closed client's port may be reused by the next one: each case starts with no history.
  proxy.answers.clear();
});
afterAll(async () => {
  proxy?.close();
  await lab?.bmcs.close();
});

async function outcome(p: Promise<string>): Promise<{ power?: string; error?: string }> {
  return bounded(
    p.then(
      (power) => ({ power }),
      (e: unknown) => ({ error: describeError(e) }),
    ),
    10_000,
    'power status',
  );
}

describe('a live RMCP+ session: foreign and replayed datagrams are dropped', () => {
  it("another session's genuine answer first, then the right one: the right answer", async () => {
    lab.world.setPower(host, 'on', 'test');
    const a = client();
    const b = client();
    expect(await a.powerStatus(target)).toBe('on');
    expect(await b.powerStatus(target)).toBe('on');
    const keys = [...proxy.answers.keys()];
    expect(keys).toHaveLength(2);
    // Every answer to B is sent to A first: signed by the BMC, for B's session id.
    const [keyA, keyB] = keys as [string, string];
    lab.world.setPower(host, 'off', 'test');
    let foreign = 0;
    proxy.tamper = (from, answer, send) => {
      if (from === keyA) {
        const last = proxy.answers.get(keyB)!.at(-1)!;
        send(last);
        foreign++;
      }
      send(answer);
    };
    const r = await outcome(a.powerStatus(target));
    expect(foreign).toBeGreaterThan(0);
    expect(r).toEqual({ power: 'off' });
  });

  it('only datagrams with a wrong session id: the call ends naming the BMC', async () => {
    lab.world.setPower(host, 'on', 'test');
    const a = client();
    expect(await a.powerStatus(target)).toBe('on');
    proxy.tamper = (_from, answer, send) => {
      const wrong = Buffer.from(answer);
      wrong.writeUInt32LE((wrong.readUInt32LE(6) ^ 0x5a5a5a5a) >>> 0, 6);
      send(wrong);
    };
    const r = await outcome(a.powerStatus(target));
    expect(r.power).toBeUndefined();
    expectClean(r.error!, host, { secrets: [target.password] });
    expect(r.error).toMatch(/did not answer/);
  });

  it("the BMC's earlier answer replayed before the real one: the right answer", async () => {
    lab.world.setPower(host, 'off', 'test');
    const a = client();
    expect(await a.powerStatus(target)).toBe('off');
    lab.world.setPower(host, 'on', 'test');
    let replayed = 0;
    proxy.tamper = (from, answer, send) => {
      const old = proxy.answers.get(from)!;
      for (const d of old.slice(0, -1)) (send(d), replayed++);
      send(answer);
    };
    const r = await outcome(a.powerStatus(target));
    expect(replayed).toBeGreaterThan(0);
    expect(r).toEqual({ power: 'on' });
  });

  // 64 commands into a session (the runner's sweeps reuse sessions for hours) a replayed answer to
  // the same command carries the same 6-bit request sequence: only the BMC's session sequence
  // numbers (each accepted once, within a window behind the highest) tell it apart. Here it would
  // say power "off" while the host is on.
  it('a replayed answer to the same command with the same request sequence (64 commands later) is not taken', async () => {
    lab.world.setPower(host, 'off', 'test');
    const a = client();
    expect(await a.powerStatus(target)).toBe('off');
    expect(proxy.answers.size).toBe(1);
    const stale = [...proxy.answers.values()][0]!.at(-1)!;
    lab.world.setPower(host, 'on', 'test');
    // The IPMI request sequence (rqSeq) is 6 bits: 63 more commands bring it back to the same value.
    for (let i = 0; i < 63; i++) expect(await a.powerStatus(target)).toBe('on');
    // The man in the middle holds back the BMC's first answer and replays the stale one instead
    // (a valid signature, an old session sequence number); retransmissions get through.
    let held = false;
    proxy.tamper = (_from, answer, send) => {
      if (!held) {
        held = true;
        send(stale);
        return;
      }
      send(answer);
    };
    const r = await outcome(a.powerStatus(target));
    expect(held).toBe(true);
    if (r.error !== undefined) expectClean(r.error, host);
    else expect(r).toEqual({ power: 'on' });
  });
});
