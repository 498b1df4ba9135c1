/**
 * One lab BMC as a pure datagram-in, datagrams-out machine: RMCP+ session establishment with real
 * RAKP authentication (cipher suites 3 and 17), per-session integrity, encryption, sequence windows
 * and replay of answers to retransmitted requests, then the chassis and app commands rackpilot uses.
 * Power and boot state live behind `BmcHostAccess` (the shared LabWorld in the lab); sockets and
 * fault injection live in bmc-server.ts.
 */
import {
  BMC_SLAVE_ADDR,
  CodecError,
  decodePacket,
  decodeRequest,
  encodeResponse,
  encodeV15,
  encodeV20,
  NetFn,
  PayloadType,
  responseFor,
  type IpmiRequest,
  type SessionPacket,
} from '../gear/ipmi/codec.ts';
import {
  BootParam,
  CHASSIS_CONTROL,
  Cmd,
  decodeBootFlags,
  encodeAuthCapsResponse,
  encodeBootFlags,
  encodeChassisStatusResponse,
  encodeDeviceIdResponse,
  encodeGetBootOptionResponse,
  type BootDeviceName,
  type PowerAction,
} from '../gear/ipmi/commands.ts';
import {
  CIPHER_SUITES,
  constantTimeEqual,
  decryptPayload,
  deriveSessionKeys,
  encryptPayload,
  integrityCode,
  randomBytesPooled,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  sessionIntegrityKey,
  suiteForAlgorithms,
  userKey,
  verifyIntegrity,
  DecryptError,
  type CipherSuite,
  type RakpContext,
  type SessionKeys,
} from '../gear/ipmi/crypto.ts';
import {
  decodeOpenSessionRequest,
  decodeRakp1,
  decodeRakp3,
  encodeOpenSessionResponse,
  encodeRakp2,
  encodeRakp4,
  Privilege,
} from '../gear/ipmi/rmcpplus.ts';
import type { BootDevice, LabWorld } from './world.ts';
import { BmcSol, type SerialPort } from './bmc-sol.ts';
import { SolCmd } from '../gear/ipmi/sol-codec.ts';

export interface BmcHostAccess {
  power(): 'on' | 'off';
  setPower(power: 'on' | 'off', source: string): void;
  boot(): { device: BootDevice; persistent: boolean; efi: boolean };
  setBoot(device: BootDevice, persistent: boolean, efi: boolean): void;
}

export interface LabBmcOptions {
  name: string;
  username: string;
  password: string;
  /** Concurrent sessions before Open Session answers "insufficient resources" (real BMCs: 4–16). */
  maxSessions?: number;
  /** Idle time after which the BMC forgets a session, as real BMCs do (typically 60 s). */
  sessionTimeoutMs?: number;
  /** How long the lab OS takes to shut down after an ACPI soft-off request. */
  softOffDelayMs?: number;
  now?: () => number;
  /** Schedules the delayed effects of soft-off; returns a canceller. */
  schedule?: (fn: () => void, ms: number) => () => void;
  /** The host's serial port, served as Serial-over-LAN (absent: SOL answers "payload disabled"). */
  serial?: SerialPort;
  /** Sends a datagram the BMC originates (SOL output) to a session's console address. */
  emit?: (datagram: Buffer, peer: unknown) => void;
}

type SessionState = 'opened' | 'rakp2-sent' | 'active';

interface BmcSession {
  bmcSid: number;
  consoleSid: number;
  suite: CipherSuite;
  state: SessionState;
  maxPrivilege: number;
  privilege: number;
  openResponse: Buffer;
  rakp1?: Buffer;
  rakp2?: Buffer;
  rakp3?: Buffer;
  rakp4?: Buffer;
  ctx?: RakpContext;
  keys?: SessionKeys;
  highestSeqIn: number;
  outSeq: number;
  lastActivity: number;
  /** Answers by inbound sequence number, so a retransmitted request is answered, not re-executed. */
  answered: Map<number, Buffer>;
  /** Where the console's datagrams come from (SOL output goes there). */
  peer?: unknown;
}

const SEQ_WINDOW = 16;
const USER_PRIVILEGE = Privilege.Administrator;

