/**
 * One RMCP+ session with one BMC: establishment (auth capabilities, Open Session, RAKP 1–4, Set
 * Session Privilege Level), commands over the integrity-protected, encrypted session, retransmission
 * of the very same datagram (same sequence numbers) on loss, a transparent re-open when the BMC has
 * forgotten the session, and Close Session. Commands on one session run one at a time, in order.
 */
import {
  BMC_SLAVE_ADDR,
  CodecError,
  completionCodeText,
  decodePacket,
  decodeResponse,
  encodeRequest,
  encodeV15,
  encodeV20,
  hex,
  PayloadType,
  REMOTE_CONSOLE_SWID,
  type IpmiResponse,
  type SessionPacket,
} from './codec.ts';
import { Cmd, CURRENT_CHANNEL_V2, decodeAuthCapsResponse } from './commands.ts';
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
  userKey,
  verifyIntegrity,
  type CipherSuite,
  type RakpContext,
  type SessionKeys,
} from './crypto.ts';
import { IpmiError } from './errors.ts';
import {
  decodeOpenSessionResponse,
  decodeRakp2,
  decodeRakp4,
  encodeOpenSessionRequest,
  encodeRakp1,
  encodeRakp3,
  NAME_ONLY_LOOKUP,
  PRIVILEGE_BY_NAME,
  rmcpStatusText,
  type PrivilegeName,
} from './rmcpplus.ts';
import type { UdpTransport } from './transport.ts';

export interface IpmiTarget {
  host: string;
  /** UDP port, 623 unless the BMC (or the lab) says otherwise. */
  port?: number;
  username: string;
  password: string;
  cipherSuite?: 3 | 17;
  /** How errors and events name the BMC (default host:port). */
  name?: string;
  /** Session privilege (default administrator; operator is enough for power and boot). */
  privilege?: Exclude<PrivilegeName, 'user'>;
}

export interface RetryPolicy {
  /** Time to wait for an answer before sending the same datagram again. */
  timeoutMs: number;
  /** Retransmissions after the first send. */
  retries: number;
  /** Fail with a bare error (for best-effort exchanges whose failure nobody reads, e.g. Close Session). */
  quiet?: boolean;
  /** The setting that sets the bound, named when a BMC does not answer (RACKPILOT_BMC_TIMEOUT). */
  setting?: string;
}

export function targetName(t: IpmiTarget): string {
  return t.name ?? `${t.host}:${t.port ?? 623}`;
}

type Matcher<T> = (pkt: SessionPacket) => T | undefined;

interface Pending {
  match: Matcher<unknown>;
  resolve: (v: unknown) => void;
}

interface Established {
  bmcSid: number;
  consoleSid: number;
  keys: SessionKeys;
  outSeq: number;
  /** The BMC's session sequence numbers seen: the highest, and which of the 32 below it. */
  inHighest: number;
  inSeen: number;
  /** Raised from the initial user level to the target's privilege (Set Session Privilege Level). */
  elevated: boolean;
}

/** IPMI 2.0 (§13.28.1): a receiver accepts a sequence number at most this far behind the highest. */
const SEQ_WINDOW = 16;

/**
 * Accepts a BMC sequence number once: newer than any seen, or within the window behind the
 * highest and not seen before. A replayed datagram (same number) or one from far back is refused,
 * so an old signed answer ("power off") cannot be passed off as the answer to a new request.
 */
export function acceptSessionSeq(s: { inHighest: number; inSeen: number }, seq: number): boolean {
  if (seq === 0) return false;
  if (seq > s.inHighest) {
    const shift = seq - s.inHighest;
    s.inSeen = shift >= 32 ? 0 : (s.inSeen << shift) >>> 0;
    s.inSeen = (s.inSeen | 1) >>> 0;
    s.inHighest = seq;
    return true;
  }
  const behind = s.inHighest - seq;
  if (behind >= SEQ_WINDOW) return false;
  const bit = (1 << behind) >>> 0;
  if (s.inSeen & bit) return false;
  s.inSeen = (s.inSeen | bit) >>> 0;
  return true;
}

