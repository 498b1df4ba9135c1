/**
 * One end of a Serial-over-LAN stream (IPMI v2.0 §15.9–15.11), the same on the console and the
 * BMC side: characters go out in packets numbered 1..15, one packet in flight at a time, each
 * acknowledged by the peer with the count of characters it accepted; a packet not acknowledged in
 * time is sent again, a partial acknowledgement sends the rest under a new number, a NACK holds
 * the packet until the next retry. Inbound packets are acknowledged at once; a retransmitted
 * packet (same number) delivers only characters not seen before, as ipmitool does. No sockets:
 * the caller wraps payloads into the session and supplies the clock.
 */
import {
  decodeSolPacket,
  encodeSolPacket,
  nextSolSeq,
  SOL_MAX_CHARS,
  type SolDirection,
  type SolPacket,
} from './sol-codec.ts';

export type Schedule = (fn: () => void, ms: number) => () => void;

export interface SolLinkOptions {
  /** Direction of the packets this end sends. */
  dir: SolDirection;
  /** Transmit one SOL payload (the caller wraps it into the RMCP+ session). */
  send(payload: Buffer): void;
  /** New characters from the peer, in order, each once. */
  onData(data: Buffer, pkt: SolPacket): void;
  /** Every valid packet from the peer (status bits: break detected, deactivating…). */
  onPacket?(pkt: SolPacket): void;
  /** A packet was sent `retries + 1` times without an acknowledgement: the peer is gone. */
  onGiveUp?(): void;
  /** Characters per packet, from Activate Payload's sizes (header excluded). */
  maxChars?: number;
  /**
   * A BMC's SOL configuration parameter 3 (IPMI v2.0 §26.3): how long characters wait for more
   * before a partial packet goes (Character Accumulate Interval), and how many waiting make a
   * packet go at once (Character Send Threshold). Unset, each packet goes as soon as it can, as a
   * remote console sends keys.
   */
  accumulate?: { intervalMs: number; sendThreshold: number };
  retryMs?: number;
  retries?: number;
  schedule?: Schedule;
}

interface InFlight {
  seq: number;
  data: Buffer;
  generateBreak: boolean;
  payload: Buffer;
  attempts: number;
}