/** Cipher suite records for Get Channel Cipher Suites: C0h, suite id, auth, integrity, confidentiality. */
const SUITE_RECORDS = Buffer.from(
  Object.values(CIPHER_SUITES).flatMap((s) => [
    0xc0,
    s.id,
    s.authAlg,
    0x40 | s.integrityAlg,
    0x80 | s.confidentialityAlg,
  ]),
);

function guidFor(name: string): Buffer {
  // Stable per host so a console can pin it; derived, not random.
  const out = Buffer.alloc(16);
  const src = Buffer.from(`rackpilot-lab-bmc:${name}`);
  for (let i = 0; i < src.length; i++) out[i % 16] = (out[i % 16]! * 31 + src[i]!) & 0xff;
  return out;
}

function toWorldDevice(d: BootDeviceName): BootDevice | undefined {
  switch (d) {
    case 'none':
    case 'pxe':
    case 'disk':
    case 'cdrom':
    case 'bios':
      return d;
    case 'safe':
      return 'disk';
    default:
      return undefined;
  }
}

export class LabBmc {
  readonly name: string;
  readonly guid: Buffer;
  /** Fault: every Open Session is refused as if the BMC's session table were full. */
  sessionsFull = false;
  private readonly opts: Required<Omit<LabBmcOptions, 'name' | 'username' | 'password' | 'serial' | 'emit'>>;
  /** The Serial-over-LAN payload (one instance). */
  readonly sol: BmcSol;
  private readonly sessions = new Map<number, BmcSession>();
  private readonly host: BmcHostAccess;
  private readonly username: string;
  private kuid: Buffer;
  private setInProgress = 0;
  private bootInfoAck = Buffer.from([0x00, 0x00]);
  private servicePartitionScan = 0;
  private cancelSoftOff: (() => void) | undefined;

  constructor(host: BmcHostAccess, opts: LabBmcOptions) {
    this.host = host;
    this.name = opts.name;
    this.username = opts.username;
    this.kuid = userKey(opts.password);
    this.guid = guidFor(opts.name);
    const emit = opts.emit;
    this.sol = new BmcSol(opts.serial, (sid, payload, encrypt) => {
      const s = this.sessions.get(sid);
      if (s && emit) emit(this.solDatagram(s, payload, encrypt), s.peer);
    });
    this.opts = {
      maxSessions: opts.maxSessions ?? 16,
      sessionTimeoutMs: opts.sessionTimeoutMs ?? 60_000,
      softOffDelayMs: opts.softOffDelayMs ?? 1_000,
      now: opts.now ?? Date.now,
      schedule:
        opts.schedule ??
        ((fn, ms) => {
          const t = setTimeout(fn, ms);
          t.unref();
          return () => clearTimeout(t);
        }),
    };
  }

  get sessionCount(): number {
    this.expireSessions();
    return this.sessions.size;
  }

  /** Forget every session, as a BMC does when it reboots or times them out. */
  /** The BMC's user password is changed (by someone at its web UI): sessions with the old one fail RAKP. */
  setPassword(password: string): void {
    this.kuid = userKey(password);
    this.dropSessions();
  }

  dropSessions(): void {
    this.sessions.clear();
    this.sol.sessionGone();
  }

  dispose(): void {
    this.cancelSoftOff?.();
    this.sessions.clear();
    this.sol.sessionGone();
  }

