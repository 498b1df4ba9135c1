import { createHash } from 'node:crypto';
import { OperatorError, describeError } from '../../util/errors.ts';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import { planWorkflowLive, workflowSteps, type PlannedStep } from '../workflows/index.ts';
import { FINISHED_STEP, RESUMABLE, ROLLBACKABLE, UNDOABLE_STEP } from '../tasks/internal.ts';
import type { StepPlans } from '../tasks/engine.ts';
import { inspectHost } from '../doctor/gather.ts';
import type { Host, Task, TaskTarget } from '../../protocol/records.ts';
import type { ActionPlan, ActionRequest } from '../../protocol/messages.ts';
import { storeHost, type ServiceContext } from './context.ts';
import { CANCELLABLE } from '../../protocol/task-states.ts';
import { withDraft } from './draft.ts';
import { addHostPlan } from './add-host.ts';
import {
  instanceDraft,
  readyInMaas,
  resolveCreate,
  type CreateRequest,
  type ReadyCheck,
} from '../site/provision.ts';
import { pickHost } from '../workflows/planner.ts';
import type { WorkflowDeps } from '../workflows/adapters.ts';
import { planReads } from './plan-reads.ts';

/**
 * Plans are contracts. Every change the dashboard offers is planned here, by the workflows' own
 * steps (their plan() and undoPlan()), with the state of the host read just before; the plan's
 * digest covers all of it. A start request carries the digest the operator confirmed: the runner
 * plans again and refuses, naming what changed, when the plan is no longer that one.
 */

/** A plan and the task it starts (none for a cancel, which steers a running task). */
export interface Planned extends ActionPlan {
  start?: { kind: string; target: TaskTarget; params: Record<string, unknown> };
  /** A resume's or rollback's lines by the index of the task's step they cover (journaled with it). */
  stepPlans?: StepPlans;
}

/** The doctor's fixes as the task each starts. */
export const FIX_TASKS: Record<string, { kind: string; params: Record<string, unknown> }> = {
  'ports-pxe': { kind: 'host.ports-pxe', params: {} },
  'pxe-boot': { kind: 'host.pxe-boot', params: {} },
  'reset-failed': { kind: 'host.reset-failed', params: {} },
  abort: { kind: 'host.maas', params: { op: 'abort', comment: 'rackpilot doctor: abort' } },
  'power-cycle': { kind: 'host.power', params: { action: 'cycle' } },
  'disk-boot': { kind: 'host.bootdev', params: { device: 'disk', persistent: true } },
  'mark-fixed': { kind: 'host.maas', params: { op: 'mark-fixed', comment: 'rackpilot doctor: mark fixed' } },
};

/** Hard power changes that end what runs on a Deployed host: typed confirmation. */
const CUTS_POWER = new Set(['off', 'soft', 'cycle', 'reset']);

export function planDigest(p: Omit<ActionPlan, 'digest'>): string {
  const { title, target, state, steps, destroys, typed } = p;
  const body = JSON.stringify({ title, target, state, steps, destroys, typed });
  return createHash('sha256').update(body).digest('hex');
}

/** The first line where two plans differ, for the refusal. */
export function firstDifference(was: ActionPlan, now: ActionPlan): string {
  const flat = (p: ActionPlan) => [
    ...p.state.map((l) => `state: ${l}`),
    ...p.steps.flatMap((s, i) => [`step ${i + 1}: ${s.step}`, ...s.actions.map((a) => `  ${a}`)]),
    `destroys: ${p.destroys ?? 'nothing'}`,
  ];
  const a = flat(was);
  const b = flat(now);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `was "${a[i] ?? '(nothing)'}", now "${b[i] ?? '(nothing)'}"`;
  }
  return 'its digest differs';
}

/**
 * A deploy's plan: the host it picks and the instance's MAC (the start sends both back), and the
 * Ready check it was made with, for the start it confirms (never sent to a client).
 */
export type DeployPlan = Planned & { host: string; mac: string; ready: ReadyCheck };

