/**
 * `rackpilot console` against OpenIPMI's ipmi_sim (cipher suite 3: ipmi_sim has no 17), its SOL
 * on a TCP console device (`sol "tcp:HOST:PORT"` in lan.conf: ipmi_sim connects to the device when
 * the payload is activated). The device is this test's TCP server printing numbered lines; the
 * host is in the runner's store with ipmi_sim as its BMC.
 */
import { mkdtempSync } from 'node:fs';
import { addHostConfirmed, clientCall } from '../confirmed.ts';
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
import { IPMI_SIM, startIpmiSim, type IpmiSim } from '../ipmi/peers.ts';

const { run } = interopProgram(IPMI_SIM);
const HOST = 'r01-n002';
const PASSWORD = 'sim-sol-4tests';

describe.runIf(run)('rackpilot console against ipmi_sim with SOL on a TCP console device', () => {
  let tl: TestLab;
  let runner: RunningRunner;
  let env: Record<string, string>;
  let sim: IpmiSim | undefined;
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
    sim = await startIpmiSim({
      dir: mkdtempSync(join(tl.dir, 'sim-')),
      name: 'solsim',
      password: PASSWORD,
      mc: [`sol "tcp:127.0.0.1:${devicePort}" 115200`],
    });

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
      ipmi: { address: '127.0.0.1', port: sim.port },
      ipmiUser: 'admin',
      ipmiPassword: PASSWORD,
    });
    admin.close();
  }, 60_000);

  afterAll(async () => {
    viewer?.close();
    await runner?.stop('test over');
    sim?.stop();
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