  /**
   * Handle one datagram; returns the datagrams to send back (none when a real BMC stays silent).
   * `peer` identifies the sender, for datagrams the BMC sends on its own (SOL output).
   */
  handle(datagram: Buffer, peer?: unknown): Buffer[] {
    this.expireSessions();
    let pkt;
    try {
      pkt = decodePacket(datagram, this.authCodeLengthFor(datagram));
    } catch (err) {
      if (err instanceof CodecError) return [];
      throw err;
    }
    if (pkt.format === 'v15') {
      if (pkt.sessionId !== 0) return []; // no IPMI v1.5 sessions on this BMC
      return this.presessionIpmi(pkt.message, (m) => encodeV15(0, 0, m));
    }
    if (pkt.sessionId === 0) {
      switch (pkt.payloadType) {
        case PayloadType.IPMI:
          return this.presessionIpmi(pkt.payload, (m) =>
            encodeV20({ payloadType: PayloadType.IPMI, sessionId: 0, seq: 0, payload: m, encrypted: false }),
          );
        case PayloadType.OpenSessionRequest:
          return this.openSession(pkt.payload);
        case PayloadType.Rakp1:
          return this.rakp1(pkt.payload);
        case PayloadType.Rakp3:
          return this.rakp3(pkt.payload);
        default:
          return [];
      }
    }
    const s = this.sessions.get(pkt.sessionId);
    if (!s || s.state !== 'active' || !s.keys) return [];
    if (pkt.payloadType === PayloadType.SOL) {
      this.solPacket(s, pkt, peer);
      return [];
    }
    if (pkt.payloadType !== PayloadType.IPMI) return [];
    // Suites 3 and 17 negotiate integrity and confidentiality: unprotected packets are dropped.
    if (!pkt.authenticated || !pkt.encrypted || !pkt.signed || !pkt.authCode) return [];
    if (!verifyIntegrity(s.keys, pkt.signed, pkt.authCode)) return [];
    if (peer !== undefined) s.peer = peer;
    const cached = s.answered.get(pkt.seq);
    if (cached) {
      s.lastActivity = this.opts.now();
      return [cached];
    }
    if (pkt.seq === 0 || pkt.seq + SEQ_WINDOW <= s.highestSeqIn || pkt.seq > s.highestSeqIn + SEQ_WINDOW) {
      return [];
    }
    let req: IpmiRequest;
    try {
      req = decodeRequest(decryptPayload(s.keys.aesKey, pkt.payload));
    } catch (err) {
      if (err instanceof CodecError || err instanceof DecryptError) return [];
      throw err;
    }
    s.highestSeqIn = Math.max(s.highestSeqIn, pkt.seq);
    s.lastActivity = this.opts.now();
    const { cc, data, after } = this.execute(req, s);
    const keys = s.keys;
    const out = encodeV20({
      payloadType: PayloadType.IPMI,
      sessionId: s.consoleSid,
      seq: s.outSeq++ >>> 0,
      payload: encryptPayload(keys.aesKey, encodeResponse(responseFor(req, cc, data))),
      encrypted: true,
      integrity: { sign: (c) => integrityCode(keys, c) },
    });
    s.answered.set(pkt.seq, out);
    if (s.answered.size > SEQ_WINDOW) s.answered.delete(s.answered.keys().next().value!);
    after?.();
    return [out];
  }

  private solPacket(s: BmcSession, pkt: Extract<SessionPacket, { format: 'v20' }>, peer: unknown): void {
    if (!s.keys || !pkt.authenticated || !pkt.signed || !pkt.authCode) return;
    if (!verifyIntegrity(s.keys, pkt.signed, pkt.authCode)) return;
    if (pkt.seq === 0 || pkt.seq + SEQ_WINDOW <= s.highestSeqIn) return;
    let payload: Buffer;
    try {
      payload = pkt.encrypted ? decryptPayload(s.keys.aesKey, pkt.payload) : pkt.payload;
    } catch {
      return;
    }
    s.highestSeqIn = Math.max(s.highestSeqIn, pkt.seq);
    s.lastActivity = this.opts.now();
    if (peer !== undefined) s.peer = peer;
    this.sol.receive(s.bmcSid, payload);
  }

  private solDatagram(s: BmcSession, payload: Buffer, encrypt: boolean): Buffer {
    const keys = s.keys!;
    return encodeV20({
      payloadType: PayloadType.SOL,
      sessionId: s.consoleSid,
      seq: s.outSeq++ >>> 0,
      payload: encrypt ? encryptPayload(keys.aesKey, payload) : payload,
      encrypted: encrypt,
      integrity: { sign: (c) => integrityCode(keys, c) },
    });
  }

  private authCodeLengthFor(datagram: Buffer): number {
    // The AuthCode length depends on the session's suite: peek at the session id first.
    if (datagram.length >= 10 && datagram[4] === 0x06) {
      const s = this.sessions.get(datagram.readUInt32LE(6));
      if (s) return s.suite.integrityLength;
    }
    return 0;
  }