export interface ActionPlanner {
  plan(req: ActionRequest): Promise<Planned>;
  /** A deploy's plan: the host the planner picks and the instance's MAC, which the start must send back. */
  deploy(req: CreateRequest): Promise<DeployPlan>;
  /** Plans again; refuses unless the plan is the one confirmed (`digest`). */
  confirm(req: ActionRequest, digest: string): Promise<Planned>;
  /** Remembers a plan shown (deploy plans are made elsewhere), so a refusal can name the change. */
  remember(p: ActionPlan): void;
  check(now: ActionPlan, digest: string): void;
}

const planners = new WeakMap<object, ActionPlanner>();

/** The site's one planner (one memory of the plans shown, whichever request confirms them). */
export function actionPlanner(ctx: ServiceContext): ActionPlanner {
  let p = planners.get(ctx.wb);
  if (!p) planners.set(ctx.wb, (p = makePlanner(ctx)));
  return p;
}

/** How long a host picked by a deploy's plan is passed over by other plans' picks. */
const PICK_KEPT_MS = 120_000;

function makePlanner(ctx: ServiceContext): ActionPlanner {
  const pickedUntil = new Map<string, number>();
  const shown = new Map<string, ActionPlan>();
  const remember = (p: ActionPlan) => {
    shown.set(p.digest, p);
    if (shown.size > 500) shown.delete(shown.keys().next().value!);
  };
  const planning: Planning = {
    ctx,
    finish: (p, holds = p) => {
      const planned = { ...p, digest: planDigest(holds) };
      remember(planned);
      return planned;
    },
  };
  const plan = (req: ActionRequest) => planAction(planning, req);
  const check = (now: ActionPlan, digest: string) => {
    if (digest === now.digest) return;
    const was = shown.get(digest);
    throw new OperatorError(
      `${now.title}: the plan changed since it was confirmed (${was ? firstDifference(was, now) : 'a plan this runner did not make'})`,
      { target: now.target, hint: 'nothing was done: look at the fresh plan and confirm again' },
    );
  };
  return {
    plan,
    deploy: (req) => planDeploy(planning, pickedUntil, req),
    remember,
    check,
    confirm: async (req, digest) => {
      const now = await plan(req);
      check(now, digest);
      return now;
    },
  };
}

/** What every plan is made with: the site, and the finish that digests and remembers a plan. */
interface Planning {
  ctx: ServiceContext;
  /** The plan with its digest: of the plan itself, or of what must hold for it (`holds`). */
  finish(p: Omit<Planned, 'digest'>, holds?: Omit<ActionPlan, 'digest'>): Planned;
}

async function planAction(planning: Planning, req: ActionRequest): Promise<Planned> {
  const { site, wb } = planning.ctx;
  switch (req.action) {
    case 'power': {
      const h = storeHost(wb, req.host);
      return hostTask(
        planning,
        `Power ${req.op} ${h.hostname}`,
        h,
        'host.power',
        { action: req.op },
        (deployed) => deployed && CUTS_POWER.has(req.op),
      );
    }
    case 'bootdev': {
      const h = storeHost(wb, req.host);
      const params = {
        device: req.device,
        persistent: req.persistent,
        ...(req.efi !== undefined && { efi: req.efi }),
      };
      return hostTask(planning, `Boot device of ${h.hostname}: ${req.device}`, h, 'host.bootdev', params);
    }
    case 'maas': {
      const h = storeHost(wb, req.host);
      const params = { op: req.op, ...(req.comment && { comment: req.comment }) };
      return hostTask(planning, `MaaS ${req.op} ${h.hostname}`, h, 'host.maas', params);
    }
    case 'instance': {
      const l = lifecycleTask(wb, req);
      const h = storeHost(wb, l.target.hostId!);
      const title = `${req.verb} instance ${req.instance}${req.network ? ` ${req.network}` : ''} on ${h.hostname}`;
      // A stop powers a Deployed host off: typed, as a power off is.
      const planned = await hostTask(planning, title, h, l.kind, l.params, (d) => d && req.verb === 'stop');
      return { ...planned, start: { ...planned.start!, target: l.target } };
    }
    case 'fix': {
      if (req.fix === 'resume') {
        if (!req.taskId) throw new OperatorError('which task?', { hint: 'the doctor names it' });
        return resumePlan(planning, taskNamed(wb, req.taskId));
      }
      const fix = FIX_TASKS[req.fix]!;
      const h = storeHost(wb, req.host);
      return hostTask(
        planning,
        `Fix ${h.hostname}: ${req.fix}`,
        h,
        fix.kind,
        fix.params,
        (d) => d && req.fix === 'power-cycle',
      );
    }
    case 'reconcile': {
      const h = storeHost(wb, req.host);
      const i = await inspectHost({ site, wb }, req.host);
      if (!i.reconcile) throw new OperatorError(`${req.host}: no drift to reconcile`, { target: req.host });
      return hostTask(planning, `Reconcile ${h.hostname}`, h, 'host.reconcile', { ...i.reconcile });
    }
    case 'resume':
      return resumePlan(planning, taskNamed(wb, req.task));
    case 'rollback':
      return rollbackPlan(planning, taskNamed(wb, req.task));
    case 'cancel':
      return cancelPlan(planning, taskNamed(wb, req.task));
    case 'host-add': {
      const { action: _a, ...add } = req;
      return planning.finish(await addHostPlan({ site, wb }, add));
    }
  }
}

