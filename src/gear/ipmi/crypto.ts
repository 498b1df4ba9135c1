/**
 * RMCP+ cryptography (IPMI v2.0 §13.28–13.31) for the two cipher suites rackpilot speaks:
 *   3: RAKP-HMAC-SHA1,   HMAC-SHA1-96,    AES-CBC-128
 *  17: RAKP-HMAC-SHA256, HMAC-SHA256-128, AES-CBC-128
 * Naming follows the spec: "m" is the remote console (us), "c" the managed system (the BMC).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface CipherSuite {
  id: 3 | 17;
  /** Algorithm numbers as they appear in the Open Session payloads. */
  authAlg: number;
  integrityAlg: number;
  confidentialityAlg: number;
  hash: 'sha1' | 'sha256';
  /** RAKP 2/3 key exchange authentication code length (full HMAC). */
  authCodeLength: number;
  /** RAKP 4 integrity check value length. */
  rakp4IcvLength: number;
  /** Per-packet AuthCode length. */
  integrityLength: number;
}

export const CIPHER_SUITES: Readonly<Record<3 | 17, CipherSuite>> = {
  3: {
    id: 3,
    authAlg: 0x01,
    integrityAlg: 0x01,
    confidentialityAlg: 0x01,
    hash: 'sha1',
    authCodeLength: 20,
    rakp4IcvLength: 12,
    integrityLength: 12,
  },
  17: {
    id: 17,
    authAlg: 0x03,
    integrityAlg: 0x04,
    confidentialityAlg: 0x01,
    hash: 'sha256',
    authCodeLength: 32,
    rakp4IcvLength: 16,
    integrityLength: 16,
  },
};

/** The suite a BMC agrees to for the algorithms a console proposed, if any. */
export function suiteForAlgorithms(auth: number, integrity: number, conf: number): CipherSuite | undefined {
  return Object.values(CIPHER_SUITES).find(
    (s) => s.authAlg === auth && s.integrityAlg === integrity && s.confidentialityAlg === conf,
  );
}

// One getrandom call per 4 KiB instead of one per packet: a sweep draws an IV for every datagram.
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** Cryptographically random bytes, served from a refilled pool (copies, never shared). */
export function randomBytesPooled(n: number): Buffer {
  if (n > 1024) return randomBytes(n);
  if (poolOffset + n > pool.length) {
    pool = randomBytes(4096);
    poolOffset = 0;
  }
  const out = Buffer.from(pool.subarray(poolOffset, poolOffset + n));
  poolOffset += n;
  return out;
}

function hmac(hash: string, key: Buffer, ...parts: Buffer[]): Buffer {
  const h = createHmac(hash, key);
  for (const p of parts) h.update(p);
  return h.digest();
}

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

/** Kuid: the user's password, at most 20 bytes (HMAC zero-pads shorter keys itself). */
export function userKey(password: string): Buffer {
  const k = Buffer.from(password, 'utf8');
  return k.length > 20 ? k.subarray(0, 20) : k;
}

export interface RakpContext {
  consoleSessionId: number; // SIDm
  bmcSessionId: number; // SIDc
  consoleRandom: Buffer; // Rm, 16 bytes
  bmcRandom: Buffer; // Rc, 16 bytes
  bmcGuid: Buffer; // GUIDc, 16 bytes
  /** The whole role byte of RAKP 1 (privilege plus the name-only lookup bit). */
  role: number;
  username: string;
}

function roleAndName(ctx: RakpContext): Buffer {
  const name = Buffer.from(ctx.username, 'utf8');
  return Buffer.concat([Buffer.from([ctx.role, name.length]), name]);
}

/** RAKP 2 key exchange auth code: the BMC proves it knows the password. */
export function rakp2AuthCode(suite: CipherSuite, kuid: Buffer, ctx: RakpContext): Buffer {
  return hmac(
    suite.hash,
    kuid,
    u32le(ctx.consoleSessionId),
    u32le(ctx.bmcSessionId),
    ctx.consoleRandom,
    ctx.bmcRandom,
    ctx.bmcGuid,
    roleAndName(ctx),
  );
}