  private expireSessions(): void {
    const now = this.opts.now();
    for (const [id, s] of this.sessions) {
      if (now - s.lastActivity > this.opts.sessionTimeoutMs) {
        this.sessions.delete(id);
        this.sol.sessionGone(id);
      }
    }
  }

  private newSessionId(): number {
    for (;;) {
      const id = randomBytesPooled(4).readUInt32LE(0);
      if (id !== 0 && !this.sessions.has(id)) return id;
    }
  }

  private presessionIpmi(message: Buffer, wrap: (m: Buffer) => Buffer): Buffer[] {
    let req: IpmiRequest;
    try {
      req = decodeRequest(message);
    } catch {
      return [];
    }
    let result: { cc: number; data?: Buffer };
    if (req.netFn === NetFn.App && req.cmd === Cmd.GetChannelAuthCaps.cmd) result = this.authCaps(req);
    else if (req.netFn === NetFn.App && req.cmd === Cmd.GetChannelCipherSuites.cmd)
      result = this.cipherSuites(req);
    else result = { cc: 0xd4 }; // everything else needs a session
    return [wrap(encodeResponse(responseFor(req, result.cc, result.data)))];
  }

  private authCaps(req: IpmiRequest): { cc: number; data?: Buffer } {
    if (req.data.length < 2) return { cc: 0xc7 };
    return {
      cc: 0,
      data: encodeAuthCapsResponse({
        channel: 0x01,
        extended: (req.data[0]! & 0x80) !== 0,
        authTypes: 0x00,
        anonymousLogin: false,
        nullUsers: false,
        nonNullUsers: true,
        supportsV15: false,
        supportsV20: true,
        oemId: 0,
      }),
    };
  }

  private cipherSuites(req: IpmiRequest): { cc: number; data?: Buffer } {
    if (req.data.length < 3) return { cc: 0xc7 };
    const index = req.data[2]! & 0x3f;
    return {
      cc: 0,
      data: Buffer.concat([Buffer.from([0x01]), SUITE_RECORDS.subarray(index * 16, index * 16 + 16)]),
    };
  }

  private openSession(payload: Buffer): Buffer[] {
    let r;
    try {
      r = decodeOpenSessionRequest(payload);
    } catch {
      return [];
    }
    const wrap = (p: Buffer) =>
      encodeV20({
        payloadType: PayloadType.OpenSessionResponse,
        sessionId: 0,
        seq: 0,
        payload: p,
        encrypted: false,
      });
    // A retransmitted Open Session gets the same answer, not a second session.
    for (const s of this.sessions.values()) {
      if (s.consoleSid === r.consoleSessionId && s.state === 'opened') return [wrap(s.openResponse)];
    }
    const refuse = (status: number) =>
      wrap(
        encodeOpenSessionResponse({
          tag: r.tag,
          status,
          maxPrivilege: 0,
          consoleSessionId: r.consoleSessionId,
          bmcSessionId: 0,
          authAlg: 0,
          integrityAlg: 0,
          confidentialityAlg: 0,
        }),
      );
    const suite = suiteForAlgorithms(r.authAlg, r.integrityAlg, r.confidentialityAlg);
    if (!suite) return [refuse(0x11)];
    const maxPrivilege = r.maxPrivilege === 0 ? USER_PRIVILEGE : r.maxPrivilege;
    if (maxPrivilege > USER_PRIVILEGE) return [refuse(0x0a)];
    if (this.sessionsFull || this.sessions.size >= this.opts.maxSessions) return [refuse(0x01)];
    const bmcSid = this.newSessionId();
    const openResponse = encodeOpenSessionResponse({
      tag: r.tag,
      status: 0,
      maxPrivilege,
      consoleSessionId: r.consoleSessionId,
      bmcSessionId: bmcSid,
      authAlg: suite.authAlg,
      integrityAlg: suite.integrityAlg,
      confidentialityAlg: suite.confidentialityAlg,
    });
    this.sessions.set(bmcSid, {
      bmcSid,
      consoleSid: r.consoleSessionId,
      suite,
      state: 'opened',
      maxPrivilege,
      privilege: Privilege.User,
      openResponse,
      highestSeqIn: 0,
      outSeq: 1,
      lastActivity: this.opts.now(),
      answered: new Map(),
    });
    return [wrap(openResponse)];
  }

