import { parseEventTime } from '../../gear/maas/schemas.ts';
import { scriptSetOutput } from '../../gear/maas/results.ts';
import type { BmcTarget } from '../site/bmc-target.ts';
import { resolveBmc } from '../site/bmc-resolve.ts';
import type { WaitBoard } from '../waits.ts';
import { describeBmcOrigin } from '../../protocol/messages.ts';
import { switchPort } from '../site/adapters.ts';
import type { Site } from '../site/open.ts';
import type { Workbench } from '../site/workbench.ts';
import { bootDeviceLabel } from '../../gear/ipmi/index.ts';
import { describeError, OperatorError } from '../../util/errors.ts';
import { abortedByDeadline, raceSignal } from '../../util/deadline.ts';
import { answerOf, type BmcPower } from '../power-sweep.ts';
import type { Host, Task } from '../../protocol/records.ts';
import { readEventsBack } from '../../gear/maas/event-pages.ts';
import { analyse, type DoctorFacts } from './diagnose.ts';
import { CONSOLE_SOURCE } from './rules-console.ts';
import type { StageHistoryFile } from './history-file.ts';
import { finishedOperation, reachesStoryStart } from './timeline.ts';
import { checkCabling, expectedBmc, inspect, type InspectFacts } from './inspect.ts';
import type { Cabling, Diagnosis, Inspection } from '../../protocol/doctor.ts';

/**
 * The doctor's and the inspection's reads: MaaS (machine, events at DEBUG, curtin's log), the BMC
 * (power, boot flags) and the ToR switches (ports, learned MACs), all at once. Every read that
 * fails becomes evidence ("not read: why"), never an exception: the screen must still help.
 */

export interface TroubleshootContext {
  site: Site;
  wb: Workbench;
  /** The BMC sweep's state of the host, when the runner sweeps. */
  power?: (hostname: string) => BmcPower | undefined;
  /** This site's stage durations, which the doctor reads and adds finished operations to. */
  history?: StageHistoryFile;
  /** Where the runner says what it waits for (a client whose deadline passes is told). */
  waits?: WaitBoard;
  /**
   * The host's console: its last lines (the runner's scrollback, opened for the read when the
   * BMC serves SOL and no jump host holds it, or relayed from the one that does), and why not.
   */
  console?: (hostname: string, signal?: AbortSignal) => Promise<ConsoleRead>;
}

export interface ConsoleRead {
  lines: string[];
  /** Why the console was not read (or only in part), for the doctor's "unchecked" list. */
  unread?: string;
}

const line = (err: unknown) => describeError(err).split('\n')[0]!;
/** Why a read failed: the client's deadline when that is what ended it (the gear's own words else). */
const why = (err: unknown, signal: AbortSignal | undefined) =>
  abortedByDeadline(signal) ? `not read: ${line(signal!.reason)}` : line(err);

/** The host as rackpilot knows it: the store record, else the rack file (with its BMC). */
function hostOf(ctx: TroubleshootContext, key: string) {
  const rec = ctx.wb.store.hosts.find((h) => h.hostname === key || h.id === key);
  const hostname = rec?.hostname ?? key.toLowerCase();
  const rack = ctx.site.topology.host(hostname);
  if (!rec && !rack)
    throw new OperatorError(`no host ${key} in rackpilot's store or the rack file`, {
      hint: '`rackpilot host ls`, or check the rack file',
      target: key,
    });
  const macs = [
    ...new Set([...(rec ? [rec.mac, ...rec.macs] : []), ...(rack?.nics.map((n) => n.mac) ?? [])]),
  ];
  return { rec, hostname, rack, macs };
}

/** The host's BMC as the doctor reads it: the store's record, the rack file's, else MaaS's. */
export async function bmcTarget(
  ctx: TroubleshootContext,
  rec: Host | undefined,
  hostname: string,
  signal?: AbortSignal,
): Promise<BmcTarget | undefined> {
  const found = await resolveBmc(ctx.site, rec, hostname, signal);
  return found && 'target' in found ? found.target : undefined;
}

/** Runs `work`, known to the runner's wait board (when it has one) as `what`. */
function track<T>(ctx: TroubleshootContext, what: string, work: () => Promise<T>): Promise<T> {
  return ctx.waits ? ctx.waits.track(what, work) : work();
}

async function machineOf(
  ctx: TroubleshootContext,
  systemId: string | undefined,
  hostname: string,
  signal?: AbortSignal,
) {
  if (systemId) return ctx.site.maas.readMachine(systemId, signal);
  const list = await ctx.site.maas.listMachines({ hostname: [hostname] } as never, signal);
  return list.find((m) => m.hostname === hostname) ?? null;
}

