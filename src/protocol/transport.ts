import type { Socket } from 'node:net';
import {
  AbstractMessageWriter,
  createMessageConnection,
  SocketMessageReader,
  type Message,
  type MessageConnection,
  type MessageWriter,
} from 'vscode-jsonrpc/node';

/**
 * A JSON-RPC connection over one side of the runner's socket. The reader's partial-message timer
 * is off: a peer killed in the middle of a message leaves a partial frame behind, and that timer
 * re-arms itself every 10 s for as long as the frame stays incomplete (forever, once the peer is
 * gone), so a CLI whose runner died would never exit. Nothing here listens for partial messages.
 */
export function socketConnection(socket: Socket): MessageConnection {
  const reader = new SocketMessageReader(socket);
  reader.partialMessageTimeout = 0;
  return createMessageConnection(reader, new TickWriter(socket));
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
  private frames: Buffer[] = [];
  private settle: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  private errors = 0;

  constructor(private readonly socket: Socket) {
    super();
    socket.on('error', (err) => this.fireError(err));
    socket.on('close', () => this.fireClose());
  }

  write(msg: Message): Promise<void> {
    let body: Buffer;
    try {
      body = Buffer.from(JSON.stringify(msg), 'utf8');
    } catch (err) {
      this.fireError(err as Error);
      return Promise.reject(err as Error);
    }
    this.frames.push(Buffer.from(`Content-Length: ${body.byteLength}\r\n\r\n`, 'ascii'), body);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve, reject) => this.settle.push({ resolve, reject }));
  }

  private flush(): void {
    this.scheduled = false;
    if (this.frames.length === 0) return;
    const data = Buffer.concat(this.frames);
    const settle = this.settle;
    this.frames = [];
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
