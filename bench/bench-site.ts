/**
 * A lab site for the workflow benches: the lab on loopback in this process, reached through the
 * product's real clients exactly as a second process reaches `rackpilot lab --env-out`, and a
 * store seeded with its hosts (adopted from MaaS), one offering per hardware shape, a template and
 * two tenant networks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config/index.ts';
import { NODE_STATUS } from '../src/gear/maas/node-status.ts';
import { startLab, type Lab } from '../src/lab/index.ts';
import { writeLabEnvFile } from '../src/lab/env-file.ts';
import { labHostRecord } from '../src/lab/host-record.ts';
import { openSite, type Site } from '../src/runner/site/open.ts';
import { openWorkbench, type Workbench } from '../src/runner/site/workbench.ts';

export interface BenchSite {
  lab: Lab;
  dir: string;
  /** The environment of a client (or runner) of this site with the given store. */
  env(storePath: string): Record<string, string>;
  close(): Promise<void>;
}

export const BENCH_POLL_MS = 200;

export async function startBenchSite(hosts: number, prefix: string): Promise<BenchSite> {
  const lab = await startLab({ timeScale: 0, hosts, racks: 10, seed: 1 });
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const envFile = join(dir, 'lab.env');
  writeLabEnvFile(lab, { env: envFile, rackFile: join(dir, 'rack.json'), store: join(dir, 'unused.json') });
  return {
    lab,
    dir,
    env: (storePath) => ({
      HOME: dir,
      RACKPILOT_ENV_FILE: envFile,
      RACKPILOT_STORE: storePath,
      RACKPILOT_KNOWN_HOSTS: join(dir, 'known_hosts'),
      RACKPILOT_ERASE_MODE: 'quick',
      RACKPILOT_POLL_MS: String(BENCH_POLL_MS),
      RACKPILOT_RUNNER_IDLE: '30',
    }),
    close: async () => {
      await lab.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openBenchWorkbench(
  bs: BenchSite,
  storePath: string,
  concurrency: number,
): Promise<{ config: Config; site: Site; wb: Workbench; close(): Promise<void> }> {
  const config = loadConfig({ env: bs.env(storePath) });
  const site = await openSite(config);
  const wb = await openWorkbench(site, { storePath, concurrency });
  return {
    config,
    site,
    wb,
    close: async () => {
      await wb.close();
      await site.close();
    },
  };
}

/** Offerings are named `c<cores>`; returns the offering of each lab host, in spec order. */
export async function seedBenchStore(bs: BenchSite, wb: Workbench): Promise<string[]> {
  const { store, engine } = wb;
  const { lab } = bs;
  await store.templates.insert({ name: 'jammy', image: 'ubuntu/jammy' });
  await store.networks.insert({ name: 'tenant-a', vlan: 200 });
  await store.networks.insert({ name: 'tenant-b', vlan: 201 });
  const shapes = new Map<string, { cpuCores: number; cpuMhz: number; memoryMb: number }>();
  for (const h of lab.spec.hosts)
    shapes.set(`c${h.cpuCount}`, { cpuCores: h.cpuCount, cpuMhz: h.cpuMhz, memoryMb: h.memoryMb });
  for (const [name, s] of shapes) await store.offerings.insert({ name, ...s });
  const added = await Promise.all(
    lab.spec.hosts.map(async (h) => {
      const rec = await store.hosts.insert(labHostRecord(lab, h)!);
      const id = await engine.start('host.add', { hostId: rec.id, hostname: h.hostname }, { hostId: rec.id });
      return engine.wait(id);
    }),
  );
  const notAdded = added.filter((t) => t.state !== 'done').length;
  if (notAdded) throw new Error(`${notAdded} hosts not added`);
  return lab.spec.hosts.map((h) => `c${h.cpuCount}`);
}

/**
 * Resolves once the lab's MaaS has every machine Ready and is working on none: the machines a
 * warm-up released (erased, powered off) are free again before the clock starts.
 */
export async function labAtRest(lab: Lab): Promise<void> {
  const { core } = lab.maas.machines;
  const all = new URLSearchParams();
  const atRest = () => core.list(all).every((m) => m.status === NODE_STATUS.READY && !core.busy(m.systemId));
  while (!atRest()) await new Promise((r) => setTimeout(r, 20));
}
