import { connect } from 'node:net';
import { addHostConfirmed, clientCall, planDigest } from '../confirmed.ts';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { FINAL_EVENTS } from '../../src/protocol/events.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts';
import { RunnerBusyError, startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import type { TaskEvent } from '../../src/runner/tasks/events.ts';
import { startTestLab, until, type TestLab } from '../e2e/helpers.ts';

/**
 * The runner in this process against a lab, and clients on its socket: who may talk to it, what it
 * checks, and what it streams. The runner's behaviour as a separate process is in lifecycle.test.ts.
 */
let tl: TestLab;
let runner: RunningRunner;
let env: Record<string, string>;
let site: string;
const clients: RunnerClient[] = [];

async function client(opts: { readOnly?: boolean; site?: string } = {}): Promise<RunnerClient> {
  const c = await connectRunner({
    storePath: runner.paths.store,
    site: opts.site ?? site,
    client: { kind: 'test', readOnly: opts.readOnly ?? false },
    env,
    start: false,
  });
  clients.push(c);
  return c;
}

/** A raw JSON-RPC connection to the socket, to send what a well-behaved client never would. */
function raw() {
  const socket = connect(runner.paths.socket);
  const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  conn.listen();
  return { conn, socket, close: () => (conn.dispose(), socket.destroy()) };
}

beforeAll(async () => {
  tl = await startTestLab({ hosts: 6, racks: 1, seed: 3 });
  const storePath = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  env = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '' };
  site = siteIdentity(loadConfig({ env, envFile: false }));
  runner = await startRunner({ env, log: () => undefined, idleMs: 0 });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await runner?.stop('test over');
  await tl?.close();
});

