import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  decodePacket,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeV20,
} from '../../src/gear/ipmi/codec.ts';
import { parseRackFile } from '../../src/config/rack/parse.ts';
import { DIALECT_MODULES } from '../../src/gear/switch/dialects/index.ts';

/** Property-based: the parsers never throw anything but their own typed error, whatever they read. */
const RUNS = { numRuns: 300 };

describe('rack-file parser', () => {
  it('any text: a result, never a throw; errors carry a JSON path', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ racks: v })),
        ),
        (t) => {
          const r = parseRackFile(t);
          if (!r.ok) for (const e of r.errors) expect(e.path.length).toBeGreaterThan(0);
        },
      ),
      RUNS,
    );
  });

  it('rack-shaped objects with arbitrary fields: a result, never a throw', () => {
    const host = fc.record({
      mac: fc.oneof(fc.string(), fc.constant('52:54:00:00:00:01')),
      port: fc.string(),
      hostname: fc.option(fc.string()),
    });
    const sw = fc.record({
      ip: fc.string(),
      username: fc.string(),
      password: fc.string(),
      type: fc.constantFrom('force10', 'os10', 'nxos', 'eos', 'x'),
      pxeVlan: fc.integer(),
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.string(), l2Switch: sw, hosts: fc.array(host, { maxLength: 5 }) }), {
          maxLength: 3,
        }),
        (racks) => {
          const r = parseRackFile(JSON.stringify({ racks }));
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      RUNS,
    );
  });
});

describe('switch-output parsers', () => {
  const lines = fc.array(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        'VLAN Name Status Ports',
        '10   pxe   active   Te 1/1/1',
        'switchport mode trunk',
        '  10    5254.0000.0001    DYNAMIC     Te 1/1/1',
        '% Error',
        '--More--',
      ),
    ),
    { maxLength: 30 },
  );
  for (const d of Object.values(DIALECT_MODULES)) {
    it(`${d.name}: any output parses or throws an Error that is not a TypeError`, () => {
      fc.assert(
        fc.property(lines, (ls) => {
          const text = ls.join('\n');
          for (const fn of ['parsePort', 'parseVlans', 'parseMac'] as const) {
            try {
              d[fn](text);
            } catch (err) {
              expect(err).toBeInstanceOf(Error);
              expect(err).not.toBeInstanceOf(TypeError);
              expect(err).not.toBeInstanceOf(RangeError);
            }
          }
        }),
        RUNS,
      );
    });
  }
});

describe('IPMI codec', () => {
  const byte = fc.integer({ min: 0, max: 255 });
  const msg = fc.record({
    a: byte,
    netFn: fc.integer({ min: 0, max: 63 }),
    lun: fc.integer({ min: 0, max: 3 }),
    b: byte,
    seq: fc.integer({ min: 0, max: 63 }),
    lun2: fc.integer({ min: 0, max: 3 }),
    cmd: byte,
    cc: byte,
    data: fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
  });
  /** The request a generated message stands for. */
  const requestOf = (m: typeof msg extends fc.Arbitrary<infer T> ? T : never) => ({
    rsAddr: m.a,
    netFn: m.netFn,
    rsLun: m.lun,
    rqAddr: m.b,
    rqSeq: m.seq,
    rqLun: m.lun2,
    cmd: m.cmd,
    data: m.data,
  });

  it('decode of any bytes returns or throws CodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 20 }), (u, auth) => {
        const b = Buffer.from(u);
        for (const f of [() => decodePacket(b, auth), () => decodeRequest(b), () => decodeResponse(b)]) {
          try {
            f();
          } catch (err) {
            expect(err).toBeInstanceOf(CodecError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('decode of a valid packet with one byte changed: returns or throws CodecError', () => {
    fc.assert(
      fc.property(msg, fc.nat(), byte, (m, at, x) => {
        const p = encodeV20({
          payloadType: 0,
          sessionId: 1,
          seq: 2,
          payload: encodeRequest(requestOf(m)),
          encrypted: false,
        });
        p[at % p.length] = x;
        try {
          decodePacket(p);
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('requests and responses round-trip', () => {
    fc.assert(
      fc.property(msg, (m) => {
        const req = requestOf(m);
        expect(decodeRequest(encodeRequest(req))).toEqual(req);
        const res = {
          rqAddr: m.a,
          netFn: m.netFn,
          rqLun: m.lun,
          rsAddr: m.b,
          rqSeq: m.seq,
          rsLun: m.lun2,
          cmd: m.cmd,
          completionCode: m.cc,
          data: m.data,
        };
        expect(decodeResponse(encodeResponse(res))).toEqual(res);
      }),
      { numRuns: 1000 },
    );
  });

  it('RMCP+ frames round-trip (session id, sequence, payload)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x3f }).filter((t) => t !== 2),
        fc.nat({ max: 0xffffffff }),
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ maxLength: 300 }),
        (pt, sid, seq, u) => {
          const payload = Buffer.from(u);
          const p = decodePacket(
            encodeV20({ payloadType: pt, sessionId: sid, seq, payload, encrypted: false }),
          );
          expect(p).toMatchObject({ format: 'v20', payloadType: pt, sessionId: sid, seq, payload });
        },
      ),
      { numRuns: 500 },
    );
  });
});
