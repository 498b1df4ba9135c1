import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { bounded, expectClean } from './clean.ts';

/** Runner requests no well-behaved client sends: each answered with an error naming the problem. */
let tl: TestLab;
let runner: RunningRunner;
let client: RunnerClient;
const log: string[] = [];

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 9 });
  const store = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  const env = { ...tl.env(store), RACKPILOT_ENV_FILE: '' };
  runner = await startRunner({ env, log: (l) => log.push(l), idleMs: 0 });
  client = await connectRunner({
    storePath: store,
    site: siteIdentity(loadConfig({ env, envFile: false })),
    client: { kind: 'test', readOnly: false },
    env,
    start: false,
  });
}, 60_000);
afterAll(async () => {
  client?.close();
  await runner?.stop('test over');
  await tl?.close();
});

type Case = [method: string, params: unknown, names: RegExp];
const CASES: Case[] = [
  ['no.such.method', {}, /unknown request "no.such.method"/],
  ['__proto__', {}, /unknown request/],
  ['constructor', {}, /unknown request/],
  ['tasks.get', {}, /tasks.get: .*id/],
  ['tasks.get', { id: 42 }, /tasks.get: .*id/],
  ['tasks.get', { id: 'no-such-task' }, /no-such-task|no task/i],
  ['tasks.get', 'a string', /tasks.get/],
  ['tasks.get', [1, 2], /tasks.get/],
  ['offering.add', { name: 'x' }, /offering.add: .*(cores|mhz|memory)/],
  ['offering.add', { name: 'x', cores: 'many', mhz: 1, memoryMb: 1 }, /offering.add: .*cores/],
  ['offering.add', { name: 'x', cores: -1, mhz: 1, memoryMb: 1 }, /offering.add/],
  ['offering.add', { name: '', cores: 1, mhz: 1, memoryMb: 1 }, /offering.add: .*name/],
  ['template.add', { name: 'x' }, /template.add: .*image/],
  ['template.add', { name: 'x', image: 42 }, /template.add: .*image/],
  ['network.add', { name: 'n', vlan: 0 }, /network.add: .*vlan/],
  ['network.add', { name: 'n', vlan: 99999 }, /network.add: .*vlan/],
  ['network.add', { name: 'n', vlan: '10' }, /network.add: .*vlan/],
  ['instance.create', {}, /instance.create: /],
  [
    'instance.create',
    { name: 'vm', offering: 'o', template: 't', networks: 'n' },
    /instance.create: .*networks/,
  ],
  ['instance.action', { name: 'vm', action: 'explode' }, /instance.action: verb: .*start/],
  ['host.add', { hostname: 'h' }, /host.add: /],
  ['host.add', { hostname: 7 }, /host.add: .*hostname/],
  ['host.power', { host: 'h', action: 'explode' }, /host.power: /],
  ['host.bootdev', { host: 'h', device: 'floppy' }, /host.bootdev: /],
  ['task.resume', { id: null }, /task.resume: .*id/],
  ['task.cancel', {}, /task.cancel: .*id/],
  ['hello', { version: 'x' }, /hello: /],
];

describe('malformed runner requests', () => {
  it.each(CASES.map(([m, p, re], i) => [`${i} ${m} ${JSON.stringify(p).slice(0, 50)}`, m, p, re] as const))(
    '%s',
    async (_l, method, params, names) => {
      const err = await bounded(
        (
          client as unknown as { connection: { sendRequest(m: string, p: unknown): Promise<unknown> } }
        ).connection
          .sendRequest(method, params)
          .then(
            () => null,
            (e: unknown) => e,
          ),
        10_000,
        method,
      );
      expect(err).not.toBeNull();
      expectClean(String((err as Error).message), names);
    },
  );

  it('the runner still answers afterwards', async () => {
    expect((await client.call('runner.status', {})).pid).toBe(process.pid);
  });
});

describe('a client sending what is not JSON-RPC is dropped, the runner lives on', () => {
  const FRAMES: [string, Buffer][] = [
    ['a header announcing 1 GB', Buffer.from('Content-Length: 1000000000\r\n\r\n{')],
    ['a header announcing 9 MiB', Buffer.from(`Content-Length: ${9 * 1024 * 1024}\r\n\r\n`)],
    ['a header with no length', Buffer.from('Content-Type: application/json\r\n\r\n{}')],
    ['20 KB of header without an end', Buffer.from('X-Junk: ' + 'a'.repeat(20_000))],
    ['a length that is not a number', Buffer.from('Content-Length: lots\r\n\r\n{}')],
  ];
  it.each(FRAMES)('%s', async (label, frame) => {
    const before = log.length;
    const s = connect(runner.paths.socket);
    await new Promise<void>((ok) => s.once('connect', () => ok()));
    s.write(frame);
    await bounded(new Promise<void>((ok) => s.once('close', () => ok())), 5_000, label);
    expect(log.slice(before).join('\n')).toMatch(/client \d+ dropped: it sent /);
    expect((await client.call('runner.status', {})).pid).toBe(process.pid);
  });

  it('malformed JSON in a well-framed message gets a parse error, not a crash', async () => {
    const s = connect(runner.paths.socket);
    const conn = createMessageConnection(new SocketMessageReader(s), new SocketMessageWriter(s));
    conn.listen();
    const body = '{"jsonrpc": "2.0", "id": 1, "method": ';
    s.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise((r) => setTimeout(r, 100));
    conn.dispose();
    s.destroy();
    expect((await client.call('runner.status', {})).pid).toBe(process.pid);
  });
});

export const RUNNER_CASES = CASES.length + 6;