/** A deploy's plan: the host it picks (passing over those just picked) and the instance's MAC. */
async function planDeploy(
  planning: Planning,
  pickedUntil: Map<string, number>,
  req: CreateRequest,
): Promise<DeployPlan> {
  const { site, wb } = planning.ctx;
  const { store, engine, deps } = wb;
  const resolved = resolveCreate(store, req);
  if (store.instances.peekAll().some((i) => i.name === req.name))
    throw new OperatorError(`an instance named ${req.name} exists`, { hint: '`rackpilot ls`' });
  const ready = await readyInMaas(site.maas);
  // The live rows, not a copy of the whole store: a copy of every task's log per plan grew with the
  // tasks run (half the in-process bench's CPU at 500 create+destroy).
  const host = pickHost(
    { hosts: store.hosts.peekAll(), instances: store.instances.peekAll() },
    resolved.offering,
    {
      ...(req.host && { hostName: req.host }),
      readyInMaas: ready,
      holderOf: (h) => engine.holder({ hostId: h.id }),
      skip: (h) => (pickedUntil.get(h.id) ?? 0) > Date.now(),
    },
  );
  // A host this plan picked by itself is kept from the next automatic pick for a while: two
  // terminals deploying at once are shown, and then run on, two different hosts.
  if (!req.host) pickedUntil.set(host.id, Date.now() + PICK_KEPT_MS);
  const taken = new Set(store.instances.peekAll().map((i) => i.mac));
  const draft = instanceDraft(req, resolved, host.id, taken);
  const inst = { ...draft, id: 'inst-planned', createdAt: new Date().toISOString() };
  const reads = planReads(deps);
  const [steps, state] = await Promise.all([
    planWorkflowLive(withDraft(reads, 'instances', inst), 'instance.create', { instanceId: inst.id }),
    hostState(reads, engine, host),
  ]);
  const planned = planning.finish({
    title: `Deploy ${req.name} on ${host.hostname}`,
    target: host.hostname,
    state: [...state.lines, `instance ${req.name}: MAC ${inst.mac}`],
    steps: steps.map(bare),
    destroys: null,
    typed: null,
  });
  return { ...planned, host: host.hostname, mac: inst.mac, ready };
}

/** What MaaS and the BMC say of the host now: the state the confirmation states. */
async function hostState(
  deps: WorkflowDeps,
  engine: ServiceContext['wb']['engine'],
  h: Host,
): Promise<{ lines: string[]; deployed: boolean }> {
  const lines: string[] = [];
  let deployed = false;
  if (h.maasSystemId) {
    try {
      const m = await deps.maas.readMachine(h.maasSystemId);
      lines.push(`${h.hostname} is ${m.status_name} in MaaS`);
      deployed = m.status === NODE_STATUS.DEPLOYED;
    } catch (err) {
      lines.push(`${h.hostname}: MaaS not read (${describeError(err)})`);
    }
  } else lines.push(`${h.hostname} is not in MaaS`);
  try {
    lines.push(`${h.hostname} is ${await deps.bmcs.powerStatus(h)} (BMC)`);
  } catch (err) {
    lines.push(`${h.hostname}: power unknown (BMC: ${describeError(err)})`);
  }
  const holder = engine.holderOf({ hostId: h.id });
  if (holder) lines.push(`task ${holder} holds ${h.hostname}`);
  return { lines, deployed };
}

