import { describe, expect, it } from 'vitest';
import {
  decodePacket,
  decodeResponse,
  encodeRequest,
  encodeV15,
  encodeV20,
  PayloadType,
} from '../../src/gear/ipmi/codec.ts';
import { decodeAuthCapsResponse } from '../../src/gear/ipmi/commands.ts';
import {
  CIPHER_SUITES,
  decryptPayload,
  deriveSessionKeys,
  encryptPayload,
  integrityCode,
  rakp2AuthCode,
  rakp3AuthCode,
  sessionIntegrityKey,
  userKey,
  type RakpContext,
} from '../../src/gear/ipmi/crypto.ts';
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
} from '../../src/gear/ipmi/rmcpplus.ts';
import { LabBmc, type BmcHostAccess } from '../../src/lab/bmc-core.ts';
import type { BootDevice } from '../../src/lab/world.ts';

const suite = CIPHER_SUITES[3];

function fakeHost() {
  const state = {
    power: 'on' as 'on' | 'off',
    device: 'none' as BootDevice,
    persistent: false,
    efi: false,
    transitions: 0,
  };
  const host: BmcHostAccess = {
    power: () => state.power,
    setPower: (p) => {
      if (p !== state.power) state.transitions++;
      state.power = p;
    },
    boot: () => ({ device: state.device, persistent: state.persistent, efi: state.efi }),
    setBoot: (device, persistent, efi) => Object.assign(state, { device, persistent, efi }),
  };
  return { state, host };
}

const one = (out: Buffer[]) => {
  expect(out).toHaveLength(1);
  const p = decodePacket(out[0]!);
  if (p.format !== 'v20') throw new Error('expected RMCP+');
  return p;
};

/** Drive Open Session and RAKP 1–3 by hand; returns the RAKP 4 packet and what is needed next. */
function handshake(bmc: LabBmc, password: string) {
  const consoleSid = 0x0a0b0c0d;
  const open = decodeOpenSessionResponse(
    one(
      bmc.handle(
        encodeV20({
          payloadType: PayloadType.OpenSessionRequest,
          sessionId: 0,
          seq: 0,
          encrypted: false,
          payload: encodeOpenSessionRequest({
            tag: 1,
            maxPrivilege: 4,
            consoleSessionId: consoleSid,
            authAlg: 1,
            integrityAlg: 1,
            confidentialityAlg: 1,
          }),
        }),
      ),
    ).payload,
  );
  expect(open.status).toBe(0);
  const ctx: RakpContext = {
    consoleSessionId: consoleSid,
    bmcSessionId: open.bmcSessionId,
    consoleRandom: Buffer.alloc(16, 0x5a),
    bmcRandom: Buffer.alloc(0),
    bmcGuid: Buffer.alloc(0),
    role: 0x14,
    username: 'admin',
  };
  const rakp1 = encodeV20({
    payloadType: PayloadType.Rakp1,
    sessionId: 0,
    seq: 0,
    encrypted: false,
    payload: encodeRakp1({
      tag: 2,
      bmcSessionId: open.bmcSessionId,
      consoleRandom: ctx.consoleRandom,
      role: ctx.role,
      username: 'admin',
    }),
  });
  const rakp2Wire = bmc.handle(rakp1);
  const rakp2 = decodeRakp2(one(rakp2Wire).payload);
  expect(rakp2.status).toBe(0);
  // A retransmitted RAKP 1 gets the very same RAKP 2.
  expect(bmc.handle(rakp1)[0]!.equals(rakp2Wire[0]!)).toBe(true);
  ctx.bmcRandom = rakp2.bmcRandom;
  ctx.bmcGuid = rakp2.bmcGuid;
  const kuid = userKey(password);
  const rakp4 = decodeRakp4(
    one(
      bmc.handle(
        encodeV20({
          payloadType: PayloadType.Rakp3,
          sessionId: 0,
          seq: 0,
          encrypted: false,
          payload: encodeRakp3({
            tag: 2,
            status: 0,
            bmcSessionId: open.bmcSessionId,
            authCode: rakp3AuthCode(suite, kuid, ctx),
          }),
        }),
      ),
    ).payload,
  );
  return { rakp2, rakp4, ctx, kuid, bmcSid: open.bmcSessionId, consoleSid };
}

