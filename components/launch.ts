import type {
  CatalogSnapshot,
  DashboardActions,
  DeployRequest,
  EraseMode,
  HostTarget,
  InstanceTarget,
  TaskRef,
} from './actions.ts';
import type { Dialog } from './Dialogs.tsx';
import type { FooterMessage } from './Footer.tsx';
import { KEY_ACTIONS, type ActionId } from './keys.ts';
import { heldReason, type DashboardRow } from './rows.ts';

/**
 * What the task-starting keys do: pick the hosts (the marked ones, else the selected one), refuse
 * held hosts, ask what a dialog must ask, then call DashboardActions without waiting on it. The
 * request shows as pending in the footer; its answer (a task id or the runner's refusal) replaces it.
 */
export interface LaunchContext {
  actions: DashboardActions | undefined;
  catalog: CatalogSnapshot | undefined;
  eraseMode: EraseMode;
  /** The marked hosts, or the selected one. */
  targets: readonly DashboardRow[];
  /** The selected task in the tasks view. */
  taskId: string | undefined;
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

/** Calls `call` for each host, never waiting: the footer says pending, then what came of it. */
export function fire(
  ctx: LaunchContext,
  what: string,
  hosts: readonly DashboardRow[],
  call: (r: DashboardRow) => Promise<TaskRef>,
): void {
  const names = hosts.map((h) => h.hostname);
  ctx.say({ tone: 'pending', text: `${what} ${names.join(', ')}: requested…` });
  for (const n of names) ctx.setPending(n, what);
  const calls = hosts.map((h) =>
    Promise.resolve()
      .then(() => call(h))
      .finally(() => ctx.setPending(h.hostname, null)),
  );
  void Promise.allSettled(calls).then((results) => {
    const started = results.flatMap((r, i) =>
      r.status === 'fulfilled' ? [`${names[i]} → task ${r.value.taskId}`] : [],
    );
    const refused = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${names[i]} refused: ${message(r.reason)}`] : [],
    );
    const text = `${what}: ${[...started, ...refused].join(' · ')}`;
    ctx.say({ tone: refused.length ? 'error' : 'info', text });
  });
}

function fireTask(ctx: LaunchContext, what: string, call: (id: string) => Promise<TaskRef>): void {
  const id = ctx.taskId;
  if (!id) return ctx.say({ tone: 'error', text: 'no task selected' });
  ctx.say({ tone: 'pending', text: `${what} ${id}: requested…` });
  Promise.resolve()
    .then(() => call(id))
    .then(
      (ref) => ctx.say({ tone: 'info', text: `${what} ${id}: task ${ref.taskId} accepted` }),
      (err: unknown) => ctx.say({ tone: 'error', text: `${what} ${id} refused: ${message(err)}` }),
    );
}

/** Runs a dangerous registry action; returns false when it is not one this module handles. */
export function launch(id: ActionId, ctx: LaunchContext): void {
  const a = ctx.actions;
  if (!a) {
    return ctx.say({
      tone: 'error',
      text: `${label(id)}: not connected to the site runner, so nothing can be started from here`,
    });
  }
  if (id === 'resume') return fireTask(ctx, 'resume', (t) => a.resumeTask(t));
  if (id === 'rollback' || id === 'cancel') {
    if (!ctx.taskId) return ctx.say({ tone: 'error', text: 'no task selected' });
    return ctx.openDialog({
      kind: 'confirm',
      title:
        id === 'rollback'
          ? `Roll back task ${ctx.taskId}: undo its finished steps in reverse?`
          : `Cancel task ${ctx.taskId}? Its current step finishes first.`,
      onYes: () => fireTask(ctx, id, (t) => (id === 'rollback' ? a.rollbackTask(t) : a.cancelTask(t))),
    });
  }

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
  const inst = (r: DashboardRow) => instanceTarget(r, ctx.catalog);

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
          fire(ctx, 'add host', absent, (h) => a.addHost({ ...hostTarget(h), rack: h.rack, ...hardware }));
        },
      });
    }
    case 'start':
      return fire(ctx, 'start', hosts, (h) => a.start(inst(h)));
    case 'stop':
      return ctx.openDialog({
        kind: 'confirm',
        title: `Stop the instance on ${who} (ACPI soft-off, then hard off)?`,
        onYes: () => fire(ctx, 'stop', hosts, (h) => a.stop(inst(h))),
      });
    case 'destroy':
      return ctx.openDialog({
        kind: 'type',
        title: `Destroy ${one ? `the instance on ${who}` : `the instances on ${who}`}: released from MaaS, disks erased`,
        lines: [
          ...hosts
            .slice(0, 6)
            .map((h) => `  ${h.hostname}: instance ${inst(h).instance ?? '(none in the catalog)'}`),
          `erase mode: ${ctx.eraseMode}`,
        ],
        expect: one ? one.hostname : String(hosts.length),
        onOk: () => fire(ctx, 'destroy', hosts, (h) => a.destroy(inst(h))),
      });
    case 'attach':
    case 'detach': {
      const nets = ctx.catalog?.networks ?? [];
      const onHost = new Set(
        one ? (ctx.catalog?.instances.find((i) => i.name === inst(one).instance)?.networkIds ?? []) : [],
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
        onPick: (net) =>
          fire(ctx, `${id} ${net}`, hosts, (h) =>
            id === 'attach' ? a.attachNetwork(inst(h), net) : a.detachNetwork(inst(h), net),
          ),
      });
    }
    case 'powerOn':
      return fire(ctx, 'power on', hosts, (h) => a.power(hostTarget(h), 'on'));
    case 'powerOff':
    case 'powerCycle': {
      const op = id === 'powerOff' ? 'off' : 'cycle';
      return ctx.openDialog({
        kind: 'confirm',
        title: `Power ${op} ${who} through IPMI?`,
        onYes: () => fire(ctx, `power ${op}`, hosts, (h) => a.power(hostTarget(h), op)),
      });
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
          fire(ctx, `boot ${dev}`, hosts, (h) => a.bootDevice(hostTarget(h), dev as 'pxe' | 'disk')),
      });
    case 'abort':
      return ctx.openDialog({
        kind: 'confirm',
        title: `Abort the deployment of ${who} in MaaS?`,
        onYes: () => fire(ctx, 'abort', hosts, (h) => a.abortDeployment(hostTarget(h))),
      });
    case 'markBroken':
      return ctx.openDialog({
        kind: 'text',
        title: `Mark ${who} broken: why?`,
        placeholder: 'reason',
        onSubmit: (reason) =>
          fire(ctx, 'mark broken', hosts, (h) => a.markBroken(hostTarget(h), reason.trim())),
      });
    case 'markFixed':
      return fire(ctx, 'mark fixed', hosts, (h) => a.markFixed(hostTarget(h)));
    default:
      return;
  }
}

/** The deploy form's last step. */
export function submitDeploy(ctx: LaunchContext, row: DashboardRow, req: DeployRequest): void {
  if (!ctx.actions) return;
  const a = ctx.actions;
  fire(ctx, `deploy ${req.instanceName}`, [row], () => a.deploy(req));
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
