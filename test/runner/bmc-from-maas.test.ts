import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { addHostConfirmed, clientCall } from '../confirmed.ts';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandContext } from '../../src/cli/context.ts';
import { powerCommand } from '../../src/cli/power.ts';
import type { RunnerClient } from '../../src/client/runner-client.ts';
import type { RunningRunner } from '../../src/runner/runner.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { runnerWithClient } from './helpers.ts';

/**
 * Hosts the rack file gives no `bmc` for: the runner takes their BMC from MaaS's power parameters
 * (the lab's MaaS answers `op=power_parameters` as a region does), reads it, and says so wherever
 * the BMC is shown; the password MaaS gave never leaves the runner.
 */
let tl: TestLab;
let runner: RunningRunner;
let client: RunnerClient;
let env: Record<string, string>;
const runnerLog: string[] = [];
let ipmiHost: string;
let redfishHost: string;
const password = (h: string) => tl.lab.spec.hosts.find((x) => x.hostname === h)!.bmc.password;

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 11, redfishPercent: 50, redfishScheme: 'http' });
  redfishHost = tl.lab.redfish.bmcs[0]!.hostname;
  ipmiHost = tl.lab.spec.hosts
    .map((h) => h.hostname)
    .find((h) => !tl.lab.redfish.bmcs.some((b) => b.hostname === h))!;
  const storePath = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  env = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '', RACKPILOT_POWER_SWEEP_MS: '0' };
  // The rack file names no BMC for either host.
  const rackFile = env['RACKPILOT_RACK_FILE']!;
  const rack = JSON.parse(readFileSync(rackFile, 'utf8')) as {
    racks: { hosts: { hostname: string; bmc?: unknown }[] }[];
  };
  for (const r of rack.racks)
    for (const h of r.hosts) if (h.hostname === ipmiHost || h.hostname === redfishHost) delete h.bmc;
  writeFileSync(rackFile, JSON.stringify(rack), { mode: 0o600 });
  ({ runner, client } = await runnerWithClient(env, (l) => runnerLog.push(l)));
  await client.call('tasks.subscribe', {});
  tl.lab.world.setPower(ipmiHost, 'on', 'test setup');
  tl.lab.world.setPower(redfishHost, 'off', 'test setup');
}, 60_000);

afterAll(async () => {
  client?.close();
  await runner?.stop('test over');
  await tl?.close();
});

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  const ctx = new CommandContext(io, env);
  try {
    return { code: await powerCommand(argv, ctx), stdout, stderr };
  } finally {
    await ctx.close();
  }
}

describe("a host's BMC from MaaS's power parameters", () => {
  it('reads the IPMI BMC MaaS drives, and names MaaS as the source', async () => {
    const r = await client.call('host.bmcRead', { host: ipmiHost, read: 'power' });
    expect(r).toMatchObject({ read: 'power', power: 'on', origin: { source: 'MaaS' } });
    expect(r.origin?.label).toMatch(/^IPMI 127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(r)).not.toContain(password(ipmiHost));
  });

  it('reads the Redfish BMC MaaS drives (its node_id the system id), from MaaS too', async () => {
    const r = await client.call('host.bmcRead', { host: redfishHost, read: 'power' });
    expect(r).toMatchObject({ read: 'power', power: 'off', origin: { source: 'MaaS' } });
    expect(r.origin?.label).toMatch(/^Redfish http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('`power HOST status` prints the BMC and its source, never the password', async () => {
    const r = await cli(ipmiHost, 'status');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^${ipmiHost}: power on.*\\n  BMC IPMI 127\\.0\\.0\\.1:\\d+, from MaaS\\n$`),
    );
    const j = await cli(redfishHost, 'status', '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ bmc: { source: 'MaaS' }, power: 'off' });
    expect(r.stdout + r.stderr + j.stdout + j.stderr).not.toContain(password(ipmiHost));
  });

  it("the details view's live read and the doctor name the source", async () => {
    const live = await client.call('host.live', { host: ipmiHost });
    expect(live.bmc).toMatchObject({ power: 'on', origin: { source: 'MaaS' } });
    const d = await client.call('host.doctor', { host: ipmiHost });
    const bmc = d.checks.find((c) => c.id === 'bmc')!;
    expect(bmc.state).toBe('pass');
    expect(bmc.evidence[0]).toMatch(/^BMC \(IPMI 127\.0\.0\.1:\d+, from MaaS\): /);
  });

  it('`host add` keeps the BMC MaaS gave, says so in `host ls`, and its task log holds no password', async () => {
    const added = await addHostConfirmed(clientCall(client), {
      hostname: ipmiHost,
      cores: 8,
      mhz: 2000,
      memory: 16384,
    });
    const done = new Promise<void>((resolve) =>
      client.onEvent((e) => e.taskId === added.taskId && e.type === 'task-done' && resolve()),
    );
    if ((await client.call('tasks.get', { id: added.taskId! })).state !== 'done') await done;
    const h = (await client.call('hosts.list', {})).find((x) => x.hostname === ipmiHost)!;
    expect(h.ipmi).toMatchObject({ address: '127.0.0.1', source: 'MaaS' });
    expect(JSON.stringify(h)).not.toContain(password(ipmiHost));
    const task = await client.call('tasks.get', { id: added.taskId! });
    expect(task.state).toBe('done');
    expect(JSON.stringify(task)).not.toContain(password(ipmiHost));
    // A store host now: the record (from MaaS) is what is read.
    const r = await client.call('host.bmcRead', { host: ipmiHost, read: 'power' });
    expect(r.origin).toMatchObject({ source: 'MaaS' });
  });

  it('a host MaaS does not know has no BMC: the read says so, naming the way out', async () => {
    await expect(client.call('host.bmcRead', { host: 'r09-n999', read: 'power' })).rejects.toThrow(
      /not in rackpilot's store/,
    );
  });

  it('no password in the runner log', () => {
    const all = runnerLog.join('\n');
    expect(all.length).toBeGreaterThan(0);
    for (const h of [ipmiHost, redfishHost]) expect(all).not.toContain(password(h));
  });
});
