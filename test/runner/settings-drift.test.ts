import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { INVENTORY_NOTIFICATION, inventoryDeltaSchema } from '../../src/protocol/messages.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { labBmcPasswordEnv } from '../../src/lab/rack-file.ts';
import { describeSetting, PASSWORDS_ID } from '../../src/config/fingerprint.ts';
import { startTestLab, until, type TestLab } from '../e2e/helpers.ts';

/**
 * One source of settings: a client whose settings differ from its runner's is refused, naming the
 * setting and never its value; an edited rack file is reloaded by the runner itself.
 */
let tl: TestLab;
let runner: RunningRunner;
let env: Record<string, string>;
let rackPath: string;
const log: string[] = [];
const clients: RunnerClient[] = [];

async function connect(e: Record<string, string>, opts: { control?: boolean } = {}): Promise<RunnerClient> {
  const c = await connectRunner({
    storePath: runner.paths.store,
    site: siteIdentity(loadConfig({ env: e, envFile: false })),
    client: { kind: 'test', readOnly: false },
    env: e,
    config: loadConfig({ env: e, envFile: false }),
    start: false,
    ...(opts.control && { control: true }),
  });
  clients.push(c);
  return c;
}

async function refusal(e: Record<string, string>): Promise<OperatorError> {
  const err = await connect(e).then(
    () => null,
    (x: unknown) => x,
  );
  expect(err).toBeInstanceOf(OperatorError);
  return err as OperatorError;
}

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 11 });
  const storePath = join(mkdtempSync(join(tl.dir, 'rp-')), 'store.json');
  env = { ...tl.env(storePath), RACKPILOT_ENV_FILE: '' };
  rackPath = env['RACKPILOT_RACK_FILE']!;
  runner = await startRunner({ env, log: (l) => log.push(l), idleMs: 0 });
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await runner?.stop('test over');
  await tl?.close();
});

describe("a client's settings against its runner's", () => {
  it('serves a client with the same settings', async () => {
    const c = await connect(env);
    expect((await c.call('runner.status', {})).pid).toBe(process.pid);
  });

  it('refuses another MaaS key, naming the setting, never the key, with the way out', async () => {
    const key = env['MAAS_API_KEY']!;
    const wrong = key.slice(0, -4) + 'AAAA';
    const err = await refusal({ ...env, MAAS_API_KEY: wrong });
    expect(err.message).toContain('the MaaS API key (MAAS_API_KEY or MAAS_SYSTEM_URL)');
    expect(err.hint).toContain('rackpilot runner restart');
    for (const part of [...key.split(':'), ...wrong.split(':')]) {
      expect(err.message).not.toContain(part);
      expect(log.join('\n')).not.toContain(part);
    }
    expect(log.join('\n')).toMatch(/refused a client \(pid \d+\): its settings differ in MAAS_API_KEY/);
  });

  it('refuses another BMC password variable, naming the variable, never the password', async () => {
    const name = labBmcPasswordEnv(tl.lab.spec.hosts[0]!.hostname);
    const err = await refusal({ ...env, [name]: 'NotTheLabPassword9' });
    expect(err.message).toContain(`${name} (a password variable the rack file names)`);
    // The one hash of all password variables differed first; the second hello named the variable.
    expect(err.message).not.toContain(describeSetting(PASSWORDS_ID));
    expect(log.join('\n')).toContain(`its settings differ in ${PASSWORDS_ID}`);
    expect(log.join('\n')).toContain(`its settings differ in ${name}`);
    expect(err.message).not.toContain('NotTheLabPassword9');
    expect(err.message).not.toContain(env[name]!);
  });

  it('lets `runner status` in (a control connection) and tells it what differs', async () => {
    const c = await connect({ ...env, RACKPILOT_ERASE_MODE: 'quick' }, { control: true });
    expect(c.settingsDrift).toEqual(['RACKPILOT_ERASE_MODE']);
    await expect(c.call('tasks.list', {})).rejects.toThrow(/runner status, stop and restart only/);
  });

  it('names a password variable that differs to `runner status` too', async () => {
    const name = labBmcPasswordEnv(tl.lab.spec.hosts[1]!.hostname);
    const c = await connect({ ...env, [name]: 'NotTheLabPassword9' }, { control: true });
    expect(c.settingsDrift).toEqual([name]);
  });
});

describe('an edited rack file', () => {
  it('is validated and reloaded by the runner, which says so in its log and to the dashboards', async () => {
    const dashboard = await connect(env);
    const notices: string[] = [];
    dashboard.onNotification(INVENTORY_NOTIFICATION, (raw) => {
      const d = inventoryDeltaSchema.parse(raw);
      if (d.notice) notices.push(`${d.notice.level}: ${d.notice.text}`);
    });
    await dashboard.call('inventory.subscribe', {});
    const before = (await dashboard.call('runner.status', {})).rackFile!;
    const rack = JSON.parse(readFileSync(rackPath, 'utf8'));
    const removed = rack.racks[0].hosts.pop() as { mac: string };
    writeFileSync(rackPath, JSON.stringify(rack, null, 2));
    await until(() => log.some((l) => /rack file .* changed: validated and reloaded/.test(l)), 'reload');
    expect(runner.site.topology.nic(removed.mac)).toBeUndefined();
    await until(() => notices.some((n) => /^info: rack file reloaded/.test(n)), 'the notice');
    const after = (await dashboard.call('runner.status', {})).rackFile!;
    expect(after.path).toBe(rackPath);
    expect(Date.parse(after.loadedAt)).toBeGreaterThan(Date.parse(before.loadedAt));
    // A client that reads the new file has the runner's settings.
    await connect(env);
  });

  it('when invalid, is reported and the previous one kept; a client reading it is refused', async () => {
    const good = readFileSync(rackPath, 'utf8');
    const nics = runner.site.topology.rack.nics.length;
    writeFileSync(rackPath, good.replace(/"mac": "[0-9a-f:]+"/, '"mac": "not-a-mac"'));
    await until(
      () => log.some((l) => /changed but is refused, the previous one stays in use/.test(l)),
      'refusal',
    );
    expect(runner.site.topology.rack.nics.length).toBe(nics);
    const err = await refusal(env);
    expect(err.message).toContain('the rack file (RACKPILOT_RACK_FILE');
    expect(err.message).toContain("the rack file's last edit is invalid: the runner keeps the previous one");
    const status = await (await connect(env, { control: true })).call('runner.status', {});
    expect(status.notices.at(-1)).toMatchObject({ level: 'warn' });
    expect(status.notices.at(-1)!.text).toMatch(/rack file edit refused, previous kept: .*not-a-mac/);
    writeFileSync(rackPath, good);
    await until(
      async () =>
        await connect(env).then(
          () => true,
          () => false,
        ),
      'the fixed file',
    );
  });
});