  private rakp1(payload: Buffer): Buffer[] {
    let r;
    try {
      r = decodeRakp1(payload);
    } catch {
      return [];
    }
    const s = this.sessions.get(r.bmcSessionId);
    const wrap = (p: Buffer) =>
      encodeV20({ payloadType: PayloadType.Rakp2, sessionId: 0, seq: 0, payload: p, encrypted: false });
    const fail = (status: number, consoleSid: number) =>
      wrap(
        encodeRakp2({
          tag: r.tag,
          status,
          consoleSessionId: consoleSid,
          bmcRandom: Buffer.alloc(0),
          bmcGuid: Buffer.alloc(0),
          authCode: Buffer.alloc(0),
        }),
      );
    if (!s) return [fail(0x02, 0)];
    if (s.state === 'rakp2-sent' && s.rakp1?.equals(payload) && s.rakp2) return [s.rakp2];
    if (s.state !== 'opened') return [fail(0x02, s.consoleSid)];
    s.lastActivity = this.opts.now();
    const priv = r.role & 0x0f;
    if (priv < Privilege.Callback || priv > Privilege.Oem) {
      this.sessions.delete(s.bmcSid);
      return [fail(0x09, s.consoleSid)];
    }
    if (r.username !== this.username) {
      // What a real BMC answers for an unknown user; a wrong password is only caught at RAKP 3.
      this.sessions.delete(s.bmcSid);
      return [fail(0x0d, s.consoleSid)];
    }
    if (priv > USER_PRIVILEGE) {
      this.sessions.delete(s.bmcSid);
      return [fail(0x0a, s.consoleSid)];
    }
    const ctx: RakpContext = {
      consoleSessionId: s.consoleSid,
      bmcSessionId: s.bmcSid,
      consoleRandom: r.consoleRandom,
      bmcRandom: randomBytesPooled(16),
      bmcGuid: this.guid,
      role: r.role,
      username: r.username,
    };
    s.ctx = ctx;
    s.maxPrivilege = Math.min(s.maxPrivilege, priv);
    s.state = 'rakp2-sent';
    s.rakp1 = Buffer.from(payload);
    s.rakp2 = wrap(
      encodeRakp2({
        tag: r.tag,
        status: 0,
        consoleSessionId: s.consoleSid,
        bmcRandom: ctx.bmcRandom,
        bmcGuid: this.guid,
        authCode: rakp2AuthCode(s.suite, this.kuid, ctx),
      }),
    );
    return [s.rakp2];
  }

  private rakp3(payload: Buffer): Buffer[] {
    let r;
    try {
      r = decodeRakp3(payload);
    } catch {
      return [];
    }
    const s = this.sessions.get(r.bmcSessionId);
    const wrap = (p: Buffer) =>
      encodeV20({ payloadType: PayloadType.Rakp4, sessionId: 0, seq: 0, payload: p, encrypted: false });
    const fail = (status: number, consoleSid: number) =>
      wrap(encodeRakp4({ tag: r.tag, status, consoleSessionId: consoleSid, icv: Buffer.alloc(0) }));
    if (!s) return [fail(0x02, 0)];
    if (s.state === 'active' && s.rakp3?.equals(payload) && s.rakp4) return [s.rakp4];
    if (s.state !== 'rakp2-sent' || !s.ctx) return [fail(0x02, s.consoleSid)];
    if (r.status !== 0) {
      // The console gave up (e.g. it found our RAKP 2 code wrong): forget the session, say nothing.
      this.sessions.delete(s.bmcSid);
      return [];
    }
    const want = rakp3AuthCode(s.suite, this.kuid, s.ctx);
    if (!constantTimeEqual(want, r.authCode)) {
      this.sessions.delete(s.bmcSid);
      return [fail(0x0f, s.consoleSid)];
    }
    const sik = sessionIntegrityKey(s.suite, this.kuid, s.ctx);
    s.keys = deriveSessionKeys(s.suite, sik);
    s.state = 'active';
    s.lastActivity = this.opts.now();
    s.rakp3 = Buffer.from(payload);
    s.rakp4 = wrap(
      encodeRakp4({
        tag: r.tag,
        status: 0,
        consoleSessionId: s.consoleSid,
        icv: rakp4Icv(s.suite, sik, s.ctx),
      }),
    );
    return [s.rakp4];
  }

