import type { Socket } from 'node:net';
import {
  AbstractMessageWriter,
  createMessageConnection,
  Message,
  SocketMessageReader,
  type MessageConnection,
  type MessageWriter,
} from 'vscode-jsonrpc/node';

/**
 * A JSON-RPC connection over one side of the runner's socket. The reader's partial-message timer
 * is off: a peer killed in the middle of a message leaves a partial frame behind, and that timer
 * re-arms itself every 10 s for as long as the frame stays incomplete (forever, once the peer is
 * gone), so a CLI whose runner died would never exit. Nothing here listens for partial messages.
 */
export function socketConnection(socket: Socket, run?: NotificationRun): MessageConnection {
  const reader = new SocketMessageReader(socket);
  reader.partialMessageTimeout = 0;
  return createMessageConnection(reader, new TickWriter(socket, run));
}

/**
 * A notification whose messages, when several follow each other in one event-loop turn with
 * nothing between them, go as one message whose params `combine` makes of theirs, in order.
 */
export interface NotificationRun {
  method: string;
  combine(params: unknown[]): unknown;
}

/** Params of consecutive `run.method` notifications not yet framed (the last part of a turn's). */
interface PendingRun {
  params: unknown[];
}

/**
 * Writes the messages of one event-loop turn to the socket in one write, framed exactly as
 * vscode-jsonrpc frames them (`Content-Length: N` and a blank line, then the JSON). Its own socket
 * writer makes two writes of each message, the next one waiting for the last: with 100 tasks
 * running, the runner spent more time in those system calls than in the tasks' steps. Each
 * message's promise settles when its batch has been handed to the socket, as before. Every
 * connection flushes in the same turn, so messages sent to two clients at once leave together.
 */
export class TickWriter extends AbstractMessageWriter implements MessageWriter {
  private parts: (Buffer | PendingRun)[] = [];
  private settle: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  private errors = 0;

  /**
   * With `run`, consecutive notifications of its method in one turn become one message (the
   * runner's task events: a client following a busy task gets a few each turn, and each message
   * costs both ends its own framing, parse and dispatch). The order of all messages is kept.
   */
  constructor(
    private readonly socket: Socket,
    private readonly run?: NotificationRun,
  ) {
    super();
    socket.on('error', (err) => this.fireError(err));
    socket.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    if (this.run && Message.isNotification(msg) && msg.method === this.run.method) {
      const last = this.parts.at(-1);
      if (last && !Buffer.isBuffer(last)) last.params.push(msg.params);
      else this.parts.push({ params: [msg.params] });
    } else {
      let body: Buffer;
      try {
        body = frame(msg);
      } catch (err) {
        this.fireError(err as Error);
        return Promise.reject(err as Error);
      }
      this.parts.push(body);
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => this.settle.push({ resolve, reject }));
  }

  private flush(): void {
    this.scheduled = false;
    if (this.parts.length === 0) return;
    const settle = this.settle;
    let data: Buffer;
    try {
      data = Buffer.concat(
        this.parts.map((p) =>
          Buffer.isBuffer(p)
            ? p
            : frame({
                jsonrpc: '2.0',
                method: this.run!.method,
                params: this.run!.combine(p.params),
              } as Message),
        ),
      );
    } catch (err) {
      // Params are the runner's own JSON data; should one not encode, its turn's messages fail.
      this.parts = [];
      this.settle = [];
      this.fireError(err as Error);
      for (const s of settle) s.reject(err as Error);
      return;
    }
    this.parts = [];
    this.settle = [];
    this.socket.write(data, (err) => {
      if (!err) for (const s of settle) s.resolve();
      else {
        this.errors += 1;
        this.fireError(err, undefined, this.errors);
        for (const s of settle) s.reject(err);
      }
    });
  }

  end(): void {
    this.flush();
    this.socket.end();
  }

  override dispose(): void {
    super.dispose();
    this.socket.destroy();
  }
}

/** One message as vscode-jsonrpc frames it: `Content-Length: N` and a blank line, then the JSON. */
function frame(msg: Message): Buffer {
  const body = JSON.stringify(msg);
  return Buffer.from(`Content-Length: ${Buffer.byteLength(body, 'utf8')}\r\n\r\n${body}`, 'utf8');
}

/** Largest JSON-RPC message a client may send (user data is at most 1 MiB, escaped). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
/** Largest header block (`Content-Length: N\r\n…\r\n\r\n`); real ones are under 100 bytes. */
const MAX_HEADER_BYTES = 8 * 1024;

/**
 * vscode-jsonrpc's SocketMessageReader buffers whatever Content-Length announces, without limit.
 * This watches the same bytes (installed before the reader) and ends the connection when a header
 * announces more than `limit`, or is no header at all; `onDrop` says why (for the runner log).
 */
export function guardFrames(socket: Socket, onDrop: (why: string) => void, limit = MAX_MESSAGE_BYTES): void {
  let header = Buffer.alloc(0);
  let body = 0;
  let dropped = false;
  const drop = (why: string) => {
    if (dropped) return;
    dropped = true;
    onDrop(why);
    socket.destroy();
  };
  socket.on('data', (chunk: Buffer) => {
    let data = chunk;
    while (!dropped && data.length > 0) {
      if (body > 0) {
        const n = Math.min(body, data.length);
        body -= n;
        data = data.subarray(n);
        continue;
      }
      header = Buffer.concat([header, data]);
      const end = header.indexOf('\r\n\r\n');
      if (end < 0) {
        if (header.length > MAX_HEADER_BYTES) drop(`a header longer than ${MAX_HEADER_BYTES} bytes`);
        return;
      }
      const text = header.subarray(0, end).toString('latin1');
      const rest = header.subarray(end + 4);
      header = Buffer.alloc(0);
      const m = /^content-length:\s*(\d+)\s*$/im.exec(text);
      if (!m) return drop('a message without a Content-Length header');
      const length = Number(m[1]);
      if (!Number.isSafeInteger(length) || length > limit)
        return drop(`a message of ${m[1]} bytes (the limit is ${limit})`);
      body = length;
      data = rest;
    }
  });
}
