import { createServer, Socket, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectCorkedEachTurn } from '../../src/util/cork-each-turn.ts';

const closers: (() => void)[] = [];
afterEach(() => closers.splice(0).forEach((c) => c()));

/** A connected socket (corked each turn, or plain) to a local server that collects what arrives. */
async function connected(corked: boolean): Promise<{ socket: Socket; received: () => Promise<Buffer> }> {
  const chunks: Buffer[] = [];
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const server = createServer((s) => {
    s.on('data', (d) => chunks.push(d));
    s.on('end', ended);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  const to = { port: (server.address() as AddressInfo).port, host: '127.0.0.1' };
  const socket = corked ? connectCorkedEachTurn(to) : new Socket().connect(to);
  closers.push(() => socket.destroy());
  await new Promise((r) => socket.once('connect', r));
  return { socket, received: () => done.then(() => Buffer.concat(chunks)) };
}

/** Counts the socket's calls into its handle: one per write, or one per writev of several. */
function countCalls(socket: Socket) {
  const calls: number[] = [];
  const s = socket as unknown as {
    _write: (...a: unknown[]) => void;
    _writev: (chunks: unknown[], cb: unknown) => void;
  };
  const write = s._write.bind(socket);
  const writev = s._writev.bind(socket);
  s._write = (...a) => (calls.push(1), write(...a));
  s._writev = (chunks, cb) => (calls.push(chunks.length), writev(chunks, cb));
  return calls;
}

describe('connectCorkedEachTurn', () => {
  it("sends one turn's writes in one call, in order, and the next turn's in another", async () => {
    const { socket, received } = await connected(true);
    const calls = countCalls(socket);
    socket.write(Buffer.from('len:'));
    socket.write('cipher');
    socket.write(Buffer.from(':tag'));
    await new Promise((r) => setImmediate(r));
    socket.write('|next');
    socket.end();
    expect(await received()).toEqual(Buffer.from('len:cipher:tag|next'));
    expect(calls).toEqual([3, 1]);
  });

  it('without it each write is a call of its own (what the helper is for)', async () => {
    const { socket, received } = await connected(false);
    const calls = countCalls(socket);
    socket.write('a');
    socket.write('b');
    socket.write('c');
    socket.end();
    expect((await received()).toString()).toBe('abc');
    expect(calls.length).toBeGreaterThan(1);
  });

  it("calls a write's callback once the data is handed on", async () => {
    const { socket } = await connected(true);
    const written = await new Promise<Error | null | undefined>((r) => socket.write('x', r));
    expect(written).toBeFalsy();
  });
});