  private execute(req: IpmiRequest, s: BmcSession): { cc: number; data?: Buffer; after?: () => void } {
    if (req.rsAddr !== BMC_SLAVE_ADDR) return { cc: 0xd3 };
    const need = (level: number) => s.privilege >= level;
    if (req.netFn === NetFn.App) {
      switch (req.cmd) {
        case Cmd.GetDeviceId.cmd:
          return {
            cc: 0,
            data: encodeDeviceIdResponse({
              deviceId: 0x20,
              deviceRevision: 1,
              providesSdrs: false,
              firmwareMajor: 1,
              firmwareMinor: 42,
              manufacturerId: 0x000000, // no IANA enterprise: the lab is nobody's hardware
              productId: 0x0001,
              available: true,
            }),
          };
        case Cmd.GetDeviceGuid.cmd:
          return { cc: 0, data: Buffer.from(this.guid) };
        case Cmd.GetChannelAuthCaps.cmd:
          return this.authCaps(req);
        case Cmd.GetChannelCipherSuites.cmd:
          return this.cipherSuites(req);
        case Cmd.SetSessionPrivilege.cmd: {
          if (req.data.length < 1) return { cc: 0xc7 };
          const want = req.data[0]! & 0x0f;
          if (want === 0) return { cc: 0, data: Buffer.from([s.privilege]) };
          if (want < Privilege.User || want > Privilege.Oem) return { cc: 0xcc };
          if (want > s.maxPrivilege) return { cc: 0x81 };
          s.privilege = want;
          return { cc: 0, data: Buffer.from([want]) };
        }
        case Cmd.CloseSession.cmd: {
          if (req.data.length < 4) return { cc: 0xc7 };
          const id = req.data.readUInt32LE(0);
          const target = this.sessions.get(id);
          if (!target) return { cc: 0x87 };
          if (target !== s && !need(Privilege.Administrator)) return { cc: 0xd4 };
          return {
            cc: 0,
            after: () => {
              this.sessions.delete(id);
              this.sol.sessionGone(id);
            },
          };
        }
        case SolCmd.ActivatePayload.cmd:
          return this.sol.activate(s.bmcSid, s.privilege, req.data);
        case SolCmd.DeactivatePayload.cmd:
          return this.sol.deactivate(req.data);
        case SolCmd.GetPayloadActivationStatus.cmd:
          return this.sol.status(req.data);
        default:
          return { cc: 0xc1 };
      }
    }
    if (req.netFn === NetFn.Chassis) {
      switch (req.cmd) {
        case Cmd.GetChassisStatus.cmd:
          return {
            cc: 0,
            data: encodeChassisStatusResponse({
              power: this.host.power(),
              overload: false,
              interlock: false,
              powerFault: false,
              controlFault: false,
              restorePolicy: 'off',
            }),
          };
        case Cmd.ChassisControl.cmd:
          if (!need(Privilege.Operator)) return { cc: 0xd4 };
          if (req.data.length < 1) return { cc: 0xc7 };
          return this.chassisControl(req.data[0]! & 0x0f);
        case Cmd.SetSystemBootOptions.cmd:
          if (!need(Privilege.Operator)) return { cc: 0xd4 };
          return this.setBootOption(req.data);
        case Cmd.GetSystemBootOptions.cmd:
          return this.getBootOption(req.data);
        default:
          return { cc: 0xc1 };
      }
    }
    return { cc: 0xc1 };
  }