/** A task on a host: its steps planned live, what they destroy, typed when that or `typedIf`. */
async function hostTask(
  planning: Planning,
  title: string,
  h: Host,
  kind: string,
  params: Record<string, unknown>,
  typedIf: (deployed: boolean) => boolean = () => false,
): Promise<Planned> {
  const { deps, engine } = planning.ctx.wb;
  const reads = planReads(deps);
  const full = { hostId: h.id, ...params };
  const [state, planned] = await Promise.all([
    hostState(reads, engine, h),
    planWorkflowLive(reads, kind, full),
  ]);
  const destroys = planned.flatMap((s) => (s.destroys ? [s.destroys] : []));
  return planning.finish({
    title,
    target: h.hostname,
    state: state.lines,
    steps: planned.map(bare),
    destroys: destroys.length ? destroys.join('; ') : null,
    typed: destroys.length || typedIf(state.deployed) ? h.hostname : null,
    start: { kind, target: { hostId: h.id, hostname: h.hostname }, params: full },
  });
}

function taskNamed(wb: ServiceContext['wb'], id: string): Task {
  const t = wb.engine.get(id);
  if (!t) throw new OperatorError(`no task ${id}`, { hint: '`rackpilot tasks`', target: id });
  return t;
}

const taskSteps = (wb: ServiceContext['wb'], t: Task) =>
  workflowSteps(wb.deps, t.kind, t.params as Record<string, unknown>, t.target.hostId);

const taskState = (t: Task) => [
  `task ${t.id} (${t.kind}${t.target.hostname ? ` of ${t.target.hostname}` : ''}) is ${t.state}`,
  `its steps: ${stepRuns(t.steps.map((s) => s.state))}`,
];

async function resumePlan(planning: Planning, t: Task): Promise<Planned> {
  refuseUnless(t, RESUMABLE, 'resumed');
  const steps = taskSteps(planning.ctx.wb, t);
  const left = steps.flatMap((s, i) => (FINISHED_STEP.has(t.steps[i]!.state) ? [] : [{ s, i }]));
  await Promise.all(left.map(({ s }) => s.prepare?.()));
  const destroys = left.flatMap(({ s }) => (s.destroys ? [s.destroys()] : []));
  const rerun = left.map(({ s, i }) => ({
    index: i,
    step: `${i + 1} ${s.title}`,
    actions: [...s.plan(), ...(s.verify ? ['(skipped if the gear already shows it done)'] : [])],
  }));
  return planning.finish({
    title: `Resume task ${t.id} from step ${(left[0]?.i ?? steps.length) + 1}`,
    target: t.target.hostname ?? t.id,
    state: taskState(t),
    steps: rerun.map(({ step, actions }) => ({ step, actions })),
    stepPlans: rerun.map(({ index, actions }) => ({ index, actions })),
    destroys: destroys.length ? destroys.join('; ') : null,
    typed: destroys.length ? (t.target.hostname ?? t.id) : null,
  });
}

function rollbackPlan(planning: Planning, t: Task): Planned {
  refuseUnless(t, ROLLBACKABLE, 'rolled back');
  const steps = taskSteps(planning.ctx.wb, t);
  const out: (PlannedStep & { index: number })[] = [];
  const destroys: string[] = [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const rec = t.steps[i]!;
    if (!UNDOABLE_STEP.has(rec.state)) continue;
    const s = steps[i]!;
    if (!s.undo) {
      out.push({ index: i, step: `${i + 1} ${s.title}`, actions: ['no undo: left as it is'] });
      continue;
    }
    out.push({
      index: i,
      step: `undo ${i + 1} ${s.title}`,
      actions: s.undoPlan?.(rec.output) ?? ['undo reads the gear and puts back what this step changed'],
    });
    if (s.undoDestroys) destroys.push(s.undoDestroys());
  }
  const stepPlans = out.map(({ index, actions }) => ({ index, actions }));
  const shown = out.map(({ step, actions }) => ({ step, actions }));
  if (shown.length === 0)
    shown.push({ step: 'nothing to undo', actions: ['no step of this task took effect'] });
  return planning.finish({
    title: `Roll back task ${t.id}: undo its steps, last first`,
    target: t.target.hostname ?? t.id,
    state: taskState(t),
    steps: shown,
    stepPlans,
    destroys: destroys.length ? destroys.join('; ') : null,
    typed: destroys.length ? (t.target.hostname ?? t.id) : null,
  });
}