/** The task holding the host, else the latest one that ran on it. */
function taskOf(ctx: TroubleshootContext, rec: Host | undefined, hostname: string): DoctorFacts['task'] {
  const tasks = ctx.wb.store.tasks
    .list()
    .filter((t) => (rec && t.target.hostId === rec.id) || t.target.hostname === hostname);
  const holder = rec ? ctx.wb.engine.holderOf({ hostId: rec.id, hostname }) : undefined;
  const t: Task | undefined =
    (holder && tasks.find((x) => x.id === holder)) ||
    tasks
      .filter((x) => x.kind === 'instance.create' || x.state !== 'done')
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (!t) return null;
  const step = t.steps.find((s) => s.state === 'running' || s.state === 'failed' || s.state === 'pending');
  return { id: t.id, kind: t.kind, state: t.state, step: step?.title ?? null, error: t.error ?? null };
}

export async function gatherDoctorFacts(
  ctx: TroubleshootContext,
  key: string,
  signal?: AbortSignal,
): Promise<DoctorFacts> {
  const { rec, hostname, macs } = hostOf(ctx, key);
  const { site } = ctx;
  const nics = site.topology.nicsForMacs(macs);
  const switches = switchPort(site.switches, site.topology, site.env);
  // Every read at once, but MaaS's machine after its events: the status it gives is then never
  // older than the story the events tell (read the other way round, a deploy that ended between
  // the two reads showed as Deploying beside the cloud-init failure that came after Deployed). A
  // host the store knows no system id for is looked up by name first, and read again after.
  const known = rec?.maasSystemId;
  const lookedUp = known ? undefined : readMaas(ctx, undefined, hostname, signal);
  const sid = lookedUp
    ? lookedUp.then((m) => (m && 'systemId' in m ? m.systemId : undefined))
    : Promise.resolve(known);
  const events = sid.then((id) => (id ? readEvents(ctx, hostname, id, signal) : []));
  const curtin = sid.then((id) => (id ? readCurtin(ctx, hostname, id, signal) : null));
  const maas = sid.then(async (id) => {
    if (!id) return lookedUp!; // not in MaaS, or the look-up failed: as it answered
    await events;
    return readMaas(ctx, id, hostname, signal);
  });
  const bmc = readDoctorBmc(ctx, rec, hostname, signal);
  const ports = Promise.all(nics.map((n) => readPort(ctx, switches, n, signal)));
  const learned = Promise.all(nics.map((n) => readLearned(switches, n, signal)));
  const consoleP = consoleOf(ctx, hostname, signal);
  const inst = rec ? ctx.wb.store.instances.find((i) => i.hostId === rec.id) : undefined;
  const sweep = ctx.power?.(hostname);
  const consoleRead = await consoleP;
  return {
    hostname,
    now: Date.now(),
    maas: await maas,
    events: await events,
    curtin: await curtin,
    bmc: await bmc,
    outOfBand: sweep?.outOfBand ?? null,
    ports: await ports,
    macs: await learned,
    instanceMac: inst?.mac ?? null,
    task: taskOf(ctx, rec, hostname),
    history: ctx.history?.get() ?? null,
    extra: consoleRead.lines.map((text) => ({ source: CONSOLE_SOURCE, at: null, text })),
    ...(consoleRead.unread && { consoleUnread: consoleRead.unread }),
    timeScale: site.lab ? site.config.timeScale : 1,
  };
}

type Nic = ReturnType<Site['topology']['nicsForMacs']>[number];
type Switches = ReturnType<typeof switchPort>;

async function readMaas(
  ctx: TroubleshootContext,
  systemId: string | undefined,
  hostname: string,
  signal?: AbortSignal,
): Promise<DoctorFacts['maas']> {
  try {
    const machine = await track(ctx, `MaaS's machine ${hostname}`, () =>
      machineOf(ctx, systemId, hostname, signal),
    );
    if (!machine) return null;
    return {
      systemId: machine.system_id,
      status: machine.status,
      statusName: machine.status_name,
      statusMessage: machine.status_message ?? '',
      powerState: machine.power_state,
      bootInterfaceMac: machine.boot_interface?.mac_address.toLowerCase() ?? null,
      bondMac: machine.interface_set?.find((i) => i.type === 'bond')?.mac_address.toLowerCase() ?? null,
      diskBytes: machine.storage !== undefined ? machine.storage * 1_000_000 : null,
    };
  } catch (err) {
    return { error: line(err) };
  }
}

/** Back to the status change that began the last operation, at every level (PXE, TFTP, HTTP). */
async function readEvents(
  ctx: TroubleshootContext,
  hostname: string,
  id: string,
  signal?: AbortSignal,
): Promise<DoctorFacts['events']> {
  try {
    const page = await track(ctx, `MaaS's events of ${hostname}`, () =>
      readEventsBack(
        ctx.site.maas,
        { systemId: id, level: 'DEBUG', pageSize: 100, maxPages: 8, enough: reachesStoryStart },
        signal,
      ),
    );
    return page.events.map((e) => ({
      id: e.id,
      at: parseEventTime(e.created) ?? Number.NaN,
      created: e.created,
      level: e.level,
      type: e.type,
      description: e.description,
    }));
  } catch {
    return [];
  }
}