  private chassisControl(code: number): { cc: number } {
    const action = (Object.keys(CHASSIS_CONTROL) as PowerAction[]).find((a) => CHASSIS_CONTROL[a] === code);
    if (!action) return { cc: 0xcc };
    const on = this.host.power() === 'on';
    switch (action) {
      case 'on':
        this.cancelSoftOff?.();
        this.host.setPower('on', 'ipmi');
        return { cc: 0 };
      case 'off':
        this.cancelSoftOff?.();
        this.host.setPower('off', 'ipmi');
        return { cc: 0 };
      case 'cycle':
      case 'reset':
        // Both need a running host; real BMCs answer "not supported in present state" otherwise.
        if (!on) return { cc: 0xd5 };
        this.cancelSoftOff?.();
        this.host.setPower('off', `ipmi-${action}`);
        this.host.setPower('on', `ipmi-${action}`);
        return { cc: 0 };
      case 'soft':
        if (on && !this.cancelSoftOff) {
          const cancel = this.opts.schedule(() => {
            this.cancelSoftOff = undefined;
            this.host.setPower('off', 'ipmi-soft');
          }, this.opts.softOffDelayMs);
          this.cancelSoftOff = () => {
            cancel();
            this.cancelSoftOff = undefined;
          };
        }
        return { cc: 0 };
    }
  }

  private setBootOption(data: Buffer): { cc: number } {
    if (data.length < 1) return { cc: 0xc7 };
    const param = data[0]! & 0x7f;
    const value = data.subarray(1);
    switch (param) {
      case BootParam.SetInProgress:
        if (value.length < 1) return { cc: 0xc7 };
        this.setInProgress = value[0]! & 0x03;
        return { cc: 0 };
      case BootParam.ServicePartitionScan:
        if (value.length < 1) return { cc: 0xc7 };
        this.servicePartitionScan = value[0]!;
        return { cc: 0 };
      case BootParam.InfoAck:
        if (value.length < 2) return { cc: 0xc7 };
        // Byte 1 is a write mask for byte 2.
        this.bootInfoAck = Buffer.from([0x00, (this.bootInfoAck[1]! & ~value[0]!) | (value[1]! & value[0]!)]);
        return { cc: 0 };
      case BootParam.BootFlags: {
        if (value.length < 5) return { cc: 0xc7 };
        const f = decodeBootFlags(value);
        const dev = f.valid ? toWorldDevice(f.device) : 'none';
        if (dev === undefined) return { cc: 0xcc };
        this.host.setBoot(dev, f.valid && f.persistent, f.efi);
        return { cc: 0 };
      }
      default:
        return { cc: 0x80 }; // parameter not supported
    }
  }

  private getBootOption(data: Buffer): { cc: number; data?: Buffer } {
    if (data.length < 1) return { cc: 0xc7 };
    const param = data[0]! & 0x7f;
    switch (param) {
      case BootParam.SetInProgress:
        return { cc: 0, data: encodeGetBootOptionResponse(param, Buffer.from([this.setInProgress])) };
      case BootParam.ServicePartitionScan:
        return { cc: 0, data: encodeGetBootOptionResponse(param, Buffer.from([this.servicePartitionScan])) };
      case BootParam.InfoAck:
        return { cc: 0, data: encodeGetBootOptionResponse(param, this.bootInfoAck) };
      case BootParam.BootFlags: {
        const b = this.host.boot();
        const flags = encodeBootFlags({
          valid: b.device !== 'none',
          persistent: b.persistent,
          efi: b.efi,
          device: b.device,
        });
        return { cc: 0, data: encodeGetBootOptionResponse(param, flags) };
      }
      default:
        return { cc: 0x80 };
    }
  }
}

/** One host's power and boot as its BMC reaches them (the IPMI and the Redfish lab BMCs alike). */
export function bmcAccessFor(world: LabWorld, name: string): BmcHostAccess {
  return {
    power: () => world.host(name).power,
    setPower: (p, source) => world.setPower(name, p, source),
    boot: () => {
      const h = world.host(name);
      return { device: h.bootDevice, persistent: h.bootPersistent, efi: h.bootEfi };
    },
    setBoot: (d, persistent, efi) => world.setBoot(name, d, persistent, efi),
  };
}
