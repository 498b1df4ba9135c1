import type {
  ActionRequest,
  CatalogSnapshot,
  DashboardActions,
  DeployPlan,
  DeployRequest,
  EraseMode,
  HostTarget,
  InstanceTarget,
  TaskRef,
} from './actions.ts';
import { askPlanned, type PlanItem } from './confirm-plan.ts';
import type { DashboardDialog } from './dialog.ts';
import { AWAITING_DECISION, CANCELLABLE } from '../src/protocol/task-states.ts';
import type { TaskState } from '../src/protocol/records.ts';
import type { FooterMessage } from './Footer.tsx';
import {
  KEY_ACTIONS,
  type ActionId,
  type HostActionId,
  type KeyHandlers,
  type TaskActionId,
} from './keys.ts';
import { heldReason, type DashboardRow } from './rows.ts';

/**
 * The handlers of the task-starting keys (the registry's host and task actions): pick the hosts
 * (the marked ones, else the selected one), refuse held hosts, ask what a dialog must ask, then
 * show the runner's plan for every target and start what the operator confirmed, without waiting
 * on it. The request shows as pending in the footer; its answer (a task id or the runner's
 * refusal) replaces it.
 */
export interface LaunchContext {
  actions: DashboardActions | undefined;
  catalog: CatalogSnapshot | undefined;
  eraseMode: EraseMode;
  /** The marked hosts, or the selected one. */
  targets: readonly DashboardRow[];
  /** The selected task in the tasks view (and the task panes). */
  task: { id: string; state: TaskState } | undefined;
  openDialog: (d: DashboardDialog) => void;
  say: (m: FooterMessage) => void;
  /** Hosts with a request in flight are held until it is answered. */
  setPending: (hostname: string, what: string | null) => void;
}

/** The action's short name for messages: its command (`power-off`), else its id. */
const label = (id: HostActionId | TaskActionId) => KEY_ACTIONS.find((a) => a.id === id)?.command ?? id;

function hostTarget(r: DashboardRow): HostTarget {
  return { hostname: r.hostname, systemId: r.systemId, macs: r.macs };
}