describe('lab BMC core', () => {
  it('answers the v1.5 auth capabilities probe with IPMI v2.0 support', () => {
    const bmc = new LabBmc(fakeHost().host, { name: 'h1', username: 'admin', password: 'secret-pw' });
    const out = bmc.handle(
      Buffer.from('0600ff070000000000000000000920 18c88100388e04b5'.replace(/ /g, ''), 'hex'),
    );
    const p = decodePacket(out[0]!);
    if (p.format !== 'v15') throw new Error('expected a v1.5 answer to a v1.5 probe');
    const r = decodeResponse(p.message);
    expect(r).toMatchObject({ cmd: 0x38, completionCode: 0 });
    expect(decodeAuthCapsResponse(r.data)).toMatchObject({
      extended: true,
      supportsV20: true,
      nonNullUsers: true,
    });
  });

  it('wrong password: RAKP 2 does not verify for the console, and RAKP 3 gets status 0x0F', () => {
    const bmc = new LabBmc(fakeHost().host, { name: 'h1', username: 'admin', password: 'secret-pw' });
    const { rakp2, rakp4, ctx, kuid } = handshake(bmc, 'guessed-pw');
    expect(rakp2AuthCode(suite, kuid, ctx).equals(rakp2.authCode)).toBe(false);
    expect(rakp4.status).toBe(0x0f); // invalid integrity check value
    expect(bmc.sessionCount).toBe(0);
  });

  it('executes a retransmitted command once and replays the same answer', () => {
    const { state, host } = fakeHost();
    const bmc = new LabBmc(host, { name: 'h1', username: 'admin', password: 'secret-pw' });
    const { rakp4, ctx, kuid, bmcSid, consoleSid } = handshake(bmc, 'secret-pw');
    expect(rakp4.status).toBe(0);
    const keys = deriveSessionKeys(suite, sessionIntegrityKey(suite, kuid, ctx));
    let seq = 1;
    const send = (netFn: number, cmd: number, data: number[], rqSeq: number) =>
      encodeV20({
        payloadType: PayloadType.IPMI,
        sessionId: bmcSid,
        seq: seq++,
        encrypted: true,
        payload: encryptPayload(
          keys.aesKey,
          encodeRequest({
            rsAddr: 0x20,
            netFn,
            rsLun: 0,
            rqAddr: 0x81,
            rqSeq,
            rqLun: 0,
            cmd,
            data: Buffer.from(data),
          }),
        ),
        integrity: { sign: (c) => integrityCode(keys, c) },
      });
    const answer = (out: Buffer[]) => {
      const p = decodePacket(out[0]!, suite.integrityLength);
      if (p.format !== 'v20') throw new Error('expected RMCP+');
      expect(p.sessionId).toBe(consoleSid);
      return decodeResponse(decryptPayload(keys.aesKey, p.payload));
    };
    // Sessions start at user level: chassis control needs operator.
    expect(answer(bmc.handle(send(0x00, 0x02, [0x02], 1))).completionCode).toBe(0xd4);
    expect(answer(bmc.handle(send(0x06, 0x3b, [0x04], 2))).data[0]).toBe(4);
    const cycle = send(0x00, 0x02, [0x02], 3);
    const first = bmc.handle(cycle);
    expect(answer(first).completionCode).toBe(0);
    expect(state.transitions).toBe(2);
    const again = bmc.handle(cycle);
    expect(again[0]!.equals(first[0]!)).toBe(true);
    expect(state.transitions).toBe(2);
    // A packet signed with another key is dropped silently, as real BMCs do.
    const forged = Buffer.from(send(0x00, 0x02, [0x00], 4));
    forged[forged.length - 1]! ^= 0xff;
    expect(bmc.handle(forged)).toEqual([]);
    expect(state.power).toBe('on');
  });

  it('refuses algorithms outside suites 3 and 17 with "no cipher suite match"', () => {
    const bmc = new LabBmc(fakeHost().host, { name: 'h1', username: 'admin', password: 'secret-pw' });
    const r = decodeOpenSessionResponse(
      one(
        bmc.handle(
          encodeV20({
            payloadType: PayloadType.OpenSessionRequest,
            sessionId: 0,
            seq: 0,
            encrypted: false,
            payload: encodeOpenSessionRequest({
              tag: 1,
              maxPrivilege: 4,
              consoleSessionId: 5,
              authAlg: 0,
              integrityAlg: 0,
              confidentialityAlg: 0,
            }),
          }),
        ),
      ).payload,
    );
    expect(r.status).toBe(0x11);
  });

  it('forgets idle sessions after its timeout', () => {
    let now = 1_000;
    const bmc = new LabBmc(fakeHost().host, {
      name: 'h1',
      username: 'admin',
      password: 'secret-pw',
      sessionTimeoutMs: 60_000,
      now: () => now,
    });
    handshake(bmc, 'secret-pw');
    expect(bmc.sessionCount).toBe(1);
    now += 60_001;
    expect(bmc.sessionCount).toBe(0);
  });

  it('ignores v1.5 session traffic it does not support', () => {
    const bmc = new LabBmc(fakeHost().host, { name: 'h1', username: 'admin', password: 'secret-pw' });
    expect(bmc.handle(encodeV15(1, 0x1234, Buffer.from('2018c88104017a', 'hex')))).toEqual([]);
  });
});
