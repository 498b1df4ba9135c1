import { describe, expect, it } from 'vitest';
import {
  checksum,
  CodecError,
  completionCodeText,
  decodePacket,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeV15,
  encodeV20,
  PayloadType,
  responseFor,
} from '../../src/gear/ipmi/codec.ts';
import {
  decodeAuthCapsResponse,
  decodeBootFlags,
  decodeChassisStatusResponse,
  decodeDeviceIdResponse,
  decodeGetBootOptionResponse,
  encodeAuthCapsResponse,
  encodeBootFlags,
  encodeChassisStatusResponse,
  encodeDeviceIdResponse,
  encodeGetBootOptionResponse,
} from '../../src/gear/ipmi/commands.ts';
import {
  decodeOpenSessionRequest,
  decodeOpenSessionResponse,
  decodeRakp1,
  decodeRakp2,
  decodeRakp3,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeOpenSessionResponse,
  encodeRakp1,
  encodeRakp2,
  encodeRakp3,
  encodeRakp4,
} from '../../src/gear/ipmi/rmcpplus.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('IPMI message codec', () => {
  it('computes the two-complement checksums of the spec (Get Device ID from software ID 81h)', () => {
    const req = encodeRequest({
      rsAddr: 0x20,
      netFn: 0x06,
      rsLun: 0,
      rqAddr: 0x81,
      rqSeq: 1,
      rqLun: 0,
      cmd: 0x01,
      data: Buffer.alloc(0),
    });
    expect(req.toString('hex')).toBe('2018c88104017a');
    expect(checksum(hex('2018'))).toBe(0xc8);
    expect(decodeRequest(req)).toMatchObject({ netFn: 6, cmd: 1, rqSeq: 1, rqAddr: 0x81, rsAddr: 0x20 });
  });

  it('frames Get Channel Authentication Capabilities exactly as the well-known v1.5 probe', () => {
    const msg = encodeRequest({
      rsAddr: 0x20,
      netFn: 0x06,
      rsLun: 0,
      rqAddr: 0x81,
      rqSeq: 0,
      rqLun: 0,
      cmd: 0x38,
      data: hex('8e04'),
    });
    expect(encodeV15(0, 0, msg).toString('hex')).toBe(
      '0600ff07' + '00' + '00000000' + '00000000' + '09' + '2018c88100388e04b5',
    );
    const back = decodePacket(encodeV15(0, 0, msg));
    expect(back.format).toBe('v15');
    if (back.format === 'v15') expect(back.message.equals(msg)).toBe(true);
  });

  it('rejects corrupted checksums', () => {
    const req = encodeRequest({
      rsAddr: 0x20,
      netFn: 0,
      rsLun: 0,
      rqAddr: 0x81,
      rqSeq: 3,
      rqLun: 0,
      cmd: 1,
      data: Buffer.alloc(0),
    });
    const bad = Buffer.from(req);
    bad[5] = 0x02;
    expect(() => decodeRequest(bad)).toThrow(CodecError);
    const badHead = Buffer.from(req);
    badHead[2]! ^= 1;
    expect(() => decodeRequest(badHead)).toThrow(/header checksum/);
  });

  it('builds responses that echo sequence and command with an odd netFn and the completion code first', () => {
    const req = decodeRequest(
      encodeRequest({
        rsAddr: 0x20,
        netFn: 0,
        rsLun: 0,
        rqAddr: 0x81,
        rqSeq: 42,
        rqLun: 0,
        cmd: 0x01,
        data: Buffer.alloc(0),
      }),
    );
    const wire = encodeResponse(responseFor(req, 0x00, hex('010000')));
    const r = decodeResponse(wire);
    expect(r).toMatchObject({ netFn: 1, cmd: 1, rqSeq: 42, completionCode: 0, rqAddr: 0x81, rsAddr: 0x20 });
    expect(r.data.toString('hex')).toBe('010000');
    expect(checksum(wire, 3)).toBe(0);
  });

  it('names completion codes', () => {
    expect(completionCodeText(0xd4)).toBe('insufficient privilege level');
    expect(completionCodeText(0xc1)).toBe('invalid command');
    expect(completionCodeText(0x80)).toBe('command-specific error');
  });
});

