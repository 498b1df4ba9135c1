import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { addHostConfirmed, clientCall } from '../confirmed.ts';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandContext } from '../../src/cli/context.ts';
import { ipmiViaRunner } from '../../src/cli/ipmi-site.ts';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';

/**
 * `rackpilot ipmi HOST power status|bootdev show|info` for a host the rack file gives no BMC for
 * (known from `host add` only, its password in the runner's store): the runner asks the BMC and
 * answers without the password.
 */
let tl: TestLab;
let runner: RunningRunner;
let client: RunnerClient;
let env: Record<string, string>;
const HOST = 'r01-n003';

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 9 });
  const storePath = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  env = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '', RACKPILOT_POWER_SWEEP_MS: '0' };
  runner = await startRunner({ env, log: () => undefined, idleMs: 0 });
  client = await connectRunner({
    storePath: runner.paths.store,
    site: siteIdentity(loadConfig({ env, envFile: false })),
    client: { kind: 'test', readOnly: false },
    env,
    start: false,
  });
  await client.call('tasks.subscribe', {});
  const added = await addHostConfirmed(clientCall(client), {
    hostname: HOST,
    cores: 8,
    mhz: 2000,
    memory: 16384,
  });
  const done = new Promise<void>((resolve) =>
    client.onEvent((e) => e.taskId === added.taskId && e.type === 'task-done' && resolve()),
  );
  const t = await client.call('tasks.get', { id: added.taskId! });
  if (t.state !== 'done') await done;
  tl.lab.world.setPower(HOST, 'on', 'test setup');
}, 60_000);

afterAll(async () => {
  client?.close();
  await runner?.stop('test over');
  await tl?.close();
});

/** The CLI as an operator runs it, with a rack file that has no bmc entry for the host. */
async function ipmi(...argv: string[]) {
  const rack = JSON.parse(readFileSync(env['RACKPILOT_RACK_FILE']!, 'utf8')) as {
    racks: { hosts: { hostname: string; bmc?: unknown }[] }[];
  };
  for (const r of rack.racks) for (const h of r.hosts) if (h.hostname === HOST) delete h.bmc;
  // The site's rack file itself is edited (the runner reloads it): a terminal whose rack file
  // differs from the runner's would be refused by the settings check.
  const rackFile = env['RACKPILOT_RACK_FILE']!;
  writeFileSync(rackFile, JSON.stringify(rack), { mode: 0o600 });
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  const ctx = new CommandContext(io, { ...env, RACKPILOT_RACK_FILE: rackFile });
  try {
    const code = await ipmiViaRunner(argv, ctx);
    return { code, stdout, stderr };
  } finally {
    await ctx.close();
  }
}

describe('BMC reads of a host known from `host add` only', () => {
  it('answers power, boot device and device id through the runner, without the password', async () => {
    expect(await ipmi(HOST, 'power', 'status')).toMatchObject({ code: 0, stdout: `${HOST}: power on\n` });
    const boot = await ipmi(HOST, 'bootdev', 'show', '--json');
    expect(boot.code, boot.stderr).toBe(0);
    expect(JSON.parse(boot.stdout)).toMatchObject({ host: HOST, bootDevice: expect.any(String) });
    const info = await ipmi(HOST, 'info');
    expect(info.stdout).toMatch(new RegExp(`^${HOST}: IPMI 2\\.0, firmware `));
    const password = tl.lab.spec.hosts.find((h) => h.hostname === HOST)!.bmc.password;
    const raw = await client.call('host.bmcRead', { host: HOST, read: 'info' });
    expect(JSON.stringify(raw)).not.toContain(password);
  });

  it('names a host the store does not know, with the way to add it', async () => {
    const r = await ipmi('r09-n999', 'power', 'status');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("host r09-n999 is not in rackpilot's store");
    expect(r.stderr).toContain('rackpilot host add --hostname r09-n999');
  });
});
