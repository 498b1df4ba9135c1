import { existsSync, renameSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { labHostRecord, writeLabEnvFile } from './lab-host.ts';
import { openSite, type Site } from './site/open.ts';
import type { LabSiteFiles } from './site-files.ts';
import type { Store } from './store/store.ts';

/**
 * Starts the lab (with the demo's activity staged) and writes its env file. A lab is new each time
 * it starts, so a store kept from an earlier lab would describe machines that no longer exist:
 * it is set aside as `store.json.previous`, never deleted, and `onNewLab` says so for the screen.
 */
export async function openLabSite(
  config: Config,
  files: LabSiteFiles,
  log: (line: string) => void,
  onNewLab: (text: string) => void = () => undefined,
): Promise<Site> {
  for (const suffix of ['', '.journal']) {
    const p = `${files.store}${suffix}`;
    if (existsSync(p)) {
      renameSync(p, `${files.store}.previous${suffix}`);
      if (suffix === '') {
        log(`a new lab: the previous lab's store is kept as ${files.store}.previous`);
        onNewLab(
          `a new lab began: the previous lab's instances and task history are set aside in ${files.store}.previous`,
        );
      }
    }
  }
  const site = await openSite(config, { demo: true });
  writeLabEnvFile(
    site.lab!,
    { env: files.env, rackFile: files.rackFile, store: files.store },
    { RACKPILOT_ERASE_MODE: config.eraseMode, RACKPILOT_TIME_SCALE: String(config.timeScale) },
  );
  return site;
}

export const LAB_NETWORKS = [
  { name: 'tenant-a', vlan: 101, description: 'lab tenant network A' },
  { name: 'tenant-b', vlan: 102, description: 'lab tenant network B' },
  { name: 'storage', vlan: 201, description: 'lab storage network' },
] as const;

export const LAB_TEMPLATES = [
  { name: 'jammy', image: 'ubuntu/jammy', description: 'Ubuntu 22.04 LTS' },
  { name: 'noble', image: 'ubuntu/noble', description: 'Ubuntu 24.04 LTS' },
] as const;

/**
 * A fresh lab store gets what a newcomer needs to start any task at once: the lab's hosts that MaaS
 * knows (the one it does not is left for `host add`), an offering per hardware shape, templates
 * for the lab's images and a few tenant networks.
 */
export async function seedLabCatalog(store: Store, site: Site): Promise<void> {
  const lab = site.lab!;
  if (store.hosts.list().length > 0 || store.offerings.list().length > 0) return;
  const shapes = new Map<string, { cores: number; mhz: number; memory: number }>();
  for (const h of lab.spec.hosts) {
    const machine = lab.maas.machines.byHostname(h.hostname);
    if (!machine) continue;
    const record = labHostRecord(lab, h);
    if (!record) continue;
    await store.hosts.insert({ ...record, maasSystemId: machine.systemId });
    shapes.set(`${h.cpuCount}/${h.cpuMhz}/${h.memoryMb}`, {
      cores: h.cpuCount,
      mhz: h.cpuMhz,
      memory: h.memoryMb,
    });
  }
  const names = new Set<string>();
  for (const s of [...shapes.values()].sort((a, b) => a.cores - b.cores || a.memory - b.memory)) {
    let name = `${s.cores}c-${Math.round(s.memory / 1024)}g`;
    if (names.has(name)) name = `${name}-${s.mhz}`;
    names.add(name);
    await store.offerings.insert({ name, cpuCores: s.cores, cpuMhz: s.mhz, memoryMb: s.memory });
  }
  for (const t of LAB_TEMPLATES) await store.templates.insert({ ...t });
  for (const n of LAB_NETWORKS) await store.networks.insert({ ...n });
}
