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
import type { Dialog } from './Dialogs.tsx';
import { AWAITING_DECISION, CANCELLABLE } from '../src/protocol/task-states.ts';
import type { TaskState } from '../src/protocol/records.ts';
import type { FooterMessage } from './Footer.tsx';
import { KEY_ACTIONS, type ActionId } from './keys.ts';
import { heldReason, type DashboardRow } from './rows.ts';

/**
 * What the task-starting keys do: pick the hosts (the marked ones, else the selected one), refuse
 * held hosts, ask what a dialog must ask, then show the runner's plan for every target and start
 * what the operator confirmed, without waiting on it. The request shows as pending in the footer;
 * its answer (a task id or the runner's refusal) replaces it.
 */
export interface LaunchContext {
  actions: DashboardActions | undefined;
  catalog: CatalogSnapshot | undefined;
  eraseMode: EraseMode;
  /** The marked hosts, or the selected one. */
  targets: readonly DashboardRow[];
  /** The selected task in the tasks view (and the task panes). */
  task: { id: string; state: TaskState } | undefined;
  openDialog: (d: Dialog | { kind: 'deploy'; hostname: string }) => void;
  say: (m: FooterMessage) => void;
  /** Hosts with a request in flight are held until it is answered. */
  setPending: (hostname: string, what: string | null) => void;
}

/** The action's short name for messages: its command (`power-off`), else its id. */
const label = (id: ActionId) => KEY_ACTIONS.find((a) => a.id === id)?.command ?? id;

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

/** Resume, rollback and cancel act on the selected task: refused at once in a state they cannot act on. */
function taskAction(ctx: LaunchContext, id: 'resume' | 'rollback' | 'cancel'): void {
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

/** Runs a dangerous registry action. */
export function launch(id: ActionId, ctx: LaunchContext): void {
  const a = ctx.actions;
  if (!a) {
    return ctx.say({
      tone: 'error',
      text: `${label(id)}: not connected to the site runner, so nothing can be started from here`,
    });
  }
  if (id === 'resume' || id === 'rollback' || id === 'cancel') return taskAction(ctx, id);

  const hosts = ctx.targets;
  const entry = KEY_ACTIONS.find((e) => e.id === id)!;
  if (hosts.length === 0) return ctx.say({ tone: 'error', text: 'no host selected' });
  if (hosts.length > 1 && !entry.bulk) {
    return ctx.say({ tone: 'error', text: `${label(id)} takes one host at a time: esc clears the marks` });
  }
  const held = hosts.map(heldReason).filter((r) => r !== null);
  if (held.length) return ctx.say({ tone: 'error', text: `${label(id)} refused: ${held.join('; ')}` });
  const one = hosts.length === 1 ? hosts[0]! : null;
  const who = one ? one.hostname : `${hosts.length} hosts`;
  const onHosts = (what: string, req: (h: DashboardRow) => ActionRequest) =>
    confirmAndRun(
      ctx,
      what,
      hosts.map((h) => ({ name: h.hostname, req: req(h) })),
    );
  const onInstances = (verb: 'start' | 'stop' | 'destroy' | 'attach' | 'detach', network?: string) => {
    const bare = hosts.filter((h) => instanceTarget(h, ctx.catalog).instance === undefined);
    if (bare.length)
      return ctx.say({
        tone: 'error',
        text: `${verb}: no instance runs on ${bare.map((h) => h.hostname).join(', ')}`,
      });
    onHosts(`${verb}${network ? ` ${network}` : ''}`, (h) => ({
      action: 'instance',
      verb,
      instance: instanceTarget(h, ctx.catalog).instance!,
      ...(network && { network }),
    }));
  };

  switch (id) {
    case 'deploy':
      return ctx.openDialog({ kind: 'deploy', hostname: one!.hostname });
    case 'addHost': {
      const absent = hosts.filter((h) => h.status === null);
      if (absent.length === 0) return ctx.say({ tone: 'error', text: `${who}: already in MaaS` });
      return ctx.openDialog({
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
    case 'start':
    case 'stop':
    case 'destroy':
      return onInstances(id);
    case 'attach':
    case 'detach': {
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
      if (options.length === 0)
        return ctx.say({ tone: 'error', text: `${id}: no network to ${id} on ${who}` });
      return ctx.openDialog({
        kind: 'choose',
        title: `${id === 'attach' ? 'Attach a network to' : 'Detach a network from'} ${who}`,
        options,
        onPick: (net) => onInstances(id, net),
      });
    }
    case 'powerOn':
    case 'powerOff':
    case 'powerCycle': {
      const op = id === 'powerOn' ? 'on' : id === 'powerOff' ? 'off' : 'cycle';
      return onHosts(`power ${op}`, (h) => ({ action: 'power', host: h.hostname, op }));
    }
    case 'bootDevice':
      return ctx.openDialog({
        kind: 'choose',
        title: `Boot device for ${who} (persistent)`,
        options: [
          { label: 'PXE (network)', value: 'pxe' },
          { label: 'disk', value: 'disk' },
        ],
        onPick: (dev) =>
          onHosts(`boot ${dev}`, (h) => ({
            action: 'bootdev',
            host: h.hostname,
            device: dev as 'pxe' | 'disk',
            persistent: true,
          })),
      });
    case 'abort':
      return onHosts('abort', (h) => ({ action: 'maas', host: h.hostname, op: 'abort' }));
    case 'markBroken':
      return ctx.openDialog({
        kind: 'text',
        title: `Mark ${who} broken: why?`,
        placeholder: 'reason',
        onSubmit: (reason) =>
          onHosts('mark broken', (h) => ({
            action: 'maas',
            host: h.hostname,
            op: 'mark-broken',
            ...(reason.trim() && { comment: reason.trim() }),
          })),
      });
    case 'markFixed':
      return onHosts('mark fixed', (h) => ({ action: 'maas', host: h.hostname, op: 'mark-fixed' }));
    default:
      return;
  }
}

/** The deploy form's last step: the deploy as planned, with the plan's MAC and digest. */
export function submitDeploy(
  ctx: LaunchContext,
  row: DashboardRow,
  req: DeployRequest,
  plan: Pick<DeployPlan, 'digest' | 'mac'>,
): void {
  if (!ctx.actions) return;
  const a = ctx.actions;
  fire(ctx, `deploy ${req.name}`, [{ name: row.hostname, call: () => a.deploy(req, plan) }]);
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
