/**
 * rackpilot's IPMI v2.0 client: one object drives any number of BMCs over one (or a few) UDP
 * sockets, keeping one RMCP+ session per BMC and user alive between calls.
 *
 *   const ipmi = new IpmiClient();
 *   await ipmi.power(target, 'on');
 *   await ipmi.setBootDevice(target, { device: 'pxe' });
 *   await ipmi.close();
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { registerSecret } from '../../util/redact.ts';
import type { IpmiResponse } from './codec.ts';
import {
  BootParam,
  CHASSIS_CONTROL,
  Cmd,
  decodeBootFlags,
  decodeChassisStatusResponse,
  decodeDeviceIdResponse,
  decodeGetBootOptionResponse,
  encodeBootFlags,
  encodeGetBootOption,
  encodeSetBootOption,
  type BootDeviceName,
  type BootFlags,
  type ChassisStatus,
  type DeviceId,
  type PowerAction,
  type PowerState,
} from './commands.ts';
import { IpmiError } from './errors.ts';
import { IpmiSession, targetName, type IpmiTarget, type RetryPolicy } from './session.ts';
import { UdpTransport } from './transport.ts';
import { SolConsole, type SolHandlers, type SolOptions } from './sol.ts';

export type { IpmiTarget, RetryPolicy };

export interface IpmiClientOptions {
  /** Wait per attempt before retransmitting (default 1000 ms). */
  timeoutMs?: number;
  /**
   * Instead of timeoutMs: how long one request may wait in all, every retransmission included
   * (RACKPILOT_BMC_TIMEOUT); each attempt gets its share.
   */
  answerTimeoutMs?: number;
  /** The setting named when a BMC does not answer in time; default RACKPILOT_BMC_TIMEOUT. */
  timeoutSetting?: string;
  /** Retransmissions after the first send (default 3). */
  retries?: number;
  /** Idle time after which a session is kept alive with Get Device ID (default 30 s; 0 disables). */
  keepAliveMs?: number;
  /** UDP sockets shared by all sessions (default 1). */
  sockets?: number;
}

export interface BootDeviceRequest {
  device: Extract<BootDeviceName, 'pxe' | 'disk' | 'bios' | 'cdrom' | 'none'>;
  persistent?: boolean;
  efi?: boolean;
}

export interface PowerCommandEvent {
  name: string;
  target: IpmiTarget;
  action: PowerAction;
  at: number;
}

export class IpmiClient {
  private readonly transport: UdpTransport;
  private readonly retry: RetryPolicy;
  private readonly sessions = new Map<string, Promise<IpmiSession>>();
  private readonly powerListeners = new Set<(e: PowerCommandEvent) => void>();
  private readonly keepAliveTimer: NodeJS.Timeout | undefined;
  private readonly keepAliveMs: number;
  private closed = false;

  constructor(opts: IpmiClientOptions = {}) {
    this.transport = new UdpTransport({ sockets: opts.sockets ?? 1 });
    const retries = opts.retries ?? 3;
    this.retry = {
      timeoutMs: opts.answerTimeoutMs
        ? Math.max(50, Math.floor(opts.answerTimeoutMs / (retries + 1)))
        : (opts.timeoutMs ?? 1000),
      retries,
      ...(opts.answerTimeoutMs && { setting: opts.timeoutSetting ?? 'RACKPILOT_BMC_TIMEOUT' }),
    };
    this.keepAliveMs = opts.keepAliveMs ?? 30_000;
    if (this.keepAliveMs > 0) {
      this.keepAliveTimer = setInterval(
        () => void this.keepAlive(),
        Math.max(50, Math.floor(this.keepAliveMs / 2)),
      );
      this.keepAliveTimer.unref();
    }
  }

  async powerStatus(target: IpmiTarget, signal?: AbortSignal): Promise<PowerState> {
    return (await this.chassisStatus(target, signal)).power;
  }

  async chassisStatus(target: IpmiTarget, signal?: AbortSignal): Promise<ChassisStatus> {
    const r = await this.call(
      target,
      Cmd.GetChassisStatus,
      Buffer.alloc(0),
      'Get Chassis Status',
      false,
      signal,
    );
    return decodeChassisStatusResponse(r.data);
  }

  /** on, off (hard), soft (ACPI shutdown request), cycle, reset. */
  async power(target: IpmiTarget, action: PowerAction, signal?: AbortSignal): Promise<void> {
    const code = CHASSIS_CONTROL[action];
    if (code === undefined) throw new Error(`unknown power action ${String(action)}`);
    await this.call(
      target,
      Cmd.ChassisControl,
      Buffer.from([code]),
      `Chassis Control (power ${action})`,
      true,
      signal,
    );
    const e: PowerCommandEvent = { name: targetName(target), target, action, at: Date.now() };
    for (const l of this.powerListeners) l(e);
  }

  /** Boot flags (parameter 5): once or persistent, legacy or EFI. `none` clears the override. */
  async setBootDevice(target: IpmiTarget, req: BootDeviceRequest, signal?: AbortSignal): Promise<void> {
    const flags = encodeBootFlags({
      valid: req.device !== 'none',
      persistent: req.persistent ?? false,
      efi: req.efi ?? false,
      device: req.device,
    });
    await this.call(
      target,
      Cmd.SetSystemBootOptions,
      encodeSetBootOption(BootParam.BootFlags, flags),
      `Set System Boot Options (boot device ${req.device})`,
      true,
      signal,
    );
  }

