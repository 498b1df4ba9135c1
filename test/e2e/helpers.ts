import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { startLab, type Lab, type LabOptions } from '../../src/lab/index.ts';
import { labHostRecord } from '../../src/lab/host-record.ts';
import type { LabHost } from '../../src/lab/spec.ts';
import { NODE_STATUS, NODE_STATUS_NAME } from '../../src/gear/maas/node-status.ts';
import { openSite, type Site } from '../../src/runner/site/open.ts';
import { openWorkbench, type Workbench } from '../../src/runner/site/workbench.ts';
import { bmcTargetForHost } from '../../src/runner/site/bmc-target.ts';
import type { IpmiClientOptions } from '../../src/gear/ipmi/index.ts';
import { BOND_NAME } from '../../src/runner/workflows/instance-create.ts';
import type { WorkflowSettings } from '../../src/runner/workflows/adapters.ts';
import type { Host, Instance, Task } from '../../src/protocol/records.ts';
import type { Store } from '../../src/runner/store/store.ts';

/**
 * One lab per test file, run by the test process on loopback, and "operators": the product's own
 * site + workbench (real MaaS, SSH and IPMI clients) pointed at it as at a real site through an env
 * file, exactly what `rackpilot lab --env-out` gives a second process. Checks read the three peers
 * through the clients (MaaS API, switch CLI over SSH, IPMI), never the lab's memory alone.
 */
export const REPO = new URL('../..', import.meta.url).pathname;

