import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { connectRunner, type RunnerClient } from '../../src/client/runner-client.ts';
import { startRunner, type RunningRunner } from '../../src/runner/runner.ts';
import { siteIdentity } from '../../src/runner/site-files.ts';
import { isSettled } from '../../src/runner/tasks/events.ts';
import type { Task } from '../../src/protocol/records.ts';
import type { TestLab } from '../e2e/helpers.ts';
import { hostRecord, offeringFor, seedTemplateAndOfferings } from '../e2e/helpers.ts';
import type { TestEtcd } from './etcd-server.ts';

/** The settings of a jump host on the test lab sharing the site through the test etcd. */
export function jumpHostEnv(
  tl: TestLab,
  etcd: TestEtcd,
  prefix: string,
  name: string,
  extra: Record<string, string> = {},
): { env: Record<string, string>; storePath: string } {
  const storePath = join(mkdtempSync(join(tl.dir, `rp-${name}-`)), 'store.json');
  const env = tl.env(storePath, {
    RACKPILOT_ETCD: etcd.endpoint,
    RACKPILOT_ETCD_PREFIX: prefix,
    RACKPILOT_ETCD_TTL: '2',
    RACKPILOT_POLL_MS: '100',
    RACKPILOT_RUNNER_IDLE: '0',
    RACKPILOT_POWER_SWEEP_MS: '0',
    ...extra,
  });
  return { env, storePath };
}

export interface JumpHost {
  name: string;
  runner: RunningRunner;
  client: RunnerClient;
  env: Record<string, string>;
  storePath: string;
  log: string[];
  stop(): Promise<void>;
}

/** A runner in this process, as a jump host's, and a client connected to it. */
export async function startJumpHost(
  tl: TestLab,
  etcd: TestEtcd,
  prefix: string,
  name: string,
  extra: Record<string, string> = {},
): Promise<JumpHost> {
  const { env, storePath } = jumpHostEnv(tl, etcd, prefix, name, extra);
  const log: string[] = [];
  const runner = await startRunner({ env, log: (l) => log.push(l), idleMs: 0, watchdogMs: 60_000 });
  const config = loadConfig({ env, envFile: false });
  const client = await connectRunner({
    storePath,
    site: siteIdentity(config),
    client: { kind: 'test', readOnly: false },
    env,
    start: false,
  });
  return {
    name,
    runner,
    client,
    env,
    storePath,
    log,
    stop: async () => {
      await client.close?.();
      await runner.stop('test over');
    },
  };
}

/** Template, one offering per lab host shape, one tenant network, and every lab host added (host.add). */
export async function seedSite(jh: JumpHost, tl: TestLab): Promise<void> {
  const { store, engine } = jh.runner.wb;
  await seedTemplateAndOfferings(store);
  await store.networks.insert({ name: 'tenant-a', vlan: 200 });
  const ids = await Promise.all(
    tl.lab.spec.hosts.map(async (h) => {
      const host = await store.hosts.insert(hostRecord(tl, h));
      return engine.start('host.add', { hostId: host.id, hostname: h.hostname }, { hostId: host.id });
    }),
  );
  const tasks = await Promise.all(ids.map((id) => engine.wait(id)));
  const bad = tasks.filter((t) => t.state !== 'done');
  if (bad.length)
    throw new Error(`host.add failed: ${bad.map((t) => `${t.target.hostname}: ${t.error}`).join('; ')}`);
}

/** The offerings of the lab's hosts, one per host, in spec order: n deploys ask for these shapes. */
export function offeringsByHost(tl: TestLab): string[] {
  return tl.lab.spec.hosts.map((h) => offeringFor(h));
}

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function settled(tasks: readonly Readonly<Task>[]): boolean {
  return tasks.every((t) => isSettled(t.state));
}