async function readCurtin(
  ctx: TroubleshootContext,
  hostname: string,
  id: string,
  signal?: AbortSignal,
): Promise<DoctorFacts['curtin']> {
  try {
    const set = await track(ctx, `MaaS's installation results of ${hostname}`, () =>
      ctx.site.maas.readInstallationResults(id, signal),
    );
    const text = scriptSetOutput(set);
    return {
      status: set.results[0]?.status_name ?? 'none',
      lines: text.split('\n').filter((l) => l.length > 0),
    };
  } catch {
    return null;
  }
}

async function readDoctorBmc(
  ctx: TroubleshootContext,
  rec: Host | undefined,
  hostname: string,
  signal?: AbortSignal,
): Promise<DoctorFacts['bmc']> {
  const { site } = ctx;
  const found = await track(ctx, `the BMC details of ${hostname}`, () =>
    resolveBmc(site, rec, hostname, signal),
  );
  if (!found) return null;
  if ('error' in found) return { answer: 'unknown', error: `${found.error} (BMC from ${found.source})` };
  const { target } = found;
  const origin = describeBmcOrigin({ label: found.label, ...(found.source && { source: found.source }) });
  try {
    // A BMC request already sent runs to its own bound; the doctor answers at the deadline.
    const [power, boot] = await raceSignal(
      track(ctx, `the ${target.name}`, () =>
        Promise.all([site.bmc.powerStatus(target, signal), site.bmc.getBootDevice(target, signal)]),
      ),
      signal,
    );
    return {
      answer: 'ok',
      origin,
      power,
      boot: {
        device: boot.valid ? bootDeviceLabel(boot.device) : 'none',
        valid: boot.valid,
        persistent: boot.persistent,
      },
    };
  } catch (err) {
    return { answer: answerOf(err) === 'auth' ? 'auth' : 'unreachable', origin, error: why(err, signal) };
  }
}

async function readPort(
  ctx: TroubleshootContext,
  switches: Switches,
  n: Nic,
  signal?: AbortSignal,
): Promise<DoctorFacts['ports'][number]> {
  const pxe = ctx.site.topology.switch(n.switch)?.pxeVlan ?? null;
  try {
    const m = await track(ctx, `${n.switch} (show port ${n.port})`, () =>
      switches.showPort(n.switch, n.port, signal),
    );
    return { switch: n.switch, port: n.port, pxeVlan: pxe, untagged: m.untagged, tagged: [...m.tagged] };
  } catch (err) {
    return { switch: n.switch, port: n.port, pxeVlan: pxe, error: why(err, signal) };
  }
}

async function readLearned(
  switches: Switches,
  n: Nic,
  signal?: AbortSignal,
): Promise<DoctorFacts['macs'][number]> {
  try {
    return {
      mac: n.mac,
      switch: n.switch,
      port: n.port,
      learnedOn: await switches.findMac(n.switch, n.mac, signal),
    };
  } catch (err) {
    return { mac: n.mac, switch: n.switch, port: n.port, error: why(err, signal) };
  }
}

/** The console's last lines as further evidence (the rules read its wording, the views show it). */
async function consoleOf(
  ctx: TroubleshootContext,
  hostname: string,
  signal?: AbortSignal,
): Promise<ConsoleRead> {
  if (!ctx.console) return { lines: [] };
  try {
    return await ctx.console(hostname, signal);
  } catch (err) {
    return { lines: [], unread: line(err) };
  }
}

export async function doctor(
  ctx: TroubleshootContext,
  key: string,
  signal?: AbortSignal,
  opts: { log?: boolean } = {},
): Promise<Diagnosis> {
  const facts = await gatherDoctorFacts(ctx, key, signal);
  const { diagnosis, timeline } = analyse(facts, opts);
  const done = finishedOperation(
    timeline,
    facts.maas && 'diskBytes' in facts.maas ? facts.maas.diskBytes : null,
  );
  if (done) ctx.history?.learn(done);
  return diagnosis;
}

