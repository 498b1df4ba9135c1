import { bmcTargetForHost, rackBmcTarget } from '../site/bmc-target.ts';
import { maasBmcsKnown } from '../site/bmc-resolve.ts';
import type { Site } from '../site/open.ts';
import type { Workbench } from '../site/workbench.ts';
import { OperatorError } from '../../util/errors.ts';
import { planWorkflowLive } from '../workflows/index.ts';
import { cabling, doctor, inspectHost, type TroubleshootContext } from '../doctor/gather.ts';
import { readTriage } from '../doctor/triage-read.ts';
import { BmcPowerSweep, type BmcSweepTarget, type BmcPowerChange } from '../power-sweep.ts';
import { EXPLAIN_EVENTS_LIMIT, eventsExplainPower, statusExplainsPower } from '../power-explain.ts';
import {
  peerDeadline,
  startFor,
  stillWaiting,
  storeHost,
  type Caller,
  type Handlers,
  type RequestContext,
  type ServiceContext,
} from './context.ts';
import { WaitBoard } from '../waits.ts';
import { actionPlanner, FIX_TASKS, type ActionPlanner } from './plans.ts';
import type { Params, Result } from '../../protocol/messages.ts';

/**
 * Troubleshooting requests: the doctor (read, then a fix as a task), the bond/VLAN inspection and
 * its reconcile, the cabling check of a rack, and the BMC power sweep's snapshot.
 */

/** Every BMC the runner knows: the store's hosts, then the rack file's hosts with a BMC entry. */
export function sweepTargets(site: Site, wb: Workbench): BmcSweepTarget[] {
  const out: BmcSweepTarget[] = [];
  const seen = new Set<string>();
  // The live rows, read without a copy: a target is made of a few of their fields.
  wb.store.hosts.find((h) => {
    seen.add(h.hostname);
    out.push({ hostname: h.hostname, target: bmcTargetForHost(h) });
    return false;
  });
  for (const [hostname] of site.topology.hostsByName()) {
    if (seen.has(hostname)) continue;
    const target = rackBmcTarget(site.topology.host(hostname)?.bmc, hostname, site.env);
    if (target) out.push({ hostname, target });
    seen.add(hostname);
  }
  // Hosts whose BMC only MaaS knows, once a read found it there.
  for (const m of maasBmcsKnown(site)) if (!seen.has(m.hostname)) out.push(m);
  return out;
}

/** The BMC of one host, as sweepTargets() would list it, without listing every one. */
export function sweepTarget(site: Site, wb: Workbench, hostname: string): BmcSweepTarget | undefined {
  const h = wb.store.hosts.peekBy('hostname', hostname);
  if (h) return { hostname: h.hostname, target: bmcTargetForHost(h) };
  if (site.topology.hostsByName().has(hostname)) {
    const target = rackBmcTarget(site.topology.host(hostname)?.bmc, hostname, site.env);
    return target ? { hostname, target } : undefined;
  }
  return maasBmcsKnown(site).find((m) => m.hostname === hostname);
}

/**
 * The runner's sweep: MaaS explains a change when it is in a status where it powers the host that
 * way (deploying powers on, releasing powers off) or logged a power action of its own moments ago.
 * A task's own power commands go through the runner's IPMI client and explain themselves.
 */
export function createPowerSweep(
  site: Site,
  wb: Workbench,
  opts: { intervalMs?: number; log: (line: string) => void },
): BmcPowerSweep {
  const sweep = new BmcPowerSweep(site.bmc, {
    targets: () => sweepTargets(site, wb),
    target: (hostname) => sweepTarget(site, wb, hostname),
    ...(opts.intervalMs !== undefined && { intervalMs: opts.intervalMs }),
    log: opts.log,
    explain: async (hostname, _from, to) => {
      const rec = wb.store.hosts.find((h) => h.hostname === hostname);
      const m = rec?.maasSystemId
        ? await site.maas.readMachine(rec.maasSystemId)
        : (await site.maas.listMachines({ hostname: [hostname] })).find((x) => x.hostname === hostname);
      if (!m) return null;
      // A power action MaaS logged moments ago (commissioning done powers off, `power_on` from its UI…).
      const windowMs = Math.max(60_000, 3 * (opts.intervalMs ?? 10_000));
      const byStatus = statusExplainsPower(m, to);
      if (byStatus) return byStatus;
      const page = await site.maas.queryEvents({
        id: m.system_id,
        level: 'DEBUG',
        limit: EXPLAIN_EVENTS_LIMIT,
      });
      return eventsExplainPower(page.events, to, Date.now(), windowMs);
    },
  });
  sweep.onChange((c: BmcPowerChange) => {
    const held = (() => {
      const rec = wb.store.hosts.find((h) => h.hostname === c.hostname);
      return rec ? wb.engine.holderOf({ hostId: rec.id, hostname: c.hostname }) : undefined;
    })();
    if (c.outOfBand)
      opts.log(
        `power: ${c.hostname} went ${c.current.power} out of band (no command of rackpilot, no MaaS action${held ? `; task ${held} holds the host` : ''})`,
      );
    else if (c.current.answer !== (c.previous?.answer ?? 'ok'))
      opts.log(
        `power: BMC of ${c.hostname} ${c.current.answer === 'ok' ? 'answers again' : `is ${c.current.answer}: ${c.current.error ?? ''}`}`,
      );
  });
  return sweep;
}