const defaultSchedule: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export class SolLink {
  private readonly opts: Required<Omit<SolLinkOptions, 'onPacket' | 'onGiveUp' | 'accumulate'>> &
    Pick<SolLinkOptions, 'onPacket' | 'onGiveUp' | 'accumulate'>;
  private queue: Buffer[] = [];
  private queued = 0;
  private breakPending = false;
  private inFlight: InFlight | undefined;
  private cancelRetry: (() => void) | undefined;
  /** The accumulate interval running for the characters waiting, and whether it has run out. */
  private cancelAccumulate: (() => void) | undefined;
  private accumulated = false;
  private seq = 0;
  private lastInSeq = 0;
  private lastInLength = 0;
  private closed = false;
  /** Counters for diagnostics and tests. */
  readonly stats = { sent: 0, retransmitted: 0, acked: 0, nacked: 0, partial: 0, duplicates: 0 };

  constructor(opts: SolLinkOptions) {
    this.opts = {
      maxChars: SOL_MAX_CHARS,
      retryMs: 500,
      retries: 7,
      schedule: defaultSchedule,
      ...opts,
    };
    this.opts.maxChars = Math.max(1, Math.min(SOL_MAX_CHARS, this.opts.maxChars));
  }

  /** Characters waiting to be sent or in flight. */
  get pending(): number {
    return this.queued + (this.inFlight?.data.length ?? 0);
  }

  /** Queue characters for the peer. */
  write(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    this.queue.push(Buffer.from(data));
    this.queued += data.length;
    this.pump();
  }

  /** A serial break (console → BMC: "generate break"), carried by the next packet. */
  sendBreak(): void {
    if (this.closed) return;
    this.breakPending = true;
    this.pump();
  }

  /** Handle one SOL payload from the peer (already authenticated and decrypted). */
  receive(payload: Buffer): void {
    if (this.closed) return;
    const peerDir: SolDirection = this.opts.dir === 'to-bmc' ? 'to-console' : 'to-bmc';
    const pkt = decodeSolPacket(payload, peerDir);
    this.opts.onPacket?.(pkt);
    if (pkt.ackSeq !== 0) this.acknowledged(pkt);
    if (pkt.seq !== 0) this.inbound(pkt);
  }

  close(): void {
    this.closed = true;
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.cancelAccumulate?.();
    this.cancelAccumulate = undefined;
    this.inFlight = undefined;
    this.queue = [];
    this.queued = 0;
  }

  private inbound(pkt: SolPacket): void {
    let fresh = pkt.data;
    if (pkt.seq === this.lastInSeq) {
      // A retransmission: the peer missed our ack. Only characters beyond those seen are new.
      this.stats.duplicates++;
      fresh = pkt.data.length > this.lastInLength ? pkt.data.subarray(this.lastInLength) : Buffer.alloc(0);
    }
    this.lastInSeq = pkt.seq;
    this.lastInLength = pkt.data.length;
    this.opts.send(
      encodeSolPacket({ seq: 0, ackSeq: pkt.seq, acceptedChars: pkt.data.length }, this.opts.dir),
    );
    if (fresh.length > 0) this.opts.onData(fresh, pkt);
  }

  private acknowledged(pkt: SolPacket): void {
    const f = this.inFlight;
    if (!f || pkt.ackSeq !== f.seq) return;
    if (pkt.nack) {
      // The peer cannot take characters now: keep the packet, the retry timer sends it again.
      this.stats.nacked++;
      return;
    }
    this.cancelRetry?.();
    this.cancelRetry = undefined;
    this.inFlight = undefined;
    this.stats.acked++;
    if (pkt.acceptedChars < f.data.length) {
      // Partial acknowledgement: the rest goes first, in a packet of its own number.
      this.stats.partial++;
      const rest = f.data.subarray(pkt.acceptedChars);
      this.queue.unshift(rest);
      this.queued += rest.length;
    }
    this.pump();
  }

  private pump(): void {
    if (this.closed || this.inFlight || (this.queued === 0 && !this.breakPending)) return;
    if (this.waitForMore()) return;
    this.cancelAccumulate?.();
    this.cancelAccumulate = undefined;
    this.accumulated = false;
    const data = this.take(this.opts.maxChars);
    this.seq = nextSolSeq(this.seq);
    const generateBreak = this.breakPending;
    this.breakPending = false;
    const payload = encodeSolPacket({ seq: this.seq, data, generateBreak }, this.opts.dir);
    this.inFlight = { seq: this.seq, data, generateBreak, payload, attempts: 0 };
    this.transmit();
  }

  /** A partial packet within its accumulate interval waits (the interval starts with its first character). */
  private waitForMore(): boolean {
    const acc = this.opts.accumulate;
    if (!acc || this.accumulated || this.breakPending || this.queued >= acc.sendThreshold) return false;
    this.cancelAccumulate ??= this.opts.schedule(() => {
      this.cancelAccumulate = undefined;
      this.accumulated = true;
      this.pump();
    }, acc.intervalMs);
    return true;
  }

  private transmit(): void {
    const f = this.inFlight;
    if (!f || this.closed) return;
    f.attempts++;
    if (f.attempts > 1) this.stats.retransmitted++;
    else this.stats.sent++;
    this.opts.send(f.payload);
    this.cancelRetry = this.opts.schedule(() => {
      this.cancelRetry = undefined;
      if (this.inFlight !== f) return;
      if (f.attempts > this.opts.retries) {
        this.inFlight = undefined;
        this.opts.onGiveUp?.();
        this.pump();
        return;
      }
      this.transmit();
    }, this.opts.retryMs);
  }

  private take(max: number): Buffer {
    const parts: Buffer[] = [];
    let n = 0;
    while (n < max && this.queue.length > 0) {
      const head = this.queue[0]!;
      const want = max - n;
      if (head.length <= want) {
        parts.push(head);
        n += head.length;
        this.queue.shift();
      } else {
        parts.push(head.subarray(0, want));
        this.queue[0] = head.subarray(want);
        n += want;
      }
    }
    this.queued -= n;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }
}
