/**
 * A Serial-over-LAN console over an RMCP+ session: Activate Payload (SOL, instance 1, encrypted
 * and authenticated as the session's cipher suite allows), the SOL stream both ways, a keep-alive
 * that notices a lost session, and Deactivate Payload on close. Refusals become IpmiErrors that
 * say what the operator can do (SOL disabled, in use by another session, not allowed for the user).
 */
import { completionCodeText, hex } from './codec.ts';
import { IpmiError } from './errors.ts';
import type { IpmiSession } from './session.ts';
import {
  ACTIVATE_PAYLOAD_CODES,
  decodeActivatePayloadResponse,
  encodeActivatePayload,
  encodeDeactivatePayload,
  SolCmd,
  type ActivatePayloadResponse,
  type SolPacket,
} from './sol-codec.ts';
import { SolLink } from './sol-link.ts';

export interface SolHandlers {
  /** Characters from the host's serial port, in order, each once. */
  onData(data: Buffer): void;
  /** The console ended: deactivated by us (no error), by the BMC, or lost (error). */
  onClose?(err?: IpmiError): void;
  /** The BMC reported a break on the host's serial line. */
  onBreak?(): void;
}

export interface SolOptions {
  /** SOL retry interval and count (the BMC's own defaults are in its SOL parameters 4). */
  retryMs?: number;
  retries?: number;
  /** How often the session is checked with Get Device ID while SOL runs (ipmitool: 30 s). */
  keepAliveMs?: number;
}

const HEADER = 4;

export class SolConsole {
  readonly name: string;
  private readonly session: IpmiSession;
  private readonly handlers: SolHandlers;
  private readonly link: SolLink;
  private readonly token: number | undefined;
  private readonly keepAliveTimer: NodeJS.Timeout;
  private ended = false;
  readonly sizes: ActivatePayloadResponse;

  private constructor(
    session: IpmiSession,
    sizes: ActivatePayloadResponse,
    handlers: SolHandlers,
    opts: SolOptions,
  ) {
    this.session = session;
    this.name = session.name;
    this.sizes = sizes;
    this.handlers = handlers;
    this.token = session.sessionToken;
    this.link = new SolLink({
      dir: 'to-bmc',
      send: (p) => session.sendSol(p, true),
      onData: (d) => handlers.onData(d),
      onPacket: (p) => this.onPacket(p),
      onGiveUp: () =>
        this.end(
          new IpmiError('timeout', `${this.label} stopped acknowledging console input`, {
            target: this.name,
            hint: 'the BMC may have dropped the session; open the console again',
          }),
        ),
      maxChars: Math.max(1, sizes.inboundSize - HEADER),
      retryMs: opts.retryMs ?? 500,
      retries: opts.retries ?? 7,
    });
    session.setSolHandler((payload) => {
      try {
        this.link.receive(payload);
      } catch {
        // A malformed SOL payload is dropped like a corrupt datagram.
      }
    });
    this.keepAliveTimer = setInterval(() => void this.checkAlive(), opts.keepAliveMs ?? 30_000);
    this.keepAliveTimer.unref();
  }

  private get label(): string {
    return /^BMC\b/.test(this.name) ? this.name : `BMC ${this.name}`;
  }

  /** Activate the SOL payload on `session` and start streaming. */
  static async activate(
    session: IpmiSession,
    handlers: SolHandlers,
    opts: SolOptions = {},
  ): Promise<SolConsole> {
    const r = await session.command(
      SolCmd.ActivatePayload.netFn,
      SolCmd.ActivatePayload.cmd,
      encodeActivatePayload({ instance: 1, encrypt: true, authenticate: true, serialAlert: 1 }),
      'Activate Payload (SOL)',
      true,
    );
    if (r.completionCode !== 0) throw activationError(session, r.completionCode);
    let sizes: ActivatePayloadResponse;
    try {
      sizes = decodeActivatePayloadResponse(r.data);
    } catch (err) {
      throw new IpmiError(
        'session',
        `${session.name} answered Activate Payload with ${r.data.length} bytes`,
        {
          target: session.name,
          cause: err,
        },
      );
    }
    const port = session.target.port ?? 623;
    if (sizes.port !== port && sizes.port !== ((port >> 8) | ((port & 0xff) << 8))) {
      // The spec allows SOL on another port; ipmitool does not support it, nor do we.
      await deactivate(session).catch(() => undefined);
      throw new IpmiError('session', `${session.name} wants SOL on UDP port ${sizes.port}, not ${port}`, {
        target: session.name,
        hint: 'set the BMC to carry SOL on the RMCP+ port (623)',
      });
    }
    return new SolConsole(session, sizes, handlers, opts);
  }