export function troubleshootHandlers(
  { site, wb }: ServiceContext,
  sweep: BmcPowerSweep | undefined,
  opts: {
    /** The inventory's rows when the runner follows MaaS already (the triage needs no list then). */
    rows?: NonNullable<Parameters<typeof readTriage>[0]['rows']>;
    /** Where the runner says what it waits for, when a client's deadline passes first. */
    waits?: WaitBoard;
    /** The host's console for the doctor (read as TroubleshootContext['console'] says). */
    console?: TroubleshootContext['console'];
  } = {},
): Handlers {
  const waits = opts.waits ?? new WaitBoard();
  const history = wb.history;
  const tctx = {
    site,
    wb,
    history,
    waits,
    ...(sweep && { power: (h: string) => sweep.snapshot().get(h) }),
    ...(opts.console && { console: opts.console }),
  };
  const bounded = <T>(
    request: RequestContext | undefined,
    peer: { ms: number; setting: string },
    work: (signal: AbortSignal) => Promise<T>,
  ) => boundedRead(waits, request, peer, work);
  const maasPeer = { ms: site.config.maasTimeoutMs, setting: 'RACKPILOT_MAAS_TIMEOUT' };
  const switchPeer = { ms: site.config.switchTimeoutMs, setting: 'RACKPILOT_SWITCH_TIMEOUT' };
  const planner = actionPlanner({ site, wb });
  const hostNamed = (key: string) => storeHost(wb, key);
  const withPlan = async (key: string, signal?: AbortSignal) => {
    const i = await inspectHost(tctx, key, signal);
    const plan = i.reconcile
      ? await planWorkflowLive(wb.deps, 'host.reconcile', { hostId: hostNamed(key).id, ...i.reconcile })
      : [];
    return { ...i, plan };
  };
  return {
    'host.doctor': async ({ host, log }, _caller, request) =>
      bounded(request, maasPeer, (signal) => doctor(tctx, host, signal, { log: log === true })),
    'site.triage': async () =>
      readTriage({
        maas: site.maas,
        history: () => history.get(),
        timeScale: site.lab ? site.config.timeScale : 1,
        ...(opts.rows && { rows: opts.rows }),
      }),
    'host.fix': async (p, caller: Caller) => applyFix(wb, planner, p, caller),
    'host.inspect': async ({ host }, _caller, request) =>
      bounded(request, maasPeer, (signal) => withPlan(host, signal)),
    'host.reconcile': async ({ host, plan, follow }, caller) => {
      // The reconcile the operator saw, with its very values (ports, VLANs, bond mode).
      const { start, steps } = await planner.confirm({ action: 'reconcile', host }, plan);
      return startFor(caller, { follow }, (opts) =>
        wb.engine.start(start!.kind, start!.target, start!.params, { plan: steps, ...opts }),
      );
    },
    'rack.cabling': async ({ rack }, _caller, request) =>
      bounded(request, switchPeer, (signal) => cabling(tctx, rack, signal)),
    'power.snapshot': async () => {
      const hosts = [...(sweep?.snapshot().values() ?? [])].map((p) => ({ ...p }));
      const stats = sweep?.stats();
      return {
        enabled: sweep !== undefined,
        hosts,
        sweeps: stats?.sweeps ?? 0,
        lastSweepMs: stats?.lastSweepMs ?? 0,
        lastSweepAt: stats?.lastSweepAt ?? null,
      };
    },
  };
}

/**
 * A read bounded by what its client has left (else by the runner's own setting for that peer):
 * what is not read by then is said so, and a wait still open is named in the answer.
 */
async function boundedRead<T>(
  waits: WaitBoard,
  request: RequestContext | undefined,
  peer: { ms: number; setting: string },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = peerDeadline(request, peer.ms, peer.setting);
  try {
    return await work(deadline.signal);
  } catch (err) {
    throw stillWaiting(err, waits);
  } finally {
    deadline.dispose();
  }
}

/** A doctor's fix: a resume of its task, or the fix's task on the host, beside a task holding it. */
async function applyFix(
  wb: Workbench,
  planner: ActionPlanner,
  { host, fix, taskId, plan, follow }: Params<'host.fix'>,
  caller: Caller,
): Promise<Result<'host.fix'>> {
  const hostNamed = (key: string) => storeHost(wb, key);
  const confirmed = await planner.confirm({ action: 'fix', host, fix, ...(taskId && { taskId }) }, plan);
  if (fix === 'resume') {
    if (!taskId)
      throw new OperatorError('which task?', {
        hint: 'the doctor names it: `--fix resume` needs its task',
      });
    await wb.engine.resume(taskId, { ...(confirmed.stepPlans && { plan: confirmed.stepPlans }) });
    return { taskId };
  }
  const k = FIX_TASKS[fix];
  if (!k) throw new OperatorError(`no fix ${fix}`);
  const h = hostNamed(host);
  const target = { hostId: h.id, hostname: h.hostname };
  // A stuck deploy holds the host: the fix runs beside it (both journals say so) and the deploy goes on.
  const holder = wb.engine.holderOf(target);
  return startFor(caller, { follow }, (opts) =>
    wb.engine.start(
      k.kind,
      target,
      { hostId: h.id, ...k.params },
      {
        ...(holder && {
          force: {
            reason: `doctor fix ${fix} from ${caller.kind} client (pid ${caller.pid}) beside task ${holder}`,
          },
        }),
        plan: confirmed.steps,
        ...opts,
      },
    ),
  );
}