export function instanceTarget(r: DashboardRow, catalog: CatalogSnapshot | undefined): InstanceTarget {
  let instance = r.instance;
  if (instance === undefined && catalog) {
    const host = catalog.hosts.find((h) => h.hostname === r.hostname);
    instance = catalog.instances.find((i) => i.hostId === host?.id)?.name;
  }
  return { ...hostTarget(r), instance };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** Starts each confirmed change, never waiting: the footer says pending, then what came of it. */
export function fire(
  ctx: Pick<LaunchContext, 'say' | 'setPending'>,
  what: string,
  calls: readonly { name: string; call: () => Promise<TaskRef> }[],
): void {
  const names = calls.map((c) => c.name);
  ctx.say({ tone: 'pending', text: `${what} ${names.join(', ')}: requested…` });
  for (const n of names) ctx.setPending(n, what);
  const started = calls.map((c) =>
    Promise.resolve()
      .then(c.call)
      .finally(() => ctx.setPending(c.name, null)),
  );
  void Promise.allSettled(started).then((results) => {
    const ok = results.flatMap((r, i) =>
      r.status === 'fulfilled' ? [`${names[i]} → task ${r.value.taskId}`] : [],
    );
    const refused = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${names[i]} refused: ${message(r.reason)}`] : [],
    );
    const text = `${what}: ${[...ok, ...refused].join(' · ')}`;
    ctx.say({ tone: refused.length ? 'error' : 'info', text });
  });
}

/** Plans the change on every item, asks, then starts each as confirmed. */
function confirmAndRun(ctx: LaunchContext, what: string, items: PlanItem[]): void {
  const a = ctx.actions!;
  askPlanned(ctx, what, items, (confirmed) =>
    fire(
      ctx,
      what,
      confirmed.map(({ item, plan }) => ({
        name: item.name,
        call: () => a.runAction(item.req, plan.digest),
      })),
    ),
  );
}

const notConnected = (ctx: LaunchContext, id: HostActionId | TaskActionId) =>
  ctx.say({
    tone: 'error',
    text: `${label(id)}: not connected to the site runner, so nothing can be started from here`,
  });

/** Resume, rollback and cancel act on the selected task: refused at once in a state they cannot act on. */
export function taskActionHandlers(ctx: LaunchContext): KeyHandlers<TaskActionId> {
  const on = (id: TaskActionId) => () => (ctx.actions ? taskAction(ctx, id) : notConnected(ctx, id));
  return { resume: on('resume'), rollback: on('rollback'), cancel: on('cancel') };
}

function taskAction(ctx: LaunchContext, id: TaskActionId): void {
  const t = ctx.task;
  if (!t) return ctx.say({ tone: 'error', text: 'no task selected' });
  const allowed = id === 'cancel' ? CANCELLABLE : AWAITING_DECISION;
  if (!allowed.has(t.state)) {
    return ctx.say({
      tone: 'error',
      text: `${id}: task ${t.id} is ${t.state}; only ${[...allowed].join(', ')} tasks can be ${TASK_VERB[id]}`,
    });
  }
  confirmAndRun(ctx, id, [{ name: t.id, req: { action: id, task: t.id } }]);
}

const TASK_VERB = { resume: 'resumed', rollback: 'rolled back', cancel: 'cancelled' } as const;

/** The task actions the selected task does not take: not offered in the footer, refused at once. */
export function untakenTaskActions(state: TaskState | undefined): Set<ActionId> {
  const out = new Set<ActionId>();
  if (state === undefined || !AWAITING_DECISION.has(state)) out.add('resume').add('rollback');
  if (state === undefined || !CANCELLABLE.has(state)) out.add('cancel');
  return out;
}

/** The hosts a host action applies to, once every check has passed. */
interface Targets {
  hosts: readonly DashboardRow[];
  /** The host, when there is just one. */
  one: DashboardRow | null;
  /** How messages name them: the host, or "3 hosts". */
  who: string;
  actions: DashboardActions;
}

/** Each host action, given its targets. */
const HOST_ACTIONS: { readonly [K in HostActionId]: (ctx: LaunchContext, t: Targets) => void } = {
  addHost,
  deploy: (ctx, t) => ctx.openDialog({ kind: 'deploy', hostname: t.one!.hostname }),
  start: (ctx, t) => onInstances(ctx, t, 'start'),
  stop: (ctx, t) => onInstances(ctx, t, 'stop'),
  destroy: (ctx, t) => onInstances(ctx, t, 'destroy'),
  attach: (ctx, t) => pickNetwork(ctx, t, 'attach'),
  detach: (ctx, t) => pickNetwork(ctx, t, 'detach'),
  powerOn: (ctx, t) => onHosts(ctx, t, 'power on', (h) => ({ action: 'power', host: h.hostname, op: 'on' })),
  powerOff: (ctx, t) =>
    onHosts(ctx, t, 'power off', (h) => ({ action: 'power', host: h.hostname, op: 'off' })),
  powerCycle: (ctx, t) =>
    onHosts(ctx, t, 'power cycle', (h) => ({ action: 'power', host: h.hostname, op: 'cycle' })),
  bootDevice,
  abort: (ctx, t) => onHosts(ctx, t, 'abort', (h) => ({ action: 'maas', host: h.hostname, op: 'abort' })),
  markBroken,
  markFixed: (ctx, t) =>
    onHosts(ctx, t, 'mark fixed', (h) => ({ action: 'maas', host: h.hostname, op: 'mark-fixed' })),
};

/** The host actions' keys: the checks every one makes first, then the action. */
export function hostActionHandlers(ctx: LaunchContext): KeyHandlers<HostActionId> {
  const handlers = {} as Record<HostActionId, () => void>;
  for (const id of Object.keys(HOST_ACTIONS) as HostActionId[])
    handlers[id] = () => {
      const t = targets(ctx, id);
      if (t) HOST_ACTIONS[id](ctx, t);
    };
  return handlers;
}

/** Connected, a host at hand, one unless the action takes several, none held: else why not. */
function targets(ctx: LaunchContext, id: HostActionId): Targets | null {
  const a = ctx.actions;
  if (!a) return (notConnected(ctx, id), null);
  const hosts = ctx.targets;
  const entry = KEY_ACTIONS.find((e) => e.id === id)!;
  const refuse = (text: string) => (ctx.say({ tone: 'error', text }), null);
  if (hosts.length === 0) return refuse('no host selected');
  if (hosts.length > 1 && !entry.bulk)
    return refuse(`${label(id)} takes one host at a time: esc clears the marks`);
  const held = hosts.map(heldReason).filter((r) => r !== null);
  if (held.length) return refuse(`${label(id)} refused: ${held.join('; ')}`);
  const one = hosts.length === 1 ? hosts[0]! : null;
  return { hosts, one, who: one ? one.hostname : `${hosts.length} hosts`, actions: a };
}

function onHosts(ctx: LaunchContext, t: Targets, what: string, req: (h: DashboardRow) => ActionRequest) {
  confirmAndRun(
    ctx,
    what,
    t.hosts.map((h) => ({ name: h.hostname, req: req(h) })),
  );
}

function onInstances(
  ctx: LaunchContext,
  t: Targets,
  verb: 'start' | 'stop' | 'destroy' | 'attach' | 'detach',
  network?: string,
) {
  const bare = t.hosts.filter((h) => instanceTarget(h, ctx.catalog).instance === undefined);
  if (bare.length)
    return ctx.say({
      tone: 'error',
      text: `${verb}: no instance runs on ${bare.map((h) => h.hostname).join(', ')}`,
    });
  onHosts(ctx, t, `${verb}${network ? ` ${network}` : ''}`, (h) => ({
    action: 'instance',
    verb,
    instance: instanceTarget(h, ctx.catalog).instance!,
    ...(network && { network }),
  }));
}

function addHost(ctx: LaunchContext, { hosts, who }: Targets) {
  const absent = hosts.filter((h) => h.status === null);
  if (absent.length === 0) return ctx.say({ tone: 'error', text: `${who}: already in MaaS` });
  ctx.openDialog({
    kind: 'text',
    title: `Add ${absent.map((h) => h.hostname).join(', ')} to MaaS: its hardware as CORES MHZ MEMORY_MB (MaaS does not know it yet)`,
    lines: ['for example 64 2100 262144: 64 cores at 2100 MHz, 256 GiB of memory'],
    onSubmit: (value) => {
      const hardware = parseHardware(value);
      if (typeof hardware === 'string') return hardware;
      // Planned and confirmed like every change: the runner's steps, MaaS's answer on its MACs.
      confirmAndRun(
        ctx,
        'add host',
        absent.map((h) => ({ name: h.hostname, req: addHostRequest(h, hardware) })),
      );
    },
  });
}

/** Attach offers the networks the host's instance lacks; detach the ones it has. */
function pickNetwork(ctx: LaunchContext, t: Targets, id: 'attach' | 'detach') {
  const { one, who } = t;
  const nets = ctx.catalog?.networks ?? [];
  const onHost = new Set(
    one
      ? (ctx.catalog?.instances.find((i) => i.name === instanceTarget(one, ctx.catalog).instance)
          ?.networkIds ?? [])
      : [],
  );
  const options = nets
    .filter((n) => !one || (id === 'attach' ? !onHost.has(n.id) : onHost.has(n.id)))
    .map((n) => ({ label: `${n.name}  VLAN ${n.vlan}`, value: n.name }));
  if (options.length === 0) return ctx.say({ tone: 'error', text: `${id}: no network to ${id} on ${who}` });
  ctx.openDialog({
    kind: 'choose',
    title: `${id === 'attach' ? 'Attach a network to' : 'Detach a network from'} ${who}`,
    options,
    onPick: (net) => onInstances(ctx, t, id, net),
  });
}

function bootDevice(ctx: LaunchContext, t: Targets) {
  ctx.openDialog({
    kind: 'choose',
    title: `Boot device for ${t.who} (persistent)`,
    options: [
      { label: 'PXE (network)', value: 'pxe' },
      { label: 'disk', value: 'disk' },
    ],
    onPick: (dev) =>
      onHosts(ctx, t, `boot ${dev}`, (h) => ({
        action: 'bootdev',
        host: h.hostname,
        device: dev as 'pxe' | 'disk',
        persistent: true,
      })),
  });
}

function markBroken(ctx: LaunchContext, t: Targets) {
  ctx.openDialog({
    kind: 'text',
    title: `Mark ${t.who} broken: why?`,
    placeholder: 'reason',
    onSubmit: (reason) =>
      onHosts(ctx, t, 'mark broken', (h) => ({
        action: 'maas',
        host: h.hostname,
        op: 'mark-broken',
        ...(reason.trim() && { comment: reason.trim() }),
      })),
  });
}

/** The deploy form's last step: the deploy as planned, with the plan's MAC and digest. */
export function submitDeploy(
  ctx: Pick<LaunchContext, 'actions' | 'say' | 'setPending'>,
  hostname: string,
  req: DeployRequest,
  plan: Pick<DeployPlan, 'digest' | 'mac'>,
): void {
  if (!ctx.actions) return;
  const a = ctx.actions;
  fire(ctx, `deploy ${req.name}`, [{ name: hostname, call: () => a.deploy(req, plan) }]);
}

/** A row Not in MaaS as the runner's add-host request: its first MAC, its rack, the hardware typed. */
function addHostRequest(
  r: DashboardRow,
  hw: { cpuCores: number; cpuMhz: number; memoryMb: number },
): ActionRequest {
  return {
    action: 'host-add',
    hostname: r.hostname,
    ...(r.macs[0] && { mac: r.macs[0] }),
    cores: hw.cpuCores,
    mhz: hw.cpuMhz,
    memory: hw.memoryMb,
    ...(r.rack && { rack: r.rack }),
  };
}

/** CORES MHZ MEMORY_MB as typed in the add-host form, or why it is not that. */
export function parseHardware(
  value: string,
): { cpuCores: number; cpuMhz: number; memoryMb: number } | string {
  const text = value.trim();
  if (!text) return 'type the cores, MHz and memory in MB, e.g. 64 2100 262144';
  const nums = text.split(/[\s,]+/).map(Number);
  if (nums.length !== 3 || nums.some((n) => !Number.isInteger(n) || n <= 0))
    return `"${text}" is not CORES MHZ MEMORY_MB (three whole numbers, e.g. 64 2100 262144)`;
  const [cpuCores, cpuMhz, memoryMb] = nums as [number, number, number];
  return { cpuCores, cpuMhz, memoryMb };
}
