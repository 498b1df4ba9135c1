/**
 * `rackpilot console` against OpenIPMI's ipmi_sim (cipher suite 3: ipmi_sim has no 17), its SOL
 * on a TCP console device (`sol "tcp:HOST:PORT"` in lan.conf: ipmi_sim connects to the device when
 * the payload is activated). The device is this test's TCP server printing numbered lines; the
 * host is in the runner's store with ipmi_sim as its BMC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { addHostConfirmed, clientCall } from '../confirmed.ts';
import dgram from 'node:dgram';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCommand } from '../../src/cli/console.ts';
import { CommandContext } from '../../src/cli/context.ts';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { CONSOLE_DATA_NOTIFICATION, type ConsoleData } from '../../src/protocol/console.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { interopProgram, until } from '../ipmi/helpers.ts';

const IPMI_SIM = '/usr/bin/ipmi_sim';
const { run } = interopProgram(IPMI_SIM);
const HOST = 'r01-n002';
const PASSWORD = 'sim-sol-4tests';

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe.runIf(run)('rackpilot console against ipmi_sim with SOL on a TCP console device', () => {
  let tl: TestLab;
  let runner: RunningRunner;
  let env: Record<string, string>;
  let sim: ChildProcess | undefined;
  let device: net.Server;
  const sockets = new Set<net.Socket>();
  let viewer: RunnerClient;

  beforeAll(async () => {
    // The serial device: a line every 50 ms while ipmi_sim is connected.
    device = net.createServer((sock) => {
      sockets.add(sock);
      let n = 0;
      const t = setInterval(() => sock.write(`ipmi_sim device line ${++n}\r\n`), 50);
      sock.on('close', () => clearInterval(t));
      sock.on('error', () => clearInterval(t));
    });
    await new Promise<void>((r) => device.listen(0, '127.0.0.1', r));
    const devicePort = (device.address() as net.AddressInfo).port;

    tl = await startTestLab({ hosts: 3, racks: 1, seed: 9 });
    const dir = mkdtempSync(join(tl.dir, 'sim-'));
    mkdirSync(join(dir, 'state'));
    const simPort = await freeUdpPort();
    writeFileSync(
      join(dir, 'bmc1.emu'),
      'mc_setbmc 0x20\nmc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr\nmc_enable 0x20\n',
    );
    writeFileSync(
      join(dir, 'lan.conf'),
      `name "solsim"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 ${simPort}
    priv_limit admin
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  sol "tcp:127.0.0.1:${devicePort}" 115200
  user 2 true  "admin" "${PASSWORD}" admin 10 none md2 md5 straight
`,
      { mode: 0o600 },
    );
    sim = spawn(
      IPMI_SIM,
      ['-c', join(dir, 'lan.conf'), '-f', join(dir, 'bmc1.emu'), '-s', join(dir, 'state'), '-n'],
      { stdio: 'ignore' },
    );

    const storePath = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
    env = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '', RACKPILOT_POWER_SWEEP_MS: '0' };
    runner = await startRunner({ env, log: () => undefined, idleMs: 0 });
    viewer = await connectRunner({
      storePath: runner.paths.store,
      site: siteIdentity(loadConfig({ env, envFile: false })),
      client: { kind: 'test', readOnly: true },
      env,
      start: false,
    });
    const admin = await connectRunner({
      storePath: runner.paths.store,
      site: siteIdentity(loadConfig({ env, envFile: false })),
      client: { kind: 'test', readOnly: false },
      env,
      start: false,
    });
    await addHostConfirmed(clientCall(admin), {
      hostname: HOST,
      cores: 8,
      mhz: 2000,
      memory: 16384,
      ipmi: { address: '127.0.0.1', port: simPort },
      ipmiUser: 'admin',
      ipmiPassword: PASSWORD,
    });
    admin.close();
  }, 60_000);

  afterAll(async () => {
    viewer?.close();
    await runner?.stop('test over');
    sim?.kill('SIGTERM');
    for (const s of sockets) s.destroy();
    device?.close();
    await tl?.close();
  });

  it('shows what the console device prints', async () => {
    let seen = '';
    viewer.onNotification(CONSOLE_DATA_NOTIFICATION, (p) => {
      for (const i of (p as ConsoleData).items) seen += Buffer.from(i.data, 'base64').toString();
    });
    // ipmi_sim may still be starting: the runner retries the console while it is watched.
    await viewer.call('console.open', { host: HOST });
    // The three lines asked for below must have arrived.
    await until(
      () => (seen.match(/ipmi_sim device line \d+\r?\n/g) ?? []).length >= 3,
      'three device lines through the runner',
      30_000,
    );

    let stdout = '';
    let stderr = '';
    const io = {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
    };
    const ctx = new CommandContext(io, env, { kind: 'cli', readOnly: true });
    try {
      const code = await consoleCommand([HOST, '--lines', '3'], ctx, { isTTY: true });
      expect(code, stderr).toBe(0);
    } finally {
      await ctx.close();
    }
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^ipmi_sim device line \d+$/);
  }, 60_000);
});
