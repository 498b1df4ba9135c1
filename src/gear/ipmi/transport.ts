/**
 * One or a few UDP sockets shared by every BMC session of a client: a thousand BMCs cost a
 * thousand small state machines, not a thousand sockets. Datagrams are routed by the sender's
 * address and port to the sessions talking to that BMC.
 */
import dgram from 'node:dgram';

export type DatagramHandler = (msg: Buffer) => void;

export interface TransportOptions {
  /** Sockets to spread sessions over (default 1). */
  sockets?: number;
  /** Kernel receive buffer: a sweep of many BMCs answers in bursts. */
  recvBufferSize?: number;
}

export class UdpTransport {
  private readonly count: number;
  private readonly recvBufferSize: number;
  private readonly sockets: { v4?: dgram.Socket[]; v6?: dgram.Socket[] } = {};
  private readonly handlers = new Map<string, Set<DatagramHandler>>();
  private next = 0;
  private closed = false;

  constructor(opts: TransportOptions = {}) {
    this.count = Math.max(1, opts.sockets ?? 1);
    this.recvBufferSize = opts.recvBufferSize ?? 4 * 1024 * 1024;
  }

  /** A sending channel bound to one socket for one BMC, plus its inbound subscription. */
  attach(
    address: string,
    port: number,
    handler: DatagramHandler,
  ): { send(buf: Buffer): void; detach(): void } {
    if (this.closed) throw new Error('transport closed');
    const family = address.includes(':') ? 'v6' : 'v4';
    const socks = (this.sockets[family] ??= this.open(family));
    const sock = socks[this.next++ % socks.length]!;
    const key = `${address}|${port}`;
    let set = this.handlers.get(key);
    if (!set) this.handlers.set(key, (set = new Set()));
    set.add(handler);
    return {
      send: (buf) => {
        if (!this.closed) sock.send(buf, port, address);
      },
      detach: () => {
        set.delete(handler);
        if (set.size === 0) this.handlers.delete(key);
      },
    };
  }

  close(): void {
    this.closed = true;
    for (const list of [this.sockets.v4, this.sockets.v6]) for (const s of list ?? []) s.close();
    this.handlers.clear();
  }

  private open(family: 'v4' | 'v6'): dgram.Socket[] {
    return Array.from({ length: this.count }, () => {
      const s = dgram.createSocket({
        type: family === 'v4' ? 'udp4' : 'udp6',
        recvBufferSize: this.recvBufferSize,
      });
      s.on('message', (msg, rinfo) => {
        const set = this.handlers.get(`${rinfo.address}|${rinfo.port}`);
        if (set) for (const h of set) h(msg);
      });
      // ICMP port unreachable and the like surface here; the retransmit timer reports them as timeouts.
      s.on('error', () => {});
      s.bind(0);
      // Pending requests keep the process alive through their timers, not through the socket.
      s.unref();
      return s;
    });
  }
}
