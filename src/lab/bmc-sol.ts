/**
 * A lab BMC's Serial-over-LAN payload: one instance, held by at most one session (a second
 * Activate Payload answers "already active on another session", as real BMCs do), encrypted as
 * the BMC's SOL settings force, streaming the host's serial console through a SolLink and typing
 * the console's keys into it. The BMC core wraps payloads into its sessions.
 */
import { Privilege } from '../gear/ipmi/rmcpplus.ts';
import {
  decodeActivatePayload,
  encodeActivatePayloadResponse,
  encodeGetPayloadActivationStatusResponse,
  SOL_MAX_CHARS,
  SOL_PAYLOAD_TYPE,
} from '../gear/ipmi/sol-codec.ts';
import { SolLink } from '../gear/ipmi/sol-link.ts';

/** The host's serial port as the BMC sees it. */
export interface SerialPort {
  subscribe(fn: (data: Buffer) => void): () => void;
  input(data: Buffer): void;
}

interface Active {
  bmcSid: number;
  link: SolLink;
  encrypt: boolean;
  unsubscribe: () => void;
}

type Answer = { cc: number; data?: Buffer };

/** Payload sizes the lab answers in Activate Payload: a full SOL packet each way. */
const PAYLOAD_SIZE = SOL_MAX_CHARS + 4;
/**
 * SOL configuration parameter 3 as a BMC holds it: the host's output is gathered for 100 ms (the
 * Character Accumulate Interval OpenBMC's phosphor-net-ipmid ships) before a partial packet goes,
 * and a full packet goes at once (Character Send Threshold 255), so a console that prints a burst
 * of lines sends them in one packet, not one each.
 */
const LAB_SOL_ACCUMULATE = { intervalMs: 100, sendThreshold: SOL_MAX_CHARS };

export class BmcSol {
  /** SOL Enable (SOL configuration parameter 1): off answers "payload disabled". */
  enabled = true;
  /** UDP port the payload flows on: the BMC's own (set once its socket is bound). */
  port = 623;
  /** Activations granted since start, for tests that count SOL sessions. */
  activations = 0;
  private active: Active | undefined;
  private readonly serial: SerialPort | undefined;
  private readonly send: (bmcSid: number, payload: Buffer, encrypt: boolean) => void;

  constructor(
    serial: SerialPort | undefined,
    send: (bmcSid: number, payload: Buffer, encrypt: boolean) => void,
  ) {
    this.serial = serial;
    this.send = send;
  }

  get activeSession(): number | undefined {
    return this.active?.bmcSid;
  }

  activate(bmcSid: number, privilege: number, data: Buffer): Answer {
    if (data.length < 6) return { cc: 0xc7 };
    const req = decodeActivatePayload(data);
    if (req.payloadType !== SOL_PAYLOAD_TYPE) return { cc: 0x81 };
    if (req.instance !== 1) return { cc: 0xcc };
    if (!this.serial || !this.enabled) return { cc: 0x81 };
    if (privilege < Privilege.User) return { cc: 0xd4 };
    if (this.active) return { cc: 0x80 };
    // SOL parameter 2 "force encryption" is set, as BMCs ship.
    if (!req.encrypt) return { cc: 0x84 };
    this.activations++;
    const link = new SolLink({
      dir: 'to-console',
      send: (p) => this.send(bmcSid, p, true),
      onData: (d) => this.serial!.input(d),
      // A console that stops acknowledging loses its characters, not the payload.
      onGiveUp: () => undefined,
      retryMs: 1000,
      retries: 3,
      accumulate: LAB_SOL_ACCUMULATE,
    });
    const unsubscribe = this.serial.subscribe((d) => link.write(d));
    this.active = { bmcSid, link, encrypt: true, unsubscribe };
    return {
      cc: 0,
      data: encodeActivatePayloadResponse({
        inboundSize: PAYLOAD_SIZE,
        outboundSize: PAYLOAD_SIZE,
        port: this.port,
        vlan: 0xffff,
      }),
    };
  }

  /** Any session may deactivate the payload (ipmitool sol deactivate frees a stuck console). */
  deactivate(data: Buffer): Answer {
    if (data.length < 2) return { cc: 0xc7 };
    if (data[0]! !== SOL_PAYLOAD_TYPE) return { cc: 0x81 };
    if (!this.active) return { cc: 0x80 };
    this.stop();
    return { cc: 0 };
  }

  status(data: Buffer): Answer {
    if (data.length < 1) return { cc: 0xc7 };
    if (data[0]! !== SOL_PAYLOAD_TYPE)
      return { cc: 0, data: encodeGetPayloadActivationStatusResponse(0, []) };
    return { cc: 0, data: encodeGetPayloadActivationStatusResponse(1, this.active ? [1] : []) };
  }

  /** A SOL payload from a session (authenticated and decrypted by the core). */
  receive(bmcSid: number, payload: Buffer): void {
    if (this.active?.bmcSid !== bmcSid) return;
    try {
      this.active.link.receive(payload);
    } catch {
      // Malformed: dropped as a corrupt datagram is.
    }
  }

  /** The session is gone (closed, timed out, BMC reset): its payload goes with it. */
  sessionGone(bmcSid?: number): void {
    if (this.active && (bmcSid === undefined || this.active.bmcSid === bmcSid)) this.stop();
  }

  private stop(): void {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    a.unsubscribe();
    a.link.close();
  }
}
