import { Socket, type TcpSocketConnectOpts } from 'node:net';

/**
 * Has a socket send what one turn of the event loop writes to it in one system call (a writev):
 * the first write of a turn corks it, the turn's end uncorks it. ssh2 writes each packet of an
 * AES-GCM session in three parts (length, ciphertext, tag), and an interactive session turns
 * Nagle off, so each part was a write and a TCP segment of its own, each waking the far end.
 * Nothing waits longer: the parts leave before any I/O of the next turn.
 *
 * For a socket that is connected or accepted: `connect()` puts `Socket.prototype.write` back on
 * the instance, undoing a wrapper set before it (`connectCorkedEachTurn` connects first).
 */
export function corkEachTurn(socket: Socket): Socket {
  const write = socket.write as (...args: unknown[]) => boolean;
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    return write.apply(socket, args);
  }) as Socket['write'];
  return socket;
}

/** A TCP connection, returned connecting, that sends each turn's writes at once (above). */
export function connectCorkedEachTurn(opts: TcpSocketConnectOpts): Socket {
  return corkEachTurn(new Socket().connect(opts));
}
