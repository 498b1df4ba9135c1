import type { Socket } from 'node:net';
import {
  createMessageConnection,
  SocketMessageReader,
  SocketMessageWriter,
  type MessageConnection,
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
  return createMessageConnection(reader, new SocketMessageWriter(socket));
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