export async function gatherInspectFacts(
  ctx: TroubleshootContext,
  key: string,
  signal?: AbortSignal,
): Promise<InspectFacts> {
  const { rec, hostname, macs } = hostOf(ctx, key);
  const { site } = ctx;
  const switches = switchPort(site.switches, site.topology, site.env);
  const machine = await track(ctx, `MaaS's machine ${hostname}`, () =>
    machineOf(ctx, rec?.maasSystemId, hostname, signal),
  );
  const interfaces = (machine?.interface_set ?? []).map((i) => ({
    id: i.id,
    name: i.name,
    type: i.type,
    mac: i.mac_address.toLowerCase(),
    parents: [...i.parents],
    bondMode:
      i.type === 'bond' && i.params && typeof i.params === 'object'
        ? String((i.params as Record<string, unknown>)['bond_mode'] ?? 'none')
        : null,
    vlan: i.vlan?.vid ?? null,
    linkConnected: i.link_connected,
  }));
  const nics = await Promise.all(
    site.topology.nicsForMacs(macs).map(async (n) => {
      const pxeVlan = site.topology.switch(n.switch)?.pxeVlan ?? 0;
      const [actual, learnedOn] = await Promise.all([
        track(ctx, `${n.switch} (show port ${n.port})`, () =>
          switches.showPort(n.switch, n.port, signal),
        ).then(
          (m) => ({ untagged: m.untagged, tagged: [...m.tagged] }),
          (err) => ({ error: why(err, signal) }),
        ),
        switches.findMac(n.switch, n.mac, signal).catch((err) => ({ error: why(err, signal) })),
      ]);
      return { mac: n.mac, switch: n.switch, port: n.port, pxeVlan, actual, learnedOn };
    }),
  );
  const inst = rec ? ctx.wb.store.instances.find((i) => i.hostId === rec.id) : undefined;
  let instance: InspectFacts['instance'] = null;
  if (inst) {
    const [access, ...tagged] = inst.networkIds.map((id) => ctx.wb.store.networks.get(id)?.vlan ?? 0);
    instance = { name: inst.name, access: access ?? 0, tagged, state: inst.state };
  }
  const bmc = rec && expectedBmc(inst?.state) ? await readBmc(ctx, rec, signal) : null;
  return { hostname, now: Date.now(), interfaces, nics, instance, bmc };
}

/** The host's power and boot device, through the runner's BMC port (each read may fail alone). */
async function readBmc(
  ctx: TroubleshootContext,
  host: Host,
  signal?: AbortSignal,
): Promise<InspectFacts['bmc']> {
  const bmcs = ctx.wb.deps.bmcs;
  const [power, boot] = await Promise.all([
    raceSignal(bmcs.powerStatus(host, signal), signal).catch((err) => ({ error: why(err, signal) })),
    raceSignal(bmcs.getBootDevice(host, signal), signal).then(
      (b) => ({ device: b.device, valid: b.valid }),
      (err) => ({ error: why(err, signal) }),
    ),
  ]);
  return { power, boot };
}

export async function inspectHost(
  ctx: TroubleshootContext,
  key: string,
  signal?: AbortSignal,
): Promise<Omit<Inspection, 'plan'>> {
  return inspect(await gatherInspectFacts(ctx, key, signal));
}

/** `rackpilot cabling RACK`: one MAC-table read per switch of the rack, every rack-file NIC checked. */
export async function cabling(
  ctx: TroubleshootContext,
  rackName: string,
  signal?: AbortSignal,
): Promise<Cabling> {
  const { topology } = ctx.site;
  const idx = topology.rack.racks.findIndex(
    (r, i) => (r.name ?? `rack${i + 1}`) === rackName || r.switch.name === rackName,
  );
  if (idx < 0)
    throw new OperatorError(`no rack ${rackName} in the rack file`, {
      hint: `racks: ${topology.rack.racks.map((r, i) => r.name ?? `rack${i + 1}`).join(', ') || 'none (no rack file)'}`,
      target: rackName,
    });
  const rack = topology.rack.racks[idx]!;
  const name = rack.name ?? `rack${idx + 1}`;
  const switchNames = [...new Set(rack.nics.map((n) => n.switch).concat(rack.switch.name))];
  const { switchTargetInput } = await import('../../config/rack/switch-target.ts');
  const tables = new Map<string, { mac: string; port: string; vlan: number }[] | { error: string }>();
  await Promise.all(
    switchNames.map(async (sw) => {
      const s = topology.switch(sw);
      if (!s) return void tables.set(sw, { error: 'not in the rack file' });
      try {
        const rows = await track(ctx, `${sw} (MAC table)`, () =>
          ctx.site.switches.macTable(switchTargetInput(s, ctx.site.env), signal ? { signal } : {}),
        );
        tables.set(
          sw,
          rows.map((r) => ({ mac: r.mac, port: r.port, vlan: r.vlan })),
        );
      } catch (err) {
        tables.set(sw, { error: why(err, signal) });
      }
    }),
  );
  return checkCabling({
    rack: name,
    now: Date.now(),
    nics: rack.nics.map((n) => ({
      hostname: n.hostname ?? null,
      mac: n.mac,
      switch: n.switch,
      port: n.port,
    })),
    tables,
  });
}
