import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, until } from '../e2e/helpers.ts';
import { socketConnection } from '../../src/protocol/transport.ts';
import { EVENT_NOTIFICATION, EVENT_RUN } from '../../src/protocol/messages.ts';
import { RunnerClient } from '../../src/client/runner-client.ts';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import type { TaskEvent } from '../../src/protocol/events.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the runner connection', () => {
  it('lets a client process exit when its runner died in the middle of a message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-frame-'));
    dirs.push(dir);
    const path = join(dir, 'sock');
    // A "runner" that dies after half a message: a header announcing 200 bytes, then 20 of them.
    const server = createServer((s) => {
      s.write('Content-Length: 200\r\n\r\n{"jsonrpc":"2.0","me');
      setTimeout(() => s.destroy(), 100);
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const child = spawn(
        join(REPO, 'node_modules/.bin/tsx'),
        ['test/runner/fixtures/partial-frame-peer.ts', path],
        {
          cwd: REPO,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const how = await new Promise<string>((resolve) => {
        // vscode-jsonrpc's partial-message timer (10 s, re-armed) would keep it alive past this.
        const late = setTimeout(() => resolve('still running'), 15_000);
        child.on('exit', (code) => {
          clearTimeout(late);
          resolve(`exit ${code}`);
        });
      });
      if (how === 'still running') process.kill(-child.pid!, 'SIGKILL');
      expect(out).toBe('closed\n');
      expect(how).toBe('exit 0');
    } finally {
      server.close();
    }
  }, 30_000);
});

/** Both ends of a unix socket: the runner's (events merged per turn) and a client's raw socket. */
async function socketPair(): Promise<{ runner: Socket; client: Socket; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'rp-pair-'));
  dirs.push(dir);
  const path = join(dir, 'sock');
  let accepted!: (s: Socket) => void;
  const runnerSide = new Promise<Socket>((r) => (accepted = r));
  const server = createServer((s) => accepted(s));
  await new Promise<void>((r) => server.listen(path, r));
  const client = connect(path);
  const runner = await runnerSide;
  return {
    runner,
    client,
    close: () => {
      client.destroy();
      runner.destroy();
      server.close();
    },
  };
}

const done = (taskId: string): TaskEvent => ({ taskId, at: 1, type: 'task-done' });

describe('task events on the wire', () => {
  it("sends a turn's consecutive events as one message, in order, with the other messages between them kept in place", async () => {
    const { runner, client, close } = await socketPair();
    try {
      const frames: string[] = [];
      client.on('data', (d: Buffer) => frames.push(d.toString()));
      const got: unknown[] = [];
      const clientSide = socketConnection(client);
      clientSide.onNotification(EVENT_NOTIFICATION, (p: { events: TaskEvent[] }) => {
        got.push(p.events.map((e) => e.taskId));
      });
      clientSide.onNotification('other', (p: unknown) => {
        got.push(p);
      });
      clientSide.listen();
      const runnerSide = socketConnection(runner, EVENT_RUN);
      runnerSide.listen();
      const sent = [
        runnerSide.sendNotification(EVENT_NOTIFICATION, { events: [done('t-1')] }),
        runnerSide.sendNotification(EVENT_NOTIFICATION, { events: [done('t-2'), done('t-3')] }),
        runnerSide.sendNotification('other', { between: true }),
        runnerSide.sendNotification(EVENT_NOTIFICATION, { events: [done('t-4')] }),
      ];
      await Promise.all(sent);
      await until(() => got.length === 3, 'the three messages');
      expect(got).toEqual([['t-1', 't-2', 't-3'], { between: true }, ['t-4']]);
      // Three messages, not four: the first two events went as one.
      expect(frames.join('').match(/Content-Length: /g)).toHaveLength(3);
      runnerSide.dispose();
      clientSide.dispose();
    } finally {
      close();
    }
  });

  it('drops a malformed event and still delivers its neighbours, in order', async () => {
    const { runner, client, close } = await socketPair();
    try {
      const storeDir = mkdtempSync(join(tmpdir(), 'rp-store-'));
      dirs.push(storeDir);
      const paths = runnerPaths(join(storeDir, 'store.json'));
      const clientSide = socketConnection(client);
      const rc = new RunnerClient(clientSide, client, paths, process.pid);
      clientSide.listen();
      const got: string[] = [];
      rc.onEvent((e) => got.push(e.taskId));
      const runnerSide = socketConnection(runner, EVENT_RUN);
      runnerSide.listen();
      await runnerSide.sendNotification(EVENT_NOTIFICATION, {
        events: [done('t-1'), { taskId: 't-bad', type: 'task-exploded' }, done('t-2')],
      });
      await until(() => got.length === 2, 'the two well-formed events');
      expect(got).toEqual(['t-1', 't-2']);
      rc.close();
      runnerSide.dispose();
    } finally {
      close();
    }
  });
});
