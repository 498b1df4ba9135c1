import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMessageConnection, SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc';
import { writeLabEnvFile } from '../../src/lab/env-file.ts';
import { labBmcPasswordEnv, labSwitchPasswordEnv } from '../../src/lab/rack-file.ts';
import type { LabHost } from '../../src/lab/spec.ts';
import { settingsFingerprint } from '../../src/config/fingerprint.ts';
import { loadConfig } from '../../src/config/index.ts';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/messages.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { cli, cliOk, shapeFlags } from '../runner/cli-process.ts';
import { runnerPid, stopRunnersUnder } from '../runner/helpers.ts';

/**
 * The secrets audit of issue 13: a whole session against a lab with known secrets — host add,
 * deploy, a failed attach (a switch `% Error`), attach, a manual `ipmi … power` task, destroy —
 * as `rackpilot` processes through the runner, while a second client records every byte the
 * runner sends it. Then every sink is searched for every secret, raw and percent-encoded: each
 * command's stdout and stderr, the runner log, the store and its journal, every task's log, the
 * socket traffic, the runner's argument list, and the messages of a bad password at each peer.
 * The files that hold secrets or state are owner-only.
 *
 * By design the store holds the BMC password of each `host add` record (README, "Errors and
 * faults"): it is checked for its mode, not for absence.
 */
// MaaS token secrets are letters and digits (settings refuse anything else); known, so searchable.
const TOKEN_SECRET = 'RpAuditTokenSecret7Zq2Wx9mP4kL8nB3vC6';
const API_KEY = `RpAuditConsumerKey01:RpAuditTokenKey0001:${TOKEN_SECRET}`;

let tl: TestLab;
let stateDir: string;
let storePath: string;
let envFile: string;
let rackFile: string;
let env: Record<string, string>;
let secrets: { name: string; value: string }[] = [];
/** Every text a sink received: [where, text]. */
const sinks: [string, string][] = [];
/** Raw bytes the recording client received on the runner socket. */
const wire: Buffer[] = [];
let recorder: { socket: Socket; conn: MessageConnection } | undefined;
let host: LabHost;
let offering = '';

async function run(args: string[], extra: Record<string, string> = {}) {
  const r = await cli(args, { ...env, ...extra });
  sinks.push(
    [`rackpilot ${args.join(' ')} (stdout)`, r.out],
    [`rackpilot ${args.join(' ')} (stderr)`, r.err],
  );
  return r;
}

const ok = (args: string[]) => cliOk(args, env, run);

/** Every form a secret may take in text: raw, percent-encoded (URI and form), JSON-escaped. */
function forms(value: string): string[] {
  const f = new Set([
    value,
    encodeURIComponent(value),
    new URLSearchParams({ x: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
  ]);
  // The OAuth signature is "consumer_secret&token_secret", percent-encoded as a whole.
  f.add(encodeURIComponent(`&${value}`));
  return [...f];
}

function leaks(text: string): string[] {
  const found: string[] = [];
  for (const s of secrets)
    for (const f of forms(s.value)) if (text.includes(f)) found.push(`${s.name} as ${f}`);
  return found;
}

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

async function startRecorder(): Promise<void> {
  const paths = runnerPaths(storePath);
  const socket = connect(paths.socket);
  await new Promise<void>((ok, fail) => socket.once('connect', ok).once('error', fail));
  socket.on('data', (d: Buffer) => wire.push(Buffer.from(d)));
  const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
  conn.listen();
  recorder = { socket, conn };
  await conn.sendRequest('hello', {
    version: PROTOCOL_VERSION,
    cookie: readFileSync(paths.cookie, 'utf8').trim(),
    client: { kind: 'test', pid: process.pid, readOnly: true },
    site: siteIdentity(loadConfig({ env })),
    settings: settingsFingerprint(
      { config: loadConfig({ env }), rackText: readFileSync(loadConfig({ env }).rackFile!, 'utf8') },
      readFileSync(paths.cookie, 'utf8').trim(),
    ),
  });
  await conn.sendRequest('tasks.subscribe', {});
  await conn.sendRequest('inventory.subscribe', {});
}

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 11, maas: { apiKey: API_KEY } });
  stateDir = join(tl.dir, 'state');
  storePath = join(stateDir, 'store.json');
  envFile = join(tl.dir, 'site', 'lab.env');
  rackFile = join(tl.dir, 'site', 'lab.rack.json');
  // What `rackpilot lab --env-out` writes: the env file and the rack file, by the lab itself.
  writeLabEnvFile(
    tl.lab,
    { env: envFile, rackFile, store: storePath },
    { RACKPILOT_KNOWN_HOSTS: join(tl.dir, 'known_hosts') },
  );
  env = { HOME: tl.dir, RACKPILOT_ENV_FILE: envFile, RACKPILOT_STORE: storePath };
  secrets = [
    { name: 'MaaS token secret', value: TOKEN_SECRET },
    ...tl.lab.spec.switches.map((s) => ({ name: `switch ${s.name} password`, value: s.password })),
    ...tl.lab.spec.hosts.map((h) => ({ name: `BMC ${h.hostname} password`, value: h.bmc.password })),
  ];
  expect(tl.lab.maas.apiKeyParts.tokenSecret).toBe(TOKEN_SECRET);
  host = tl.lab.spec.hosts.find((h) => h.nics.length >= 2) ?? tl.lab.spec.hosts[0]!;
  offering = `c${host.cpuCount}`;
}, 60_000);