export interface TestLab {
  lab: Lab;
  dir: string;
  /** Env file for a child `rackpilot` (store path given per child in RACKPILOT_STORE). */
  envFile: string;
  /** The env a process needs to use this lab as a site, with its own store. */
  env(storePath: string, extra?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

function envLine(key: string, value: string): string {
  return /^[A-Za-z0-9_.:/@%+-]*$/.test(value)
    ? `${key}=${value}`
    : `${key}="${value.replace(/["\\]/g, '\\$&')}"`;
}

export async function startTestLab(opts: Partial<LabOptions> = {}): Promise<TestLab> {
  const lab = await startLab({ timeScale: 0, hosts: 12, racks: 2, seed: 5, ...opts });
  const dir = mkdtempSync(join(tmpdir(), 'rp-e2e-'));
  const rackPath = join(dir, 'lab.rack.json');
  writeFileSync(rackPath, JSON.stringify(lab.rackFile, null, 2), { mode: 0o600 });
  const base: Record<string, string> = {
    ...lab.env,
    RACKPILOT_LAB: 'off',
    MAAS_URL: lab.maas.url,
    MAAS_API_KEY: lab.maas.apiKey,
    RACKPILOT_RACK_FILE: rackPath,
    RACKPILOT_KNOWN_HOSTS: join(dir, 'known_hosts'),
    HOME: dir,
  };
  const envFile = join(dir, 'lab.env');
  writeFileSync(
    envFile,
    Object.entries(base)
      .map(([k, v]) => envLine(k, v))
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  return {
    lab,
    dir,
    envFile,
    env: (storePath, extra = {}) => ({ ...base, RACKPILOT_STORE: storePath, ...extra }),
    close: async () => {
      await lab.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Operator {
  site: Site;
  wb: Workbench;
  storePath: string;
  close(): Promise<void>;
}

/** Fast polls for a lab at time scale 0; everything else as for a real site. */
export const TEST_SETTINGS: Partial<WorkflowSettings> = { pollMs: 100 };

export async function openOperator(
  tl: TestLab,
  opts: {
    storePath?: string;
    settings?: Partial<WorkflowSettings>;
    concurrency?: number;
    ipmi?: IpmiClientOptions;
  } = {},
): Promise<Operator> {
  const storePath = opts.storePath ?? join(mkdtempSync(join(tl.dir, 'op-')), 'store.json');
  const config = loadConfig({ env: tl.env(storePath), envFile: false });
  const site = await openSite(config, { ...(opts.ipmi && { ipmi: opts.ipmi }) });
  const wb = await openWorkbench(site, {
    storePath,
    settings: { ...TEST_SETTINGS, ...opts.settings },
    ...(opts.concurrency !== undefined && { concurrency: opts.concurrency }),
  });
  return {
    site,
    wb,
    storePath,
    close: async () => {
      await wb.close();
      await site.close();
    },
  };
}

export function labHost(tl: TestLab, pred: (h: LabHost) => boolean, skip: ReadonlySet<string> = new Set()) {
  const h = tl.lab.spec.hosts.find((x) => pred(x) && !skip.has(x.hostname));
  if (!h) throw new Error('the lab spec has no such host');
  return h;
}

/** The record `rackpilot host add` writes for a lab host (dimensions, MACs, BMC from the rack file). */
export function hostRecord(tl: TestLab, h: LabHost) {
  return labHostRecord(tl.lab, h)!;
}

export async function runTask(
  op: Operator,
  kind: string,
  params: Record<string, string>,
  target?: { hostId?: string; hostname?: string; instanceId?: string },
): Promise<Task> {
  const id = await op.wb.engine.start(kind, target ?? params, params);
  return op.wb.engine.wait(id);
}

export function expectDone(task: Task): void {
  const failed = task.steps.find((s) => s.state === 'failed');
  expect(task.state, `${task.kind}: ${task.error ?? ''} ${failed?.title ?? ''}`).toBe('done');
}

/** host add through the workflow; returns the store record (with its MaaS system id). */
export async function addHost(op: Operator, tl: TestLab, h: LabHost): Promise<Host> {
  const host = await op.wb.store.hosts.insert(hostRecord(tl, h));
  const task = await runTask(op, 'host.add', { hostId: host.id }, { hostId: host.id, hostname: h.hostname });
  expectDone(task);
  return op.wb.store.hosts.get(host.id)!;
}

/** Template jammy and one offering per lab host shape (`c<cores>`). */
export async function seedTemplateAndOfferings(store: Store): Promise<void> {
  await store.templates.insert({ name: 'jammy', image: 'ubuntu/jammy' });
  for (const [cores, mhz, mem] of [
    [16, 2400, 65536],
    [32, 2600, 131072],
    [64, 2100, 262144],
  ] as const)
    await store.offerings.insert({ name: `c${cores}`, cpuCores: cores, cpuMhz: mhz, memoryMb: mem });
}

/** Template, one offering per lab host shape (`c<cores>`), tenant networks a–d on VLANs 200–203. */
export async function seedCatalog(op: Operator): Promise<void> {
  const { store } = op.wb;
  await seedTemplateAndOfferings(store);
  for (const [i, n] of ['a', 'b', 'c', 'd'].entries())
    await store.networks.insert({ name: `tenant-${n}`, vlan: 200 + i });
}

export function offeringFor(h: LabHost): string {
  return `c${h.cpuCount}`;
}

export function vlanOf(op: Operator, network: string): number {
  return op.wb.store.networks.find((n) => n.name === network)!.vlan;
}

/** What the three peers say about a host, read through the product's clients. */
export interface PeerState {
  status: number;
  statusName: string;
  bond: { mac: string; mode: string | undefined; parents: string[] } | undefined;
  physicalMacs: string[];
  ports: { switch: string; port: string; untagged: number | null; tagged: number[] }[];
  power: 'on' | 'off';
  boot: { device: string; persistent: boolean; valid: boolean };
}

export async function peerState(op: Operator, host: Host): Promise<PeerState> {
  const m = await op.site.maas.readMachine(host.maasSystemId!);
  const ifaces = await op.site.maas.listInterfaces(host.maasSystemId!);
  const bond = ifaces.find((i) => i.type === 'bond' && i.name === BOND_NAME);
  const nics = op.wb.deps.rack.nicsFor([host.mac, ...host.macs], host.hostname);
  const ports = [];
  for (const nic of nics) {
    const p = await op.wb.deps.switches.showPort(nic.switch, nic.port);
    ports.push({ switch: nic.switch, port: nic.port, untagged: p.untagged, tagged: [...p.tagged].sort() });
  }
  // Through the product's BMC interface: RMCP+ for an IPMI host, HTTPS for a Redfish one.
  const target = bmcTargetForHost(host);
  const power = await op.site.bmc.powerStatus(target);
  const flags = await op.site.bmc.getBootDevice(target);
  return {
    status: m.status,
    statusName: m.status_name,
    bond: bond && {
      mac: bond.mac_address.toLowerCase(),
      mode: (bond.params as { bond_mode?: string } | undefined)?.bond_mode,
      parents: [...(bond.parents ?? [])],
    },
    physicalMacs: ifaces
      .filter((i) => i.type === 'physical')
      .map((i) => i.mac_address.toLowerCase())
      .sort(),
    ports,
    power: power as 'on' | 'off',
    boot: { device: flags.device, persistent: flags.persistent, valid: flags.valid },
  };
}

/** Running instance: Deployed, bond (≥ 2 ToR NICs) or single NIC carrying its MAC, VLANs, on, disk. */
export async function expectRunning(op: Operator, instanceId: string): Promise<PeerState> {
  const inst: Instance = op.wb.store.instances.get(instanceId)!;
  expect(inst.state).toBe('running');
  const host = op.wb.store.hosts.get(inst.hostId)!;
  const s = await peerState(op, host);
  expect(s.statusName, host.hostname).toBe(NODE_STATUS_NAME[NODE_STATUS.DEPLOYED]);
  const nicCount = host.macs.length;
  if (nicCount >= 2) {
    expect(s.bond, `${host.hostname} bond`).toBeDefined();
    expect(s.bond!.mac).toBe(inst.mac);
    expect(s.bond!.mode).toBe('active-backup');
    expect(s.bond!.parents).toHaveLength(nicCount);
  } else {
    expect(s.bond).toBeUndefined();
    expect(s.physicalMacs).toEqual([inst.mac]);
  }
  const [access, ...tagged] = inst.networkIds.map((id) => op.wb.store.networks.get(id)!.vlan);
  expect(s.ports).toHaveLength(nicCount);
  for (const p of s.ports) {
    expect({ untagged: p.untagged, tagged: p.tagged }, `${p.switch} ${p.port}`).toEqual({
      untagged: access,
      tagged: [...tagged].sort(),
    });
  }
  expect(s.power).toBe('on');
  expect(s.boot).toMatchObject({ device: 'disk', persistent: true, valid: true });
  return s;
}

/**
 * A free host, as before any create: Ready in MaaS with no bond and its hardware MACs, every ToR
 * port untagged on the PXE VLAN with nothing tagged, powered off, booting nothing but PXE or the
 * BIOS order (never an override to the erased disk), no instance on it.
 */
export async function expectFree(
  op: Operator,
  host: Host,
  opts: { untagged?: number } = {},
): Promise<PeerState> {
  const s = await peerState(op, host);
  expect(s.statusName, host.hostname).toBe(NODE_STATUS_NAME[NODE_STATUS.READY]);
  expect(s.bond).toBeUndefined();
  expect(s.physicalMacs).toEqual([...host.macs].sort());
  expect(s.ports).toHaveLength(host.macs.length);
  for (const p of s.ports) {
    const pxe = opts.untagged ?? op.wb.deps.switches.pxeVlan(p.switch);
    expect({ untagged: p.untagged, tagged: p.tagged }, `${p.switch} ${p.port}`).toEqual({
      untagged: pxe,
      tagged: [],
    });
  }
  expect(s.power, `${host.hostname} power`).toBe('off');
  expect(s.boot.valid && s.boot.device === 'disk', `${host.hostname} boots from disk`).toBe(false);
  expect(op.wb.store.instances.find((i) => i.hostId === host.id)).toBeUndefined();
  return s;
}

/** Polls until `check` holds (generous deadline: a loaded CI machine is slow, never wrong). */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The MaaS events of a machine, as `type - description` lines (through the API). */
export async function maasEvents(op: Operator, host: Host): Promise<string[]> {
  const page = await op.site.maas.queryEvents({ id: host.maasSystemId!, level: 'DEBUG', limit: 1000 });
  return [...page.events].sort((a, b) => a.id - b.id).map((e) => `${e.type} - ${e.description}`);
}

/**
 * A lab and an operator on it for the tests of one file: started before them, closed after them
 * (even when they fail). Read them through the getters inside the tests.
 */
export function labOperatorForFile(
  opts: Partial<LabOptions>,
  setup: (tl: TestLab, op: Operator) => void | Promise<void> = () => undefined,
): { tl: () => TestLab; op: () => Operator } {
  let tl: TestLab | undefined;
  let op: Operator | undefined;
  beforeAll(async () => {
    tl = await startTestLab(opts);
    op = await openOperator(tl);
    await setup(tl, op);
  }, 60_000);
  afterAll(async () => {
    await op?.close();
    await tl?.close();
  });
  return { tl: () => tl!, op: () => op! };
}
