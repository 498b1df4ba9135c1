import { describe, expect, it } from 'vitest';
import { decodePacket, encodeV20, PayloadType } from '../../src/gear/ipmi/codec.ts';
import {
  CIPHER_SUITES,
  DecryptError,
  decryptPayload,
  deriveSessionKeys,
  encryptPayload,
  integrityCode,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  sessionIntegrityKey,
  suiteForAlgorithms,
  userKey,
  verifyIntegrity,
  type RakpContext,
} from '../../src/gear/ipmi/crypto.ts';

// Known answers computed independently (Python hmac/hashlib, OpenSSL) for these inputs.
const ctx: RakpContext = {
  consoleSessionId: 0x11223344,
  bmcSessionId: 0x55667788,
  consoleRandom: Buffer.from([...Array(16).keys()]),
  bmcRandom: Buffer.from([...Array(16).keys()].map((i) => i + 16)),
  bmcGuid: Buffer.from([...Array(16).keys()].map((i) => i + 32)),
  role: 0x14,
  username: 'admin',
};
const kuid = userKey('password');

const KAT = {
  3: {
    rakp2: '2e7fd8a738d32c333efbda301c8586c399efde2b',
    rakp3: '4402012e214da511895a399bd77d5396e7998a4d',
    sik: '122c77c4b11ccd93251cbae6c34a9cb6310da154',
    rakp4: 'c2046b16cbbd0ccff6e65c49',
    k1: 'e4472be78f9a81fa68297aab696a7be8c97fc9f8',
    aes: '2b6552012a2517cb3b5713901d757a6e',
  },
  17: {
    rakp2: '745e52259d2e4dbcabfd78edc43348de04be340f218253b94668e3b3799411f0',
    rakp3: 'e6f17841e92f8c11cbc4fd1cafcc9c21e3d814e713e13e9ee640103b50c0ef15',
    sik: 'e5935f7199865ad961063477b0662684e2ce9b1da8f2b8d41c5ce127d37e9bcf',
    rakp4: 'b67f9b97c9b2cefb65aeebe0633c96d2',
    k1: 'dc4fe73d075306f6897115dd63257385e845c10404fa1d73991790c6a101bec2',
    aes: '2a4f969ea6dfa83066f36674fdc2fea2',
  },
} as const;

describe.each([3, 17] as const)('cipher suite %i key exchange', (id) => {
  const suite = CIPHER_SUITES[id];
  const want = KAT[id];

  it('computes RAKP 2 and 3 auth codes, the SIK and the RAKP 4 ICV', () => {
    expect(rakp2AuthCode(suite, kuid, ctx).toString('hex')).toBe(want.rakp2);
    expect(rakp3AuthCode(suite, kuid, ctx).toString('hex')).toBe(want.rakp3);
    const sik = sessionIntegrityKey(suite, kuid, ctx);
    expect(sik.toString('hex')).toBe(want.sik);
    expect(rakp4Icv(suite, sik, ctx).toString('hex')).toBe(want.rakp4);
  });

  it('derives K1 and the AES key from 20-byte constants', () => {
    const keys = deriveSessionKeys(suite, Buffer.from(want.sik, 'hex'));
    expect(keys.k1.toString('hex')).toBe(want.k1);
    expect(keys.aesKey.toString('hex')).toBe(want.aes);
  });

  it('a wrong password changes every code', () => {
    const wrong = userKey('passw0rd');
    expect(rakp2AuthCode(suite, wrong, ctx).toString('hex')).not.toBe(want.rakp2);
    expect(rakp3AuthCode(suite, wrong, ctx).toString('hex')).not.toBe(want.rakp3);
  });

  it('signs and verifies a whole packet; a wrong key or a flipped bit is rejected', () => {
    const keys = deriveSessionKeys(suite, Buffer.from(want.sik, 'hex'));
    const other = deriveSessionKeys(suite, Buffer.alloc(suite.hash === 'sha1' ? 20 : 32, 0x42));
    const wire = encodeV20({
      payloadType: PayloadType.IPMI,
      sessionId: 0x55667788,
      seq: 1,
      payload: encryptPayload(keys.aesKey, Buffer.from('2018c88104017a', 'hex')),
      encrypted: true,
      integrity: { sign: (c) => integrityCode(keys, c) },
    });
    const pkt = decodePacket(wire, suite.integrityLength);
    if (pkt.format !== 'v20') throw new Error('expected v2.0');
    expect(pkt.authCode!.length).toBe(suite.integrityLength);
    expect(verifyIntegrity(keys, pkt.signed!, pkt.authCode!)).toBe(true);
    expect(verifyIntegrity(other, pkt.signed!, pkt.authCode!)).toBe(false);
    const flipped = Buffer.from(pkt.signed!);
    flipped[20]! ^= 0x01;
    expect(verifyIntegrity(keys, flipped, pkt.authCode!)).toBe(false);
    expect(decryptPayload(keys.aesKey, pkt.payload).toString('hex')).toBe('2018c88104017a');
  });
});

describe('AES-CBC-128 confidentiality', () => {
  const key = Buffer.from(KAT[3].aes, 'hex');
  const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

  it('pads with 1, 2, 3 … and a pad length, matching OpenSSL with no padding', () => {
    const out = encryptPayload(key, Buffer.from('2018c88104017a', 'hex'), iv);
    expect(out.subarray(0, 16).equals(iv)).toBe(true);
    expect(out.subarray(16).toString('hex')).toBe('c535fba77b629cc0e02e458cca077f5c');
  });

  it('round-trips every length across block boundaries', () => {
    for (let len = 0; len <= 40; len++) {
      const plain = Buffer.from([...Array(len).keys()]);
      const enc = encryptPayload(key, plain, iv);
      expect((enc.length - 16) % 16).toBe(0);
      expect(decryptPayload(key, enc).equals(plain)).toBe(true);
    }
  });

  it('rejects a wrong key through the pad check', () => {
    const enc = encryptPayload(key, Buffer.from('2018c88104017a', 'hex'), iv);
    expect(() => decryptPayload(Buffer.from(KAT[17].aes, 'hex'), enc)).toThrow(DecryptError);
    expect(() => decryptPayload(key, enc.subarray(0, 20))).toThrow(/whole blocks/);
  });
});

describe('suite negotiation', () => {
  it('maps algorithm triples to suites 3 and 17 only', () => {
    expect(suiteForAlgorithms(1, 1, 1)?.id).toBe(3);
    expect(suiteForAlgorithms(3, 4, 1)?.id).toBe(17);
    expect(suiteForAlgorithms(1, 0, 0)).toBeUndefined();
    expect(suiteForAlgorithms(2, 2, 1)).toBeUndefined();
  });

  it('truncates passwords to 20 bytes as IPMI v2.0 does', () => {
    expect(userKey('x'.repeat(25)).length).toBe(20);
  });
});
