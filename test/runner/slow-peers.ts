import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttp, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';

/**
 * Peers that accept and then keep their caller waiting: a MaaS that answers late or never, a
 * switch that never shows a prompt, a BMC that answers no datagram. `close` stops them all.
 */
export function slowPeers() {
  const servers: { close(): unknown }[] = [];
  /** A MaaS region that takes every request and answers after `delayMs` (or never), counting them. */
  async function slowMaas(delayMs: number | null): Promise<{ url: string; requests: () => number }> {
    let requests = 0;
    const server: HttpServer = createHttp((req, res) => {
      requests++;
      if (delayMs === null) return; // accepts, never answers
      const timer = setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ count: 0, events: [], next_uri: '', prev_uri: '' }));
      }, delayMs);
      req.socket.once('close', () => clearTimeout(timer));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    servers.push({ close: () => (server.closeAllConnections(), server.close()) });
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/MAAS`,
      requests: () => requests,
    };
  }

  /** An SSH server that lets the switch user in, opens the shell, and never shows a prompt. */
  async function promptlessSwitch(): Promise<number> {
    const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private;
    const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
      client.on('authentication', (ctx) => ctx.accept());
      client.on('ready', () =>
        client.on('session', (accept) => {
          const session = accept();
          session.on('pty', (ok) => ok?.());
          session.on('shell', (ok) => ok()); // a shell that never says anything
        }),
      );
      client.on('error', () => undefined);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    servers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /** A BMC address that takes every datagram and answers none. */
  async function deafBmc(): Promise<number> {
    const sock: UdpSocket = createSocket('udp4');
    sock.on('message', () => undefined);
    await new Promise<void>((ok) => sock.bind(0, '127.0.0.1', ok));
    servers.push(sock);
    return sock.address().port;
  }
  return {
    slowMaas,
    promptlessSwitch,
    deafBmc,
    close: () => {
      for (const s of servers) s.close();
    },
  };
}