  /** Keyboard input for the host. */
  write(data: Buffer): void {
    if (!this.ended) this.link.write(data);
  }

  /** A serial break (the magic SysRq key on Linux consoles). */
  sendBreak(): void {
    if (!this.ended) this.link.sendBreak();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Deactivate the payload (best effort) and stop. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.stop();
    await deactivate(this.session).catch(() => undefined);
    this.handlers.onClose?.();
  }

  private onPacket(p: SolPacket): void {
    if (p.breakDetected) this.handlers.onBreak?.();
    if (p.deactivating) {
      this.end(
        new IpmiError('session', `${this.label} deactivated the console`, {
          target: this.name,
          hint: 'another session may have taken the console over, or SOL was disabled on the BMC',
        }),
      );
    }
  }

  private async checkAlive(): Promise<void> {
    if (this.ended) return;
    try {
      await this.session.keepAlive();
    } catch {
      // keepAlive never throws; a lost session shows below.
    }
    if (this.session.sessionToken !== this.token) {
      this.end(
        new IpmiError('timeout', `${this.label} forgot the console's session`, {
          target: this.name,
          hint: 'the BMC timed the session out or restarted; open the console again',
        }),
      );
    }
  }

  private stop(): void {
    this.ended = true;
    clearInterval(this.keepAliveTimer);
    this.link.close();
    this.session.setSolHandler(undefined);
  }

  private end(err: IpmiError): void {
    if (this.ended) return;
    this.stop();
    this.handlers.onClose?.(err);
  }
}

function deactivate(session: IpmiSession): Promise<unknown> {
  return session.command(
    SolCmd.DeactivatePayload.netFn,
    SolCmd.DeactivatePayload.cmd,
    encodeDeactivatePayload(1),
    'Deactivate Payload (SOL)',
    true,
  );
}

/** Activate Payload's "already active on another session" (§24.1): another session holds the SOL. */
const SOL_ALREADY_ACTIVE = 0x80;

/** An openConsole failure saying the BMC still serves another session's SOL (which may soon close). */
export function isSolActiveElsewhere(err: unknown): boolean {
  return err instanceof IpmiError && err.kind === 'completion' && err.completionCode === SOL_ALREADY_ACTIVE;
}

function activationError(session: IpmiSession, cc: number): IpmiError {
  const what = ACTIVATE_PAYLOAD_CODES[cc] ?? completionCodeText(cc);
  const hint =
    cc === SOL_ALREADY_ACTIVE
      ? 'another console (ipmitool, the BMC web UI, another rackpilot runner) holds it: close that one, or deactivate it with `ipmitool sol deactivate`'
      : cc === 0x81
        ? 'enable SOL on the BMC (`ipmitool sol set enabled true`) and give the user SOL payload access'
        : cc === 0xd4
          ? "the BMC user's privilege is below the SOL privilege level the BMC requires (`ipmitool sol info`)"
          : cc === 0x83 || cc === 0x84
            ? "the BMC's SOL encryption setting disagrees with the cipher suite; use cipher suite 3 or 17"
            : undefined;
  return new IpmiError('completion', `${session.name} refused the console: ${what} (${hex(cc)})`, {
    target: session.name,
    completionCode: cc,
    ...(hint && { hint }),
  });
}
