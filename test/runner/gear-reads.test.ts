import dgram from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { capture } from '../cli/capture.ts';
import { testRunMark } from './cli-process.ts';
import { stopRunnersUnder } from './helpers.ts';

/**
 * `rackpilot switch show|mac|plan --live` and `rackpilot ipmi HOST power status|bootdev show|info`
 * as an operator runs them, against the lab a runner hosts in its own process: every read is a
 * runner request, and this process (the command's) opens no TCP connection and no UDP socket of
 * its own, only the runner's Unix socket.
 */
const home = mkdtempSync(join(tmpdir(), 'rackpilot-gear-reads-'));
const env = {
  ...testRunMark(),
  HOME: home,
  RACKPILOT_LAB: 'on',
  RACKPILOT_TIME_SCALE: '0',
  RACKPILOT_ENV_FILE: '',
  RACKPILOT_POWER_SWEEP_MS: '0',
};

/** Every connection and UDP socket this process opens while the commands run. */
const opened: string[] = [];
const original = {
  connect: net.Socket.prototype.connect,
  bind: dgram.Socket.prototype.bind,
  send: dgram.Socket.prototype.send,
};

function spy(): void {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
    const o = (typeof first === 'object' && first !== null ? first : {}) as Record<string, unknown>;
    opened.push(
      typeof o['path'] === 'string'
        ? `unix ${o['path']}`
        : `tcp ${String(o['host'])}:${String(o['port'] ?? first)}`,
    );
    return (original.connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
  dgram.Socket.prototype.bind = function (this: dgram.Socket, ...args: unknown[]) {
    opened.push('udp bind');
    return (original.bind as (...a: unknown[]) => dgram.Socket).apply(this, args);
  } as typeof dgram.Socket.prototype.bind;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    opened.push('udp send');
    return (original.send as (...a: unknown[]) => void).apply(this, args);
  } as typeof dgram.Socket.prototype.send;
}

function unspy(): void {
  net.Socket.prototype.connect = original.connect;
  dgram.Socket.prototype.bind = original.bind;
  dgram.Socket.prototype.send = original.send;
}

async function run(...argv: string[]) {
  const io = capture();
  const code = await main(argv, io, env);
  return { code, out: io.out(), err: io.err() };
}

let host: { hostname: string; mac: string; port: string; switch: string };

beforeAll(async () => {
  spy();
  const hosts = await run('hosts', '--json');
  expect(hosts.code, hosts.err).toBe(0);
  const h = (
    JSON.parse(hosts.out) as {
      hosts: { hostname: string; switch: string; macs: string[]; ports: string[] }[];
    }
  ).hosts.find((x) => x.hostname === 'r01-n001')!;
  host = { hostname: h.hostname, mac: h.macs[0]!, port: h.ports[0]!, switch: h.switch };
}, 120_000);

afterAll(async () => {
  unspy();
  await stopRunnersUnder(home);
});

describe('switch and BMC reads through the runner', () => {
  it('switch show, show PORT, mac and plan --live answer as before', async () => {
    const sw = host.switch;
    const table = await run('switch', 'show', sw);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(new RegExp(`^${sw}  \\(PXE VLAN \\d+\\)\\nVLAN  NAME +STATUS +PORTS\\n`));
    const port = await run('switch', 'show', sw, host.port);
    expect(port.code, port.err).toBe(0);
    expect(port.out).toMatch(
      new RegExp(`^${sw} port ${host.port} \\([^)]+\\): untagged \\d+, tagged none\\n$`),
    );
    const portJson = JSON.parse((await run('switch', 'show', sw, host.port, '--json')).out);
    expect(Object.keys(portJson).sort()).toEqual(['iface', 'layer2', 'port', 'switch', 'tagged', 'untagged']);
    const mac = await run('switch', 'mac', sw, host.mac);
    expect(mac.out).toMatch(new RegExp(`^${host.mac} is on ${sw} port ${host.port} \\(VLAN \\d+\\)\\n$`));
    const plan = await run('switch', 'plan', sw, host.port, 'tag-add', '200', '--live', '--json');
    expect(plan.code, plan.err).toBe(0);
    expect(JSON.parse(plan.out)).toMatchObject({
      switch: sw,
      assumed: 'live',
      changes: [{ op: 'tagAdd', vlan: 200 }],
    });
    expect(JSON.parse(plan.out).lines.length).toBeGreaterThan(0);
  }, 60_000);

  it('an unknown switch is named with the known ones', async () => {
    const r = await run('switch', 'show', 'tor-r99');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no switch tor-r99 in the rack file \(known: tor-r01, /);
  });

  it('ipmi power status, bootdev show and info answer as before', async () => {
    const h = host.hostname;
    expect((await run('ipmi', h, 'power', 'status')).out).toMatch(new RegExp(`^${h}: power (on|off)\\n$`));
    const boot = await run('ipmi', h, 'bootdev', 'show', '--json');
    expect(boot.code, boot.err).toBe(0);
    expect(Object.keys(JSON.parse(boot.out))).toEqual(['host', 'bootDevice', 'valid', 'persistent', 'efi']);
    const info = await run('ipmi', h, 'info', '--json');
    expect(info.code, info.err).toBe(0);
    const d = JSON.parse(info.out);
    expect(d).toMatchObject({ host: h, ipmiVersion: '2.0' });
    expect(d).not.toHaveProperty('read');
    expect((await run('ipmi', h, 'info')).out).toMatch(
      new RegExp(`^${h}: IPMI 2\\.0, firmware \\S+, manufacturer \\d+, product \\d+\\n$`),
    );
  }, 60_000);

  it('this process opened only the runner socket: no SSH, no IPMI, no MaaS connection', () => {
    // The spies saw the commands' connections to the runner, so they can see one to the gear.
    expect(opened.filter((o) => o.startsWith('unix ')).length).toBeGreaterThan(5);
    expect(opened.filter((o) => !o.startsWith('unix '))).toEqual([]);
  });
});