  async getBootDevice(target: IpmiTarget, signal?: AbortSignal): Promise<BootFlags> {
    const r = await this.call(
      target,
      Cmd.GetSystemBootOptions,
      encodeGetBootOption(BootParam.BootFlags),
      'Get System Boot Options (boot flags)',
      false,
      signal,
    );
    // Returned as the BMC holds them: some BMCs (ipmi_sim) keep the device but clear the valid bit.
    return decodeBootFlags(decodeGetBootOptionResponse(r.data).data);
  }

  async deviceId(target: IpmiTarget, signal?: AbortSignal): Promise<DeviceId> {
    const r = await this.call(target, Cmd.GetDeviceId, Buffer.alloc(0), 'Get Device ID', false, signal);
    return decodeDeviceIdResponse(r.data);
  }

  /** Any command; a non-zero completion code throws IpmiError with `completionCode`. */
  async raw(
    target: IpmiTarget,
    netFn: number,
    cmd: number,
    data: Buffer = Buffer.alloc(0),
    signal?: AbortSignal,
  ): Promise<Buffer> {
    const r = await this.call(
      target,
      { netFn, cmd },
      data,
      `command netfn 0x${netFn.toString(16)} cmd 0x${cmd.toString(16)}`,
      true,
      signal,
    );
    return r.data;
  }

  /**
   * Activate Serial-over-LAN on the BMC's session and stream it: `handlers.onData` gets the host's
   * serial output; the console's `write` sends keys. One SOL console per BMC at a time: a BMC
   * answers a second activation with "already active on another session".
   */
  async openConsole(target: IpmiTarget, handlers: SolHandlers, opts: SolOptions = {}): Promise<SolConsole> {
    const session = await this.session(target);
    return SolConsole.activate(session, handlers, opts);
  }

  /** Called after every successful power command sent by this client (the power watcher uses it). */
  onPowerCommand(listener: (e: PowerCommandEvent) => void): () => void {
    this.powerListeners.add(listener);
    return () => this.powerListeners.delete(listener);
  }

  /** How many sessions were opened for the target (1, plus re-opens); 0 if none. For diagnostics. */
  async sessionOpens(target: IpmiTarget): Promise<number> {
    const s = this.sessions.get(sessionKey(target));
    return s ? (await s).opens : 0;
  }

  /** Close one BMC's session. */
  async closeSession(target: IpmiTarget): Promise<void> {
    const key = sessionKey(target);
    const s = this.sessions.get(key);
    this.sessions.delete(key);
    if (s) await (await s.catch(() => undefined))?.close();
  }

  /** Close every session (Close Session sent to each BMC) and the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
    this.transport.close();
  }

  /**
   * One command. `signal` is checked before the session is opened and again before the command is
   * sent; a command already sent is not cut short (a datagram cannot be taken back): the call
   * settles within the retry policy's bound (timeoutMs × (retries + 1)), so a caller that waits
   * for it after an abort (the task engine does) knows the BMC is no longer being talked to.
   */
  private async call(
    target: IpmiTarget,
    c: { netFn: number; cmd: number },
    data: Buffer,
    what: string,
    elevated = false,
    signal?: AbortSignal,
  ): Promise<IpmiResponse> {
    signal?.throwIfAborted();
    const session = await this.session(target);
    signal?.throwIfAborted();
    const r = await session.command(c.netFn, c.cmd, data, what, elevated);
    if (r.completionCode !== 0) throw session.completionError(what, r);
    return r;
  }

  private session(target: IpmiTarget): Promise<IpmiSession> {
    if (this.closed) {
      return Promise.reject(new IpmiError('closed', 'IPMI client is closed', { target: targetName(target) }));
    }
    const key = sessionKey(target);
    let s = this.sessions.get(key);
    if (!s) {
      registerSecret(target.password);
      s = resolveAddress(target.host).then(
        (address) => new IpmiSession(target, address, this.transport, this.retry),
      );
      // A failed lookup is not cached: the next call tries again.
      s.catch(() => this.sessions.delete(key));
      this.sessions.set(key, s);
    }
    return s;
  }

  private async keepAlive(): Promise<void> {
    const now = Date.now();
    for (const p of this.sessions.values()) {
      const s = await p.catch(() => undefined);
      if (s && s.isOpen && s.idle && now - s.lastAnswerAt >= this.keepAliveMs) void s.keepAlive();
    }
  }
}

/** Credentials are part of the key: a changed password must authenticate afresh, never ride an old session. */
function sessionKey(t: IpmiTarget): string {
  return [
    t.host,
    t.port ?? 623,
    t.username,
    t.password,
    t.cipherSuite ?? 3,
    t.privilege ?? 'administrator',
  ].join('\u0000');
}

async function resolveAddress(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    // BMC networks are IPv4 in practice; prefer an IPv4 address when a name has both.
    const all = await lookup(host, { all: true });
    return (all.find((a) => a.family === 4) ?? all[0]!).address;
  } catch (err) {
    throw new IpmiError('timeout', `cannot resolve BMC address ${host}`, {
      target: host,
      hint: 'check the BMC address in the rack file',
      cause: err,
    });
  }
}