export class IpmiSession {
  readonly target: IpmiTarget;
  readonly name: string;
  /** The name as a sentence uses it: "BMC of r01-n001", "BMC 10.0.0.1:623". */
  private readonly label: string;
  private readonly suite: CipherSuite;
  private readonly retry: RetryPolicy;
  private readonly channel: { send(buf: Buffer): void; detach(): void };
  private pending: Pending | undefined;
  private established: Established | undefined;
  private rqSeq = 0;
  private tag = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private closed = false;
  private timers = new Set<NodeJS.Timeout>();
  private wakers = new Set<() => void>();
  private solHandler: ((payload: Buffer) => void) | undefined;
  /** Epoch ms of the last answer from the BMC, for keep-alive. */
  lastAnswerAt = 0;
  /** Sessions opened so far (1 + re-opens), for tests and diagnostics. */
  opens = 0;

  constructor(target: IpmiTarget, address: string, transport: UdpTransport, retry: RetryPolicy) {
    this.target = target;
    this.name = targetName(target);
    // "BMC of r01-n001" names itself; a bare address gets the word.
    this.label = /^BMC\b/.test(this.name) ? this.name : `BMC ${this.name}`;
    this.suite = CIPHER_SUITES[target.cipherSuite ?? 3];
    this.retry = retry;
    this.channel = transport.attach(address, target.port ?? 623, (msg) => this.onDatagram(msg));
  }

  get isOpen(): boolean {
    return this.established !== undefined;
  }

  get idle(): boolean {
    return this.busy === 0;
  }

  /**
   * Run a command, opening (or re-opening) the session as needed. Throws IpmiError on transport
   * and session failures; completion codes are returned. `elevated`: the command needs more than
   * user privilege (chassis control, boot options), so the session is raised first. Reads run at
   * the user level sessions start at, which saves a round trip per BMC in a sweep.
   */
  command(netFn: number, cmd: number, data: Buffer, what: string, elevated = false): Promise<IpmiResponse> {
    const attempt = async () => {
      if (elevated) await this.elevate();
      let r = await this.rawCommand(netFn, cmd, data, what);
      if (r.completionCode === 0xd4 && !this.established?.elevated) {
        // This BMC wants more privilege for it than the spec says: raise and ask again.
        await this.elevate();
        r = await this.rawCommand(netFn, cmd, data, what);
      }
      return r;
    };
    return this.serialize(async () => {
      const fresh = await this.ensureOpen();
      try {
        return await attempt();
      } catch (err) {
        // A BMC that forgot our session (idle timeout, reboot) silently drops its packets: open a
        // new session once and try again before reporting the BMC unreachable.
        if (!(err instanceof IpmiError) || err.kind !== 'timeout' || fresh) throw err;
        this.established = undefined;
        await this.ensureOpen();
        return await attempt();
      }
    });
  }

  /** A keep-alive that never re-opens: failure just marks the session gone. */
  keepAlive(): Promise<void> {
    return this.serialize(async () => {
      if (!this.established) return;
      try {
        await this.rawCommand(Cmd.GetDeviceId.netFn, Cmd.GetDeviceId.cmd, Buffer.alloc(0), 'keep-alive');
      } catch {
        this.established = undefined;
      }
    });
  }