describe('RMCP+ framing', () => {
  it('encodes an unauthenticated payload with the v2.0 session header', () => {
    const p = encodeV20({
      payloadType: PayloadType.OpenSessionRequest,
      sessionId: 0,
      seq: 0,
      payload: hex('aabb'),
      encrypted: false,
    });
    expect(p.toString('hex')).toBe('0600ff07' + '06' + '10' + '00000000' + '00000000' + '0200' + 'aabb');
  });

  it('pads the integrity-covered part to a multiple of 4 and appends next header 07 and the AuthCode', () => {
    for (let len = 0; len < 8; len++) {
      const payload = Buffer.alloc(len, 0x11);
      let covered: Buffer = Buffer.alloc(0);
      const wire = encodeV20({
        payloadType: PayloadType.IPMI,
        sessionId: 0x01020304,
        seq: 7,
        payload,
        encrypted: true,
        integrity: {
          sign: (c) => {
            covered = c;
            return Buffer.alloc(12, 0xab);
          },
        },
      });
      expect(covered.length % 4).toBe(0);
      expect(covered[covered.length - 1]).toBe(0x07);
      const pad = covered[covered.length - 2]!;
      expect(covered.length).toBe(12 + len + pad + 2);
      const back = decodePacket(wire, 12);
      if (back.format !== 'v20') throw new Error('expected v2.0');
      expect(back).toMatchObject({ encrypted: true, authenticated: true, sessionId: 0x01020304, seq: 7 });
      expect(back.payload.equals(payload)).toBe(true);
      expect(back.signed!.equals(covered)).toBe(true);
      expect(back.authCode!.equals(Buffer.alloc(12, 0xab))).toBe(true);
    }
  });

  it('rejects datagrams that are not RMCP/IPMI', () => {
    expect(() => decodePacket(hex('0600ff06 00'))).toThrow(/class/);
    expect(() => decodePacket(hex('0500ff07 00'))).toThrow(/not RMCP/);
    expect(() => decodePacket(hex('0600ff07 06 00 00000000 00000000 0500 aa'))).toThrow(/truncated/);
  });
});

describe('Open Session and RAKP payloads', () => {
  it('round-trips Open Session request and response with the spec layout', () => {
    const req = {
      tag: 9,
      maxPrivilege: 4,
      consoleSessionId: 0xa0a1a2a3,
      authAlg: 1,
      integrityAlg: 1,
      confidentialityAlg: 1,
    };
    const wire = encodeOpenSessionRequest(req);
    expect(wire.toString('hex')).toBe(
      '09040000a3a2a1a0' + '0000000801000000' + '0100000801000000' + '0200000801000000',
    );
    expect(decodeOpenSessionRequest(wire)).toEqual(req);
    const resp = { ...req, status: 0, bmcSessionId: 0x10203040 };
    expect(decodeOpenSessionResponse(encodeOpenSessionResponse(resp))).toEqual(resp);
    const refused = decodeOpenSessionResponse(encodeOpenSessionResponse({ ...resp, status: 0x01 }));
    expect(refused).toMatchObject({ status: 1, consoleSessionId: 0xa0a1a2a3 });
  });

  it('round-trips RAKP 1–4', () => {
    const r1 = {
      tag: 1,
      bmcSessionId: 0x55667788,
      consoleRandom: Buffer.alloc(16, 7),
      role: 0x14,
      username: 'admin',
    };
    const w1 = encodeRakp1(r1);
    expect(w1.length).toBe(28 + 5);
    expect(w1[24]).toBe(0x14);
    expect(w1[27]).toBe(5);
    expect(decodeRakp1(w1)).toEqual(r1);
    const r2 = {
      tag: 1,
      status: 0,
      consoleSessionId: 3,
      bmcRandom: Buffer.alloc(16, 1),
      bmcGuid: Buffer.alloc(16, 2),
      authCode: Buffer.alloc(20, 3),
    };
    expect(decodeRakp2(encodeRakp2(r2))).toEqual(r2);
    expect(decodeRakp2(encodeRakp2({ ...r2, status: 0x0d }))).toMatchObject({
      status: 0x0d,
      consoleSessionId: 3,
    });
    const r3 = { tag: 1, status: 0, bmcSessionId: 4, authCode: Buffer.alloc(32, 9) };
    expect(decodeRakp3(encodeRakp3(r3))).toEqual(r3);
    const r4 = { tag: 1, status: 0, consoleSessionId: 3, icv: Buffer.alloc(12, 5) };
    expect(decodeRakp4(encodeRakp4(r4))).toEqual(r4);
    expect(() => encodeRakp1({ ...r1, username: 'x'.repeat(17) })).toThrow(/16 bytes/);
  });
});