/** RAKP 3 key exchange auth code: the console proves it knows the password. */
export function rakp3AuthCode(suite: CipherSuite, kuid: Buffer, ctx: RakpContext): Buffer {
  return hmac(suite.hash, kuid, ctx.bmcRandom, u32le(ctx.consoleSessionId), roleAndName(ctx));
}

/** Session Integrity Key; Kg is the BMC key, which defaults to Kuid when none is set. */
export function sessionIntegrityKey(suite: CipherSuite, kg: Buffer, ctx: RakpContext): Buffer {
  return hmac(suite.hash, kg, ctx.consoleRandom, ctx.bmcRandom, roleAndName(ctx));
}

/** RAKP 4 integrity check value, truncated per suite. */
export function rakp4Icv(suite: CipherSuite, sik: Buffer, ctx: RakpContext): Buffer {
  return hmac(suite.hash, sik, ctx.consoleRandom, u32le(ctx.bmcSessionId), ctx.bmcGuid).subarray(
    0,
    suite.rakp4IcvLength,
  );
}

export interface SessionKeys {
  suite: CipherSuite;
  sik: Buffer;
  /** K1: integrity key. */
  k1: Buffer;
  /** First 16 bytes of K2: the AES-128 key. */
  aesKey: Buffer;
}

export function deriveSessionKeys(suite: CipherSuite, sik: Buffer): SessionKeys {
  // The constants are 20 bytes for every suite (§13.32 predates SHA-256; ipmitool and BMCs agree).
  const k1 = hmac(suite.hash, sik, Buffer.alloc(20, 0x01));
  const k2 = hmac(suite.hash, sik, Buffer.alloc(20, 0x02));
  return { suite, sik, k1, aesKey: k2.subarray(0, 16) };
}

/** Per-packet AuthCode over auth type … next header. */
export function integrityCode(keys: SessionKeys, covered: Buffer): Buffer {
  return hmac(keys.suite.hash, keys.k1, covered).subarray(0, keys.suite.integrityLength);
}

export function verifyIntegrity(keys: SessionKeys, covered: Buffer, authCode: Buffer): boolean {
  const want = integrityCode(keys, covered);
  return want.length === authCode.length && timingSafeEqual(want, authCode);
}

export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * AES-CBC-128 payload (§13.29): a 16-byte IV, then the encrypted payload followed by pad bytes
 * 1, 2, 3, … and a pad-length byte, so the plaintext fills whole blocks. No PKCS#7.
 */
export function encryptPayload(aesKey: Buffer, plain: Buffer, iv: Buffer = randomBytesPooled(16)): Buffer {
  const padLen = (16 - ((plain.length + 1) % 16)) % 16;
  const block = Buffer.alloc(plain.length + padLen + 1);
  plain.copy(block, 0);
  for (let i = 0; i < padLen; i++) block[plain.length + i] = i + 1;
  block[block.length - 1] = padLen;
  const c = createCipheriv('aes-128-cbc', aesKey, iv);
  c.setAutoPadding(false);
  return Buffer.concat([iv, c.update(block), c.final()]);
}

export class DecryptError extends Error {
  override name = 'DecryptError';
}

export function decryptPayload(aesKey: Buffer, data: Buffer): Buffer {
  if (data.length < 32 || (data.length - 16) % 16 !== 0) {
    throw new DecryptError(`encrypted payload of ${data.length} bytes is not IV plus whole blocks`);
  }
  const d = createDecipheriv('aes-128-cbc', aesKey, data.subarray(0, 16));
  d.setAutoPadding(false);
  const block = Buffer.concat([d.update(data.subarray(16)), d.final()]);
  const padLen = block[block.length - 1]!;
  if (padLen > 15 || padLen + 1 > block.length)
    throw new DecryptError('confidentiality pad length out of range');
  const end = block.length - 1 - padLen;
  for (let i = 0; i < padLen; i++) {
    if (block[end + i] !== i + 1) throw new DecryptError('confidentiality pad bytes corrupt (wrong key?)');
  }
  return block.subarray(0, end);
}