function cancelPlan(planning: Planning, t: Task): Planned {
  refuseUnless(t, CANCELLABLE, 'cancelled');
  const i = t.steps.findIndex((s) => s.state === 'running');
  const what =
    t.state === 'interrupted'
      ? ['closes it as cancelled without touching the gear: its host is free again']
      : i >= 0
        ? [
            `step ${i + 1} (${t.steps[i]!.title}) is stopped now: its call to the gear is aborted`,
            'the task ends as cancelled once that call has settled, and frees its host',
          ]
        : ['it has not started a step: it ends as cancelled at once'];
  // A running task moves on while the operator reads: its cancel holds while it is still in
  // flight (or still interrupted), whichever step it has reached.
  const stable = t.state === 'interrupted' ? 'interrupted' : 'in flight';
  return planning.finish(
    {
      title: `Cancel task ${t.id}`,
      target: t.target.hostname ?? t.id,
      state: taskState(t),
      steps: [
        {
          step: 'cancel',
          actions: [...what, 'finished steps stay as they are: roll back (u) to undo them'],
        },
      ],
      destroys: null,
      typed: null,
    },
    { title: `Cancel task ${t.id}`, target: t.id, state: [stable], steps: [], destroys: null, typed: null },
  );
}

/** Step states as runs: "1–6 done · 7 running · 8–13 pending". */
export function stepRuns(states: readonly string[]): string {
  const runs: string[] = [];
  for (let i = 0; i < states.length;) {
    let j = i;
    while (j + 1 < states.length && states[j + 1] === states[i]) j++;
    runs.push(`${i === j ? i + 1 : `${i + 1}–${j + 1}`} ${states[i]}`);
    i = j + 1;
  }
  return runs.join(' · ');
}

const bare = (s: PlannedStep) => ({ step: s.step, actions: s.actions });

function refuseUnless(t: Task, states: ReadonlySet<Task['state']>, verb: string): void {
  if (states.has(t.state)) return;
  throw new OperatorError(`task ${t.id} is ${t.state}: it cannot be ${verb}`, {
    target: t.id,
    hint: `only ${[...states].join(', ')} tasks can be ${verb}`,
  });
}

/** The task kind, target and params of start/stop/destroy/attach/detach. */
export function lifecycleTask(
  wb: ServiceContext['wb'],
  p: { verb: string; instance: string; network?: string | undefined },
): { kind: string; target: TaskTarget; params: Record<string, string> } {
  const { store } = wb;
  const inst = store.instances.find((i) => i.name === p.instance || i.id === p.instance);
  if (!inst) throw new OperatorError(`no instance ${p.instance}`, { hint: '`rackpilot ls`' });
  const host = store.hosts.get(inst.hostId);
  const target: TaskTarget = {
    hostId: inst.hostId,
    ...(host && { hostname: host.hostname }),
    instanceId: inst.id,
  };
  if (p.verb === 'attach' || p.verb === 'detach') {
    if (!p.network)
      throw new OperatorError('which network?', { hint: `rackpilot ${p.verb} INSTANCE NETWORK` });
    const net = store.networks.find((n) => n.name === p.network || n.id === p.network);
    if (!net) throw new OperatorError(`no network ${p.network}`, { hint: '`rackpilot network ls`' });
    if (p.verb === 'attach' && inst.networkIds.includes(net.id))
      throw new OperatorError(`${inst.name} is already on ${net.name}`);
    if (p.verb === 'detach' && !inst.networkIds.includes(net.id))
      throw new OperatorError(`${inst.name} is not on ${net.name}`);
    return { kind: `network.${p.verb}`, target, params: { instanceId: inst.id, networkId: net.id } };
  }
  return { kind: `instance.${p.verb}`, target, params: { instanceId: inst.id } };
}