describe('command data', () => {
  it('encodes boot flags as ipmitool does: pxe once legacy = 80 04, disk persistent EFI = e0 08', () => {
    expect(
      encodeBootFlags({ valid: true, persistent: false, efi: false, device: 'pxe' }).toString('hex'),
    ).toBe('8004000000');
    expect(
      encodeBootFlags({ valid: true, persistent: true, efi: true, device: 'disk' }).toString('hex'),
    ).toBe('e008000000');
    expect(
      encodeBootFlags({ valid: true, persistent: false, efi: false, device: 'bios' }).toString('hex'),
    ).toBe('8018000000');
    expect(decodeBootFlags(hex('e008000000'))).toEqual({
      valid: true,
      persistent: true,
      efi: true,
      device: 'disk',
    });
    expect(decodeBootFlags(hex('0004000000'))).toEqual({
      valid: false,
      persistent: false,
      efi: false,
      device: 'pxe',
    });
  });

  it('decodes Get System Boot Options responses', () => {
    const r = decodeGetBootOptionResponse(encodeGetBootOptionResponse(5, hex('8004000000')));
    expect(r).toMatchObject({ version: 1, param: 5, invalid: false });
    expect(decodeGetBootOptionResponse(hex('01850004')).invalid).toBe(true);
  });

  it('reads power from bit 0 of Get Chassis Status', () => {
    expect(decodeChassisStatusResponse(hex('410000')).power).toBe('on');
    expect(decodeChassisStatusResponse(hex('200000'))).toMatchObject({
      power: 'off',
      restorePolicy: 'previous',
    });
    expect(decodeChassisStatusResponse(hex('400000')).restorePolicy).toBe('on');
    const s = {
      power: 'on' as const,
      overload: false,
      interlock: false,
      powerFault: true,
      controlFault: false,
      restorePolicy: 'on' as const,
    };
    expect(decodeChassisStatusResponse(encodeChassisStatusResponse(s))).toEqual(s);
  });

  it('decodes Get Device ID (ipmi_sim mc_add 0x20 0 … 0x23 9 8 0x9f 0x1291 0xf02)', () => {
    const d = decodeDeviceIdResponse(hex('00 23 09 08 02 9f 911200 020f'));
    expect(d).toMatchObject({
      firmware: '9.08',
      ipmiVersion: '2.0',
      manufacturerId: 0x1291,
      productId: 0x0f02,
      available: true,
    });
    const back = decodeDeviceIdResponse(
      encodeDeviceIdResponse({
        deviceId: 0x20,
        deviceRevision: 1,
        providesSdrs: false,
        firmwareMajor: 1,
        firmwareMinor: 42,
        manufacturerId: 0,
        productId: 1,
        available: true,
      }),
    );
    expect(back.firmware).toBe('1.42');
  });

  it('round-trips channel authentication capabilities', () => {
    const caps = {
      channel: 1,
      extended: true,
      authTypes: 0x15,
      anonymousLogin: false,
      nullUsers: false,
      nonNullUsers: true,
      supportsV15: true,
      supportsV20: true,
      oemId: 0,
    };
    expect(decodeAuthCapsResponse(encodeAuthCapsResponse(caps))).toEqual(caps);
  });
});