describe('the runner socket', () => {
  it('is owner-only: the socket and the cookie file are mode 0600', () => {
    expect(statSync(runner.paths.socket).mode & 0o777).toBe(0o600);
    expect(statSync(runner.paths.cookie).mode & 0o777).toBe(0o600);
    expect(readFileSync(runner.paths.pidFile, 'utf8').trim()).toBe(String(process.pid));
  });

  it('refuses a client without the cookie, and closes its connection', async () => {
    const r = raw();
    await expect(
      r.conn.sendRequest('hello', {
        version: PROTOCOL_VERSION,
        cookie: 'x'.repeat(64),
        client: { kind: 'test', pid: 1, readOnly: false },
        site,
        settings: {},
      }),
    ).rejects.toThrow(/belongs to another user/);
    await new Promise((resolve) => r.socket.once('close', resolve));
    r.close();
  });

  it.runIf(process.getuid?.() === 0)(
    'refuses another user at the socket itself (run as root: tried as nobody)',
    async () => {
      const { spawnSync } = await import('node:child_process');
      // Debian's own perl (perl-base is essential): the probe runs wherever the checkout lives.
      const probe =
        'socket(S, PF_UNIX, SOCK_STREAM, 0) or die "socket: $!";' +
        'print connect(S, pack_sockaddr_un($ARGV[0])) ? "connected" : ($!{EACCES} ? "EACCES" : "other: $!")';
      const r = spawnSync('/usr/bin/perl', ['-MSocket', '-e', probe, runner.paths.socket], {
        uid: 65534,
        gid: 65534,
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(r.stdout.trim(), r.stderr).toBe('EACCES');
    },
  );

  it('refuses any request before hello', async () => {
    const r = raw();
    await expect(r.conn.sendRequest('tasks.list', {})).rejects.toThrow(/say hello first/);
    r.close();
  });

  it('names the field of a malformed request and refuses unknown methods', async () => {
    const c = await client();
    await expect(c.call('template.add', { name: 'bad name!', image: 'ubuntu/jammy' })).rejects.toThrow(
      /template\.add: name: letters, digits/,
    );
    await expect(
      c.call('offering.add', { name: 'o1', cores: 'eight' as unknown as number, mhz: 1, memory: 1 }),
    ).rejects.toThrow(/offering\.add: cores: /);
    await expect(
      (c as unknown as { call: (m: string, p: unknown) => Promise<unknown> }).call('tasks.delete', {}),
    ).rejects.toThrow(/unknown request "tasks.delete"/);
  });

  it('refuses a change request without the digest of the plan the operator confirmed, naming the field', async () => {
    const c = await client();
    const anyCall = c as unknown as { call: (m: string, p: unknown) => Promise<unknown> };
    const missing = /a change starts only from a confirmed plan/;
    const h = tl.lab.spec.hosts[0]!.hostname;
    for (const [method, params, field] of [
      ['host.power', { host: h, action: 'on' }, 'plan'],
      ['host.bootdev', { host: h, device: 'pxe', persistent: false }, 'plan'],
      ['host.maas', { host: h, op: 'mark-fixed' }, 'plan'],
      ['host.fix', { host: h, fix: 'pxe-boot' }, 'plan'],
      ['host.reconcile', { host: h }, 'plan'],
      ['instance.create', { name: 'vm', offering: 'o', template: 't', networks: ['n'] }, 'plan'],
      ['instance.action', { verb: 'destroy', instance: 'vm' }, 'plan'],
      ['task.resume', { id: 't-1a2b3c4d' }, 'plan'],
      ['task.rollback', { id: 't-1a2b3c4d' }, 'plan'],
      ['task.cancel', { id: 't-1a2b3c4d' }, 'plan'],
      ['host.add', { hostname: h, cores: 8, mhz: 2000, memory: 16384 }, 'confirmed'],
    ] as const) {
      const err = await anyCall.call(method, params).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(err, method).toMatch(
        new RegExp(`^runner: ${method.replace('.', '\\.')}: ${field}: missing: the digest of the plan`),
      );
      expect(err, method).toMatch(missing);
    }
    // A digest that is not one is named too.
    await expect(anyCall.call('host.power', { host: h, action: 'on', plan: 'yes' })).rejects.toThrow(
      /host\.power: plan: the digest of a plan from action\.plan/,
    );
    // Planning a host add (`plan: true`) changes nothing and needs no digest.
    const planned = (await anyCall.call('host.add', {
      hostname: h,
      cores: 8,
      mhz: 2000,
      memory: 16384,
      plan: true,
    })) as { plan: unknown[] };
    expect(planned.plan.length).toBeGreaterThan(0);
  });

  it('refuses a client configured for another site, naming both', async () => {
    await expect(client({ site: 'http://10.1.1.1:5240/MAAS' })).rejects.toThrow(
      /serves .* but you configured http:\/\/10\.1\.1\.1:5240\/MAAS/,
    );
  });

  it('refuses every mutating request from a read-only client, and still answers its reads', async () => {
    const ro = await client({ readOnly: true });
    await expect(ro.call('network.add', { name: 'ro-net', vlan: 300 })).rejects.toThrow(/read-only/);
    await expect(ro.call('runner.stop', {})).rejects.toThrow(/read-only/);
    expect(Array.isArray(await ro.call('tasks.list', {}))).toBe(true);
  });

  it('keeps a second runner for the same store from starting', async () => {
    await expect(startRunner({ env, log: () => undefined, idleMs: 0 })).rejects.toBeInstanceOf(
      RunnerBusyError,
    );
  });
});

describe('catalog and tasks through the runner', () => {
  it('edits the catalog and refuses duplicates and PXE VLANs by name', async () => {
    const c = await client();
    const t = await c.call('template.add', { name: 'jammy', image: 'ubuntu/jammy' });
    expect(t.image).toBe('ubuntu/jammy');
    await expect(c.call('template.add', { name: 'jammy', image: 'ubuntu/jammy' })).rejects.toThrow(
      /a template named jammy exists/,
    );
    await expect(c.call('template.add', { name: 'nope', image: 'plan9/4e' })).rejects.toThrow(
      /MaaS has no boot image plan9\/4e/,
    );
    await expect(c.call('network.add', { name: 'pxe', vlan: 10 })).rejects.toThrow(
      /is the PXE VLAN of tor-r01/,
    );
    const n = await c.call('network.add', { name: 'tenant-a', vlan: 200 });
    expect(n.vlan).toBe(200);
    expect((await c.call('networks.list', {})).networks.map((x) => x.name)).toEqual(['tenant-a']);
  });

  it('streams a task to every follower in order, redacted, ending with its final event', async () => {
    const c = await client();
    const watcher = await client();
    await watcher.call('tasks.subscribe', {});
    const h = tl.lab.spec.hosts[0]!;
    const seen: TaskEvent[] = [];
    const seenByWatcher: TaskEvent[] = [];
    const watched = new Promise<void>((resolve) =>
      watcher.onEvent((e) => {
        seenByWatcher.push(e);
        if (e.type === 'task-done' || e.type === 'task-failed') resolve();
      }),
    );
    c.onEvent((e) => seen.push(e));
    const added = await addHostConfirmed(clientCall(c), {
      hostname: h.hostname,
      cores: h.cpuCount,
      mhz: h.cpuMhz,
      memory: h.memoryMb,
    });
    const taskId = added.taskId!;
    // A follower that joins a running task gets its record, then every event after it: together
    // the whole story, whatever the task had reached when the follow answered.
    const record = await c.call('tasks.follow', { id: taskId });
    await watched;
    await until(() => record.state === 'done' || seen.some((e) => e.type === 'task-done'), 'the final event');
    // It hears of the task it follows only.
    expect(seen.every((e) => e.taskId === taskId)).toBe(true);
    // A client subscribed before the task started sees it all, in order.
    const types = seenByWatcher.filter((e) => e.taskId === taskId).map((e) => e.type);
    expect(types[0]).toBe('task-created');
    expect(types.at(-1)).toBe('task-done');
    expect(types).toContain('step-started');
    expect(types.indexOf('step-started')).toBeLessThan(types.indexOf('step-done'));
    // The IPMI password the host record holds never crosses the socket.
    expect(JSON.stringify([seen, seenByWatcher])).not.toContain(h.bmc.password);
    expect(JSON.stringify(await c.call('hosts.list', {}))).not.toContain(h.bmc.password);
    const task = await c.call('tasks.get', { id: taskId });
    expect(task.state).toBe('done');
  });

  it('streams a task from its creation to the client that started it asking to follow, and to no other', async () => {
    const c = await client();
    const other = await client();
    const watcher = await client();
    await watcher.call('tasks.subscribe', {});
    const host = tl.lab.spec.hosts[0]!.hostname;
    const seen: TaskEvent[] = [];
    const otherSeen: TaskEvent[] = [];
    const watched: TaskEvent[] = [];
    const beforeAnswer: string[] = [];
    let answered = false;
    c.onEvent((e) => {
      seen.push(e);
      if (!answered) beforeAnswer.push(e.type);
    });
    other.onEvent((e) => otherSeen.push(e));
    watcher.onEvent((e) => watched.push(e));
    const ended = (id: string) => () => watched.some((e) => e.taskId === id && FINAL_EVENTS.has(e.type));

    const plan = await planDigest(clientCall(c), { action: 'power', host, op: 'on' });
    const started = await c.call('host.power', { host, action: 'on', plan, follow: true });
    answered = true;
    expect(started.followed).toBe(true);
    // Subscribed as the task was created: its first event came with the answer, not after a follow.
    expect(beforeAnswer[0]).toBe('task-created');
    await until(ended(started.taskId), 'the power task to end');
    await until(() => seen.some((e) => FINAL_EVENTS.has(e.type)), 'the final event at the client');
    // The whole story, as a client subscribed to everything saw it.
    expect(seen.map((e) => e.type)).toEqual(
      watched.filter((e) => e.taskId === started.taskId).map((e) => e.type),
    );

    // Without follow the answer says nothing of it, and no event comes.
    const plan2 = await planDigest(clientCall(other), { action: 'power', host, op: 'on' });
    const quiet = await other.call('host.power', { host, action: 'on', plan: plan2 });
    expect(quiet.followed).toBeUndefined();
    await until(ended(quiet.taskId), 'the second power task to end');
    expect((await other.call('tasks.get', { id: quiet.taskId })).state).toBe('done');
    expect(otherSeen).toEqual([]);
    expect(seen.every((e) => e.taskId === started.taskId)).toBe(true);
  });

  it('answers status with its clients and tasks', async () => {
    const c = await client();
    const s = await c.call('runner.status', {});
    expect(s.pid).toBe(process.pid);
    expect(s.clients).toBeGreaterThanOrEqual(1);
    expect(s.store).toBe(runner.paths.store);
    expect(s.socket).toBe(runnerPaths(runner.paths.store).socket);
  });
});

describe('idle exit', () => {
  it('exits after the idle time with no client and no task, and not while a client is connected', async () => {
    const storePath = join(mkdtempSync(join(tl.dir, 'rp-idle-')), 'store.json');
    const idleEnv = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '' };
    const r = await startRunner({ env: idleEnv, log: () => undefined, idleMs: 300 });
    const c = await connectRunner({
      storePath,
      site,
      client: { kind: 'test', readOnly: false },
      env: idleEnv,
      start: false,
    });
    await new Promise((res) => setTimeout(res, 600));
    expect((await c.call('runner.status', {})).clients).toBe(1);
    c.close();
    const why = await Promise.race([
      r.closed,
      new Promise((res) => setTimeout(() => res('still up'), 5_000)),
    ]);
    expect(why).toMatch(/idle for/);
  });
});