afterAll(async () => {
  recorder?.conn.dispose();
  recorder?.socket.destroy();
  await stopRunnersUnder(tl.dir);
  await tl?.close();
});

describe('secrets audit: a whole session through the runner', () => {
  it('runs host add, deploy, a failed attach, attach, a manual power task and destroy', async () => {
    await ok(['template', 'add', 'jammy', '--image', 'ubuntu/jammy']);
    await startRecorder();
    await ok(['offering', 'add', offering, ...shapeFlags(host)]);
    await ok(['network', 'add', 'tenant-a', '--vlan', '200']);
    await ok(['network', 'add', 'tenant-b', '--vlan', '201']);
    await ok(['host', 'add', '--hostname', host.hostname, ...shapeFlags(host), '--yes']);
    await ok(['hosts']);
    await ok(['host', 'ls', '--json']);
    await ok([
      'deploy',
      'vm1',
      '--offering',
      offering,
      '--template',
      'jammy',
      '--network',
      'tenant-a',
      '--host',
      host.hostname,
      '--yes',
    ]);
    // A failing step: the switch answers `% Error` to the tagging line.
    tl.lab.switches.faults.errorOn({ match: /tagged|allowed vlan/i, times: 1, message: 'Audit fault.' });
    const failed = await run(['attach', 'vm1', 'tenant-b', '--yes']);
    tl.lab.switches.faults.clear();
    expect(failed.code, failed.err).toBe(1);
    expect(failed.err).toContain('Audit fault.');
    await ok(['attach', 'vm1', 'tenant-b', '--yes']);
    await ok(['ipmi', host.hostname, 'power', 'status']);
    await ok(['ipmi', host.hostname, 'power', 'cycle', '--confirm', host.hostname]);
    await ok(['ipmi', host.hostname, 'bootdev', 'show']);
    await ok(['switch', 'show', tl.lab.spec.switches[0]!.name, '--json']);
    await ok(['ls', '--json']);
    await ok(['destroy', 'vm1', '--confirm', host.hostname]);
    await ok(['runner', 'status', '--json']);
    await ok(['runner', 'logs', '-n', '500']);
    const tasks = JSON.parse((await ok(['tasks', '--all', '--json'])).out) as { id: string }[];
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    for (const t of tasks) {
      const shown = await ok(['task', 'show', t.id, '--json']);
      const task = JSON.parse(shown.out) as { log: { text: string }[] };
      expect(task.log.length, t.id).toBeGreaterThan(0);
    }
  }, 300_000);

  it('refuses bad passwords at each peer with the documented messages, repeating no secret', async () => {
    // The runner reads the gear with the passwords of its own environment: each wrong password
    // gets its own store, so its own runner, started with it.
    const wrongBmc = 'WrongBmcPass-4711x';
    const bmc = await run(['ipmi', host.hostname, 'power', 'status'], {
      [labBmcPasswordEnv(host.hostname)]: wrongBmc,
      RACKPILOT_STORE: join(tl.dir, 'bad-bmc', 'store.json'),
    });
    expect(bmc.code).toBe(1);
    // "IPMI errors name the BMC and the completion code or RAKP status".
    expect(bmc.err).toMatch(/wrong password for user 'admin' on BMC .*\(RAKP 2 check failed\)/);
    expect(bmc.err).toContain(host.hostname);
    expect(bmc.err).not.toContain(wrongBmc);

    const sw = tl.lab.spec.switches[0]!;
    const wrongSwitch = 'WrongSwitchPass-4711y';
    const swr = await run(['switch', 'show', sw.name], {
      [labSwitchPasswordEnv(sw.name)]: wrongSwitch,
      RACKPILOT_STORE: join(tl.dir, 'bad-switch', 'store.json'),
    });
    expect(swr.code).toBe(1);
    expect(swr.err).toContain(sw.name);
    expect(swr.err).toMatch(/login refused for user admin/);
    expect(swr.err).not.toContain(wrongSwitch);

    // A wrong token secret: its own store (so its own runner, started with the wrong key).
    const wrongSecret = 'RpWrongTokenSecret5Yt8Ue1Iq3Oa6Sd9Fg2';
    const maas = await run(['hosts'], {
      MAAS_API_KEY: `RpAuditConsumerKey01:RpAuditTokenKey0001:${wrongSecret}`,
      RACKPILOT_STORE: join(tl.dir, 'bad-key', 'store.json'),
    });
    expect(maas.code).toBe(1);
    expect(maas.err).toMatch(/MaaS/);
    expect(maas.err).toMatch(/MaaS did not accept the API key \(HTTP 401\)/);
    for (const f of forms(wrongSecret)) expect(maas.err).not.toContain(f);
    for (const site of ['bad-key', 'bad-bmc', 'bad-switch']) {
      const badLog = runnerPaths(join(tl.dir, site, 'store.json')).log;
      if (existsSync(badLog)) sinks.push([`runner log of the ${site} site`, readFileSync(badLog, 'utf8')]);
    }
    for (const f of [...forms(wrongSecret), ...forms(wrongBmc), ...forms(wrongSwitch)])
      for (const [where, text] of sinks)
        expect(text.includes(f), `${where} holds a wrong password`).toBe(false);
  }, 60_000);

  it('finds no secret in any sink', async () => {
    const paths = runnerPaths(storePath);
    // Let the recorder receive the last notifications.
    await new Promise((r) => setTimeout(r, 300));
    sinks.push(['runner socket traffic', Buffer.concat(wire).toString('utf8')]);
    sinks.push(['runner log', readFileSync(paths.log, 'utf8')]);
    sinks.push(['rack file written by the lab', readFileSync(rackFile, 'utf8')]);
    const pid = runnerPid(storePath);
    expect(pid).not.toBeNull();
    sinks.push(['runner argument list', readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')]);
    expect(wire.length).toBeGreaterThan(0);
    expect(Buffer.concat(wire).toString('utf8')).toContain('inventory');
    // The search finds what is there: the env file holds every secret.
    expect(leaks(readFileSync(envFile, 'utf8'))).toHaveLength(secrets.length);
    const found = sinks.flatMap(([where, text]) => leaks(text).map((l) => `${where}: ${l}`));
    // For `npm run campaign`'s secrets table: what was searched, and where.
    const out = process.env['RACKPILOT_CAMPAIGN_OUT'];
    if (out) {
      mkdirSync(out, { recursive: true });
      writeFileSync(
        join(out, 'secrets.json'),
        JSON.stringify({ sinks: sinks.length, secrets: secrets.length, found: found.length }),
      );
    }
    expect(found).toEqual([]);
    // The audit looked at real material: the task logs name the BMC and the switch lines.
    const all = sinks.map(([, t]) => t).join('\n');
    expect(all).toMatch(/Set System Boot Options|power/);
    expect(all).toMatch(/switch \S+: (configure|interface )/);
  });

  it('the store holds the BMC passwords by design, in a 0600 file, as the README says', () => {
    // The records live in the store file and its journal (appended to, folded in from time to time).
    const journal = `${storePath}.journal`;
    const store =
      readFileSync(storePath, 'utf8') + (existsSync(journal) ? readFileSync(journal, 'utf8') : '');
    expect(store).toContain(host.bmc.password);
    expect(mode(storePath)).toBe('0600');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Errors and faults'));
    expect(section.slice(0, section.indexOf('\n## ', 5))).toMatch(
      /store file[\s\S]{0,200}BMC password[\s\S]{0,200}0600/,
    );
    // Beyond the BMC passwords of its hosts, the store holds no other secret.
    const others = secrets.filter((s) => !s.name.startsWith('BMC '));
    for (const s of others) for (const f of forms(s.value)) expect(store.includes(f), s.name).toBe(false);
    if (existsSync(journal)) expect(mode(journal)).toBe('0600');
  });

  it('keeps every file holding secrets or state owner-only', () => {
    const paths = runnerPaths(storePath);
    const files: [string, string][] = [
      ['store', storePath],
      ['env file', envFile],
      ['rack file', rackFile],
      ['runner cookie', paths.cookie],
      ['runner socket', paths.socket],
      ['runner log', paths.log],
    ];
    if (existsSync(`${storePath}.journal`)) files.push(['store journal', `${storePath}.journal`]);
    const modes = Object.fromEntries(files.map(([what, p]) => [what, mode(p)]));
    expect(modes).toEqual(Object.fromEntries(files.map(([what]) => [what, '0600'])));
    expect(mode(stateDir)).toBe('0700');
  });
});