  /** Close Session (best effort: one short try), then stop listening. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.serialize(async () => {
      const s = this.established;
      if (!s) return;
      const data = Buffer.alloc(4);
      data.writeUInt32LE(s.bmcSid, 0);
      try {
        await this.rawCommand(Cmd.CloseSession.netFn, Cmd.CloseSession.cmd, data, 'Close Session', {
          timeoutMs: Math.min(this.retry.timeoutMs, 500),
          retries: 0,
          quiet: true,
        });
      } catch {
        // The BMC will time the session out on its own.
      }
      this.established = undefined;
    }).catch(() => {});
    this.shutdown();
  }

  /** Stop at once: pending requests fail with kind 'closed'. */
  shutdown(): void {
    this.closed = true;
    this.established = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const w of this.wakers) w();
    this.wakers.clear();
    this.channel.detach();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run.finally(() => this.busy--);
  }

  private onDatagram(msg: Buffer): void {
    const p = this.pending;
    if (!p && !this.solHandler) return;
    let pkt: SessionPacket;
    try {
      pkt = decodePacket(msg, this.suite.integrityLength);
    } catch {
      return;
    }
    if (pkt.format === 'v20' && pkt.payloadType === PayloadType.SOL) {
      this.onSolPacket(pkt);
      return;
    }
    if (!p) return;
    let out: unknown;
    try {
      out = p.match(pkt);
    } catch (err) {
      // A corrupt or forged answer is treated as lost.
      if (err instanceof CodecError) return;
      throw err;
    }
    if (out !== undefined) {
      this.lastAnswerAt = Date.now();
      p.resolve(out);
    }
  }

  /**
   * Serial-over-LAN payloads of this session go to `handler` once authenticated and decrypted
   * (undefined: dropped). Set by the SOL console after Activate Payload succeeded.
   */
  setSolHandler(handler: ((payload: Buffer) => void) | undefined): void {
    this.solHandler = handler;
  }

  /** The session that carries SOL now (its BMC id), or undefined once closed or re-opened. */
  get sessionToken(): number | undefined {
    return this.established?.bmcSid;
  }

  /** Send one SOL payload, signed and (when `encrypt`) encrypted, under the next session sequence number. */
  sendSol(payload: Buffer, encrypt: boolean): void {
    const s = this.established;
    if (!s || this.closed) return;
    const seq = s.outSeq;
    s.outSeq = (s.outSeq + 1) >>> 0 || 1;
    const keys = s.keys;
    this.channel.send(
      encodeV20({
        payloadType: PayloadType.SOL,
        sessionId: s.bmcSid,
        seq,
        encrypted: encrypt,
        payload: encrypt ? encryptPayload(keys.aesKey, payload) : payload,
        integrity: { sign: (c) => integrityCode(keys, c) },
      }),
    );
  }

  private onSolPacket(pkt: Extract<SessionPacket, { format: 'v20' }>): void {
    const s = this.established;
    const handler = this.solHandler;
    if (!s || !handler || pkt.sessionId !== s.consoleSid) return;
    if (!pkt.authenticated || !pkt.signed || !pkt.authCode) return;
    if (!verifyIntegrity(s.keys, pkt.signed, pkt.authCode)) return;
    let body: Buffer;
    try {
      body = pkt.encrypted ? decryptPayload(s.keys.aesKey, pkt.payload) : pkt.payload;
    } catch {
      return;
    }
    if (!acceptSessionSeq(s, pkt.seq)) return;
    this.lastAnswerAt = Date.now();
    handler(body);
  }

  /** Send one datagram and wait for the answer `match` accepts, resending the same bytes on silence. */
  private exchange<T>(datagram: Buffer, match: Matcher<T>, what: string, policy = this.retry): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new IpmiError('closed', `IPMI client closed before ${what} to ${this.label}`, {
          target: this.name,
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (timer) {
          clearTimeout(timer);
          this.timers.delete(timer);
        }
        this.wakers.delete(wake);
        this.pending = undefined;
      };
      const wake = () => {
        finish();
        reject(
          new IpmiError('closed', `IPMI client closed during ${what} to ${this.label}`, {
            target: this.name,
          }),
        );
      };
      this.wakers.add(wake);
      const send = () => {
        attempt++;
        this.channel.send(datagram);
        timer = setTimeout(() => {
          this.timers.delete(timer!);
          if (attempt <= policy.retries) return send();
          finish();
          if (policy.quiet) return reject(new Error('no answer'));
          const total = ((policy.retries + 1) * policy.timeoutMs) / 1000;
          // A host's BMC is named with its address already ("BMC of r01-n001 (10.0.0.5:623)").
          const at = this.label.includes(`(${this.target.host}`)
            ? ''
            : ` (${this.target.host}:${this.target.port ?? 623})`;
          reject(
            new IpmiError(
              'timeout',
              `${this.label}${at} did not answer ${what} after ${attempt} attempts over ${total} s${policy.setting ? ` (${policy.setting})` : ''}`,
              {
                target: this.name,
                hint: 'check that the BMC is powered, reachable over UDP from this host, and that its LAN channel is enabled',
              },
            ),
          );
        }, policy.timeoutMs);
        this.timers.add(timer);
      };
      this.pending = {
        match,
        resolve: (v) => {
          finish();
          resolve(v as T);
        },
      };
      send();
    });
  }

  private nextRqSeq(): number {
    this.rqSeq = (this.rqSeq + 1) & 0x3f;
    return this.rqSeq;
  }

  private nextTag(): number {
    this.tag = (this.tag + 1) & 0xff;
    return this.tag;
  }

  private async ensureOpen(): Promise<boolean> {
    if (this.established) return false;
    await this.open();
    return true;
  }

  private authError(message: string, rmcpStatus?: number): IpmiError {
    return new IpmiError('auth', message, {
      target: this.name,
      hint: `check the BMC user name and password stored for ${this.name}`,
      ...(rmcpStatus !== undefined && { rmcpStatus }),
    });
  }

  private async checkV2(privilege: number): Promise<void> {
    const rqSeq = this.nextRqSeq();
    const capsReq = encodeRequest({
      rsAddr: BMC_SLAVE_ADDR,
      netFn: Cmd.GetChannelAuthCaps.netFn,
      rsLun: 0,
      rqAddr: REMOTE_CONSOLE_SWID,
      rqSeq,
      rqLun: 0,
      cmd: Cmd.GetChannelAuthCaps.cmd,
      data: Buffer.from([CURRENT_CHANNEL_V2, privilege]),
    });
    const caps = await this.exchange(
      encodeV15(0, 0, capsReq),
      (pkt) => {
        const raw =
          pkt.format === 'v15' ? pkt.message : pkt.payloadType === PayloadType.IPMI ? pkt.payload : undefined;
        if (!raw || pkt.sessionId !== 0) return undefined;
        const r = decodeResponse(raw);
        return r.cmd === Cmd.GetChannelAuthCaps.cmd && r.rqSeq === rqSeq ? r : undefined;
      },
      'Get Channel Authentication Capabilities',
    );
    if (caps.completionCode !== 0)
      throw this.completionError('Get Channel Authentication Capabilities', caps);
    const info = decodeAuthCapsResponse(caps.data);
    if (!info.extended || !info.supportsV20) {
      throw new IpmiError('session', `${this.label} does not offer IPMI v2.0 (RMCP+) on this channel`, {
        target: this.name,
        hint: 'enable IPMI over LAN v2.0 in the BMC settings; rackpilot does not speak IPMI v1.5 sessions',
      });
    }
  }

  /** The RMCP+ session handshake (IPMI v2.0 §13.14–13.20): capabilities, Open Session, RAKP 1–4. */
  private async open(): Promise<void> {
    const privilege = PRIVILEGE_BY_NAME[this.target.privilege ?? 'administrator'];
    // Get Channel Authentication Capabilities, in an IPMI v1.5 wrapper as every console does.
    await this.checkV2(privilege);
    const { open, consoleSid } = await this.openSession(privilege);
    const rakp = await this.rakp12(open.bmcSessionId, consoleSid, privilege);
    const sik = await this.rakp34(rakp);
    this.established = {
      bmcSid: open.bmcSessionId,
      consoleSid,
      keys: deriveSessionKeys(this.suite, sik),
      outSeq: 1,
      inHighest: 0,
      inSeen: 0,
      elevated: false,
    };
    this.opens++;
  }

  /** Open Session: the console's session id, and the algorithms of the cipher suite. */
  private async openSession(privilege: number) {
    const suite = this.suite;
    const consoleSid = randomBytesPooled(4).readUInt32LE(0) || 1;
    const openTag = this.nextTag();
    const open = await this.exchange(
      encodeV20({
        payloadType: PayloadType.OpenSessionRequest,
        sessionId: 0,
        seq: 0,
        encrypted: false,
        payload: encodeOpenSessionRequest({
          tag: openTag,
          maxPrivilege: privilege,
          consoleSessionId: consoleSid,
          authAlg: suite.authAlg,
          integrityAlg: suite.integrityAlg,
          confidentialityAlg: suite.confidentialityAlg,
        }),
      }),
      (pkt) => {
        if (pkt.format !== 'v20' || pkt.payloadType !== PayloadType.OpenSessionResponse) return undefined;
        const r = decodeOpenSessionResponse(pkt.payload);
        return r.tag === openTag ? r : undefined;
      },
      'Open Session',
    );
    if (open.status !== 0) {
      const full = open.status === 0x01 || open.status === 0x0b;
      throw new IpmiError(
        full ? 'session' : 'auth',
        `${this.label} refused the session: ${rmcpStatusText(open.status)}`,
        {
          target: this.name,
          rmcpStatus: open.status,
          hint: full
            ? 'the BMC session table is full: wait for idle sessions to time out, or close them from the BMC web UI'
            : `the BMC does not accept cipher suite ${suite.id} at this privilege; try the other cipher suite (3 or 17)`,
        },
      );
    }
    if (
      open.consoleSessionId !== consoleSid ||
      open.authAlg !== suite.authAlg ||
      open.integrityAlg !== suite.integrityAlg ||
      open.confidentialityAlg !== suite.confidentialityAlg
    ) {
      throw new IpmiError('session', `${this.label} answered Open Session with other algorithms than asked`, {
        target: this.name,
        hint: `the BMC may not support cipher suite ${suite.id}; try the other one (3 or 17)`,
      });
    }

    return { open, consoleSid };
  }

  /** RAKP 1 / 2: the BMC proves it knows the password. */
  private async rakp12(bmcSessionId: number, consoleSid: number, privilege: number) {
    const t = this.target;
    const suite = this.suite;
    const ctx: RakpContext = {
      consoleSessionId: consoleSid,
      bmcSessionId,
      consoleRandom: randomBytesPooled(16),
      bmcRandom: Buffer.alloc(16),
      bmcGuid: Buffer.alloc(16),
      role: privilege | NAME_ONLY_LOOKUP,
      username: t.username,
    };
    const kuid = userKey(t.password);
    const rakpTag = this.nextTag();
    const rakp2 = await this.exchange(
      encodeV20({
        payloadType: PayloadType.Rakp1,
        sessionId: 0,
        seq: 0,
        encrypted: false,
        payload: encodeRakp1({
          tag: rakpTag,
          bmcSessionId,
          consoleRandom: ctx.consoleRandom,
          role: ctx.role,
          username: t.username,
        }),
      }),
      (pkt) => {
        if (pkt.format !== 'v20' || pkt.payloadType !== PayloadType.Rakp2) return undefined;
        const r = decodeRakp2(pkt.payload);
        return r.tag === rakpTag ? r : undefined;
      },
      'RAKP 1',
    );
    if (rakp2.status !== 0) {
      throw this.authError(
        `${this.label} rejected user '${t.username}': ${rmcpStatusText(rakp2.status)}`,
        rakp2.status,
      );
    }
    ctx.bmcRandom = rakp2.bmcRandom;
    ctx.bmcGuid = rakp2.bmcGuid;
    const rakp3 = (status: number, authCode: Buffer) =>
      encodeV20({
        payloadType: PayloadType.Rakp3,
        sessionId: 0,
        seq: 0,
        encrypted: false,
        payload: encodeRakp3({ tag: rakpTag, status, bmcSessionId, authCode }),
      });
    if (!constantTimeEqual(rakp2AuthCode(suite, kuid, ctx), rakp2.authCode)) {
      // Tell the BMC to drop the half-open session rather than leave it to its idle timeout.
      this.channel.send(rakp3(0x0f, Buffer.alloc(0)));
      throw this.authError(
        `wrong password for user '${t.username}' on ${this.label} (RAKP 2 check failed)`,
        0x0f,
      );
    }

    return { ctx, kuid, rakpTag, rakp3 };
  }

  /** RAKP 3 / 4: we prove it; both derive the session integrity key. */
  private async rakp34({ ctx, kuid, rakpTag, rakp3 }: Awaited<ReturnType<IpmiSession['rakp12']>>) {
    const t = this.target;
    const suite = this.suite;
    const rakp4 = await this.exchange(
      rakp3(0, rakp3AuthCode(suite, kuid, ctx)),
      (pkt) => {
        if (pkt.format !== 'v20' || pkt.payloadType !== PayloadType.Rakp4) return undefined;
        const r = decodeRakp4(pkt.payload);
        return r.tag === rakpTag ? r : undefined;
      },
      'RAKP 3',
    );
    if (rakp4.status !== 0) {
      throw this.authError(
        `${this.label} rejected the login of '${t.username}': ${rmcpStatusText(rakp4.status)}`,
        rakp4.status,
      );
    }
    const sik = sessionIntegrityKey(suite, kuid, ctx);
    if (!constantTimeEqual(rakp4Icv(suite, sik, ctx), rakp4.icv)) {
      throw new IpmiError('session', `${this.label} sent a RAKP 4 that does not verify`, {
        target: this.name,
        hint: 'the BMC may use a BMC key (Kg); rackpilot supports only BMCs without one',
      });
    }
    return sik;
  }

  /** Set Session Privilege Level to the target's privilege, once per session. */
  private async elevate(): Promise<void> {
    const s = this.established;
    if (!s || s.elevated) return;
    const t = this.target;
    const privilege = PRIVILEGE_BY_NAME[t.privilege ?? 'administrator'];

    const priv = await this.rawCommand(
      Cmd.SetSessionPrivilege.netFn,
      Cmd.SetSessionPrivilege.cmd,
      Buffer.from([privilege]),
      'Set Session Privilege Level',
    );
    if (priv.completionCode !== 0) {
      throw new IpmiError(
        'auth',
        `${this.label} refused ${t.privilege ?? 'administrator'} privilege for '${t.username}': ` +
          `${completionCodeText(priv.completionCode)} (${hex(priv.completionCode)})`,
        {
          target: this.name,
          completionCode: priv.completionCode,
          hint: 'give the BMC user operator or administrator privilege on the LAN channel',
        },
      );
    }
    s.elevated = true;
  }

  /** One command over the established session (no re-open). Completion codes are returned, not thrown. */
  private rawCommand(
    netFn: number,
    cmd: number,
    data: Buffer,
    what: string,
    policy?: RetryPolicy,
  ): Promise<IpmiResponse> {
    const s = this.established;
    if (!s) throw new Error('no established session');
    const rqSeq = this.nextRqSeq();
    const msg = encodeRequest({
      rsAddr: BMC_SLAVE_ADDR,
      netFn,
      rsLun: 0,
      rqAddr: REMOTE_CONSOLE_SWID,
      rqSeq,
      rqLun: 0,
      cmd,
      data,
    });
    const seq = s.outSeq;
    s.outSeq = (s.outSeq + 1) >>> 0 || 1;
    const keys = s.keys;
    const datagram = encodeV20({
      payloadType: PayloadType.IPMI,
      sessionId: s.bmcSid,
      seq,
      encrypted: true,
      payload: encryptPayload(keys.aesKey, msg),
      integrity: { sign: (c) => integrityCode(keys, c) },
    });
    return this.exchange(
      datagram,
      (pkt) => {
        if (pkt.format !== 'v20' || pkt.payloadType !== PayloadType.IPMI || pkt.sessionId !== s.consoleSid) {
          return undefined;
        }
        if (
          !pkt.authenticated ||
          !pkt.signed ||
          !pkt.authCode ||
          !verifyIntegrity(keys, pkt.signed, pkt.authCode)
        ) {
          return undefined;
        }
        let body: Buffer;
        try {
          body = pkt.encrypted ? decryptPayload(keys.aesKey, pkt.payload) : pkt.payload;
        } catch {
          return undefined;
        }
        const r = decodeResponse(body);
        if (r.netFn !== (netFn | 1) || r.cmd !== cmd || r.rqSeq !== rqSeq) return undefined;
        // Only a signed, matching answer counts against the window: noise cannot shift it.
        return acceptSessionSeq(s, pkt.seq) ? r : undefined;
      },
      what,
      policy,
    );
  }

  completionError(what: string, r: IpmiResponse): IpmiError {
    const cc = r.completionCode;
    const hint =
      cc === 0xd4
        ? 'the BMC user needs operator or administrator privilege for this'
        : cc === 0xd5
          ? 'the host is in a state where this does not apply (e.g. power cycle or reset of a host that is off)'
          : cc === 0xc1
            ? 'this BMC does not implement the command'
            : undefined;
    return new IpmiError(
      'completion',
      `${this.label} refused ${what}: ${completionCodeText(cc)} (${hex(cc)})`,
      {
        target: this.name,
        completionCode: cc,
        ...(hint && { hint }),
      },
    );
  }
}
