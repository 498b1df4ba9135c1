import { expect } from 'vitest';
import { render } from 'ink-testing-library';
import { Dashboard, type DashboardProps, type TaskSource } from '../../components/Dashboard.tsx';
import type {
  ActionPlan,
  ActionRequest,
  CatalogSnapshot,
  DashboardActions,
  DeployPlan,
  PlanStep,
  TaskRef,
} from '../../components/actions.ts';
import { Inventory } from '../../bench/support/polled-inventory.ts';
import type { Triage } from '../../src/protocol/doctor.ts';
import type { Task } from '../../src/runner/store/store.ts';
import { fakeSite } from '../../bench/support/fake-inventory.ts';
import { fakeCabling, fakeDiagnosis, fakeInspection, fakeTriage } from './trouble-fixtures.ts';

export const tick = (ms = 0) => new Promise((r) => setImmediate(() => setTimeout(r, ms)));
/** Ink holds a lone Escape ~20 ms to tell it from an escape sequence. */
// Ink sizes a frame from stdout, and for a stdout that is no TTY asks terminal-size, which spawns
// `tput` unless these are set: in this process (UI tests spawn nothing), the size of the first frame.
process.env['COLUMNS'] ??= '80';
process.env['LINES'] ??= '24';

export const ESC_WAIT = 40;
export const NOW = 1_000_000;

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  pgdn: '\u001B[6~',
  tab: '\t',
  enter: '\r',
  esc: '\u001B',
  backspace: '\u007F',
  ctrlD: '\u0004',
} as const;

export type Call = { method: keyof DashboardActions; args: unknown[] };

/**
 * A plan as the runner answers it, made from the request: its target, a state line, one step, and
 * for the changes that need it what it destroys and what must be typed (as the runner decides).
 */
export function fakePlan(req: ActionRequest): ActionPlan {
  const target =
    'task' in req ? req.task : 'host' in req ? req.host : 'hostname' in req ? req.hostname : req.instance;
  const typed =
    (req.action === 'power' && req.op !== 'on') ||
    (req.action === 'instance' && req.verb === 'destroy') ||
    req.action === 'rollback';
  const what = req.action === 'power' ? `power ${req.op}` : req.action === 'instance' ? req.verb : req.action;
  return {
    title: `${what} ${target}`,
    target,
    state: [`${target} is on (BMC)`],
    steps: [{ step: `${what} step`, actions: [`IPMI 10.0.0.1:623: ${what} of ${target}`] }],
    destroys:
      req.action === 'instance' && req.verb === 'destroy' ? `the disks of ${target}: full erase` : null,
    typed: typed ? target : null,
    digest: `d-${what}-${target}`,
  };
}

/** DashboardActions that record every call; `fail` makes a method reject, `hold` leaves it pending. */
export function fakeActions(
  opts: {
    fail?: Partial<Record<keyof DashboardActions, string>>;
    hold?: boolean;
    plan?: PlanStep[];
    /** The triage's answer, read at each call (default: three hosts, fakeTriage). */
    triage?: () => Triage;
  } = {},
) {
  const calls: Call[] = [];
  let n = 0;
  const plan: PlanStep[] = opts.plan ?? [
    { step: 'Check constraints', actions: ['GET /MAAS/api/2.0/machines/?hostname=r01-n001'] },
    {
      step: 'ToR ports to the PXE VLAN',
      actions: ['tor-r01: interface TenGigabitEthernet 1/1/1', 'switchport access vlan 10'],
    },
    { step: 'Power on', actions: ['ipmi r01-n001 chassis power on'] },
  ];
  const deployPlan = (host: string): DeployPlan => ({
    title: `Deploy on ${host}`,
    target: host,
    state: [`${host} is Ready in MaaS`],
    steps: plan,
    destroys: null,
    typed: null,
    digest: `d-deploy-${host}`,
    host,
    mac: '02:00:00:00:00:01',
  });
  const record =
    (method: keyof DashboardActions) =>
    (...args: unknown[]): Promise<never> => {
      calls.push({ method, args });
      const failure = opts.fail?.[method];
      if (failure) return Promise.reject(new Error(failure));
      if (opts.hold && method !== 'planAction') return new Promise(() => undefined);
      if (method === 'plan')
        return Promise.resolve(deployPlan((args[0] as { host: string }).host)) as Promise<never>;
      if (method === 'planAction')
        return Promise.resolve(fakePlan(args[0] as ActionRequest)) as Promise<never>;
      const name = String(args[0]);
      if (method === 'doctor') return Promise.resolve(fakeDiagnosis(NOW, name)) as Promise<never>;
      if (method === 'inspect') return Promise.resolve(fakeInspection(NOW, name)) as Promise<never>;
      if (method === 'cabling') return Promise.resolve(fakeCabling(NOW, name)) as Promise<never>;
      if (method === 'triage') return Promise.resolve(opts.triage?.() ?? fakeTriage(NOW)) as Promise<never>;
      return Promise.resolve({ taskId: `t-${++n}` } satisfies TaskRef) as Promise<never>;
    };
  const methods: (keyof DashboardActions)[] = [
    'plan',
    'deploy',
    'planAction',
    'runAction',
    'doctor',
    'inspect',
    'cabling',
    'triage',
  ];
  const actions = Object.fromEntries(methods.map((m) => [m, record(m)])) as unknown as DashboardActions;
  /** The requests started (runAction), as [request, digest]. */
  const started = () =>
    calls.filter((c) => c.method === 'runAction').map((c) => c.args as [ActionRequest, string]);
  return { actions, calls, plan, started };
}

const at = '2026-01-01T00:00:00.000Z';

export function fakeCatalog(): CatalogSnapshot {
  return {
    offerings: [
      { id: 'o1', name: 'small', cpuCores: 8, cpuMhz: 2100, memoryMb: 32768 },
      { id: 'o2', name: 'big', cpuCores: 64, cpuMhz: 2100, memoryMb: 262144 },
    ],
    templates: [
      { id: 'tp1', name: 'jammy', image: 'ubuntu/jammy', createdAt: at },
      { id: 'tp2', name: 'noble', image: 'ubuntu/noble', createdAt: at },
    ],
    networks: [
      { id: 'n1', name: 'tenant-a', vlan: 200 },
      { id: 'n2', name: 'tenant-b', vlan: 201 },
      { id: 'n3', name: 'storage', vlan: 300, description: 'ceph' },
    ],
    instances: [
      {
        id: 'i1',
        name: 'vm-web',
        hostId: 'h2',
        offeringId: 'o2',
        templateId: 'tp1',
        networkIds: ['n1', 'n2'],
        mac: '52:54:00:aa:00:01',
        state: 'running',
        createdAt: at,
      },
    ],
    hosts: [
      {
        id: 'h1',
        hostname: 'r01-n001',
        mac: '52:54:00:00:00:00',
        macs: [],
        cpuCores: 64,
        cpuMhz: 2100,
        memoryMb: 262144,
        addedAt: at,
      },
      {
        id: 'h2',
        hostname: 'r02-n001',
        mac: '52:54:01:00:01:00',
        macs: [],
        cpuCores: 64,
        cpuMhz: 2100,
        memoryMb: 262144,
        addedAt: at,
      },
    ],
  };
}

export function fakeTask(over: Partial<Task> & Pick<Task, 'id'>): Task {
  return {
    kind: 'instance.create',
    target: { hostname: 'r01-n002' },
    params: {},
    state: 'running',
    steps: Array.from({ length: 13 }, (_, i) => ({
      title: `step ${i + 1}`,
      state: i < 6 ? 'done' : i === 6 ? 'running' : 'pending',
      attempts: i <= 6 ? 1 : 0,
    })),
    log: [
      { at: '2026-01-01T00:00:05.000Z', level: 'info', text: 'tor-r01: 1/1/3 switchport access vlan 10' },
    ],
    createdAt: at,
    updatedAt: at,
    ...over,
  } as Task;
}

export function staticFeed(tasks: readonly Task[]): TaskSource {
  const snap = { tasks, refreshedAt: NOW, error: null };
  return { subscribe: () => () => undefined, getSnapshot: () => snap };
}

/** A 40-host site plus one cabled host MaaS has never seen (r01-n099). */
export async function mount(
  props: Partial<DashboardProps> = {},
  size = { columns: 80, rows: 24 },
  /** Dialogs from @inkjs/ui take their key in an effect a render later: let each key settle. */
  opts: { hosts?: number; keyWait?: number } = {},
) {
  const hosts = opts.hosts ?? 40;
  const { source, layout } = fakeSite(hosts);
  (layout.racks[0]!.nics as { mac: string; port: string; hostname?: string }[]).push({
    mac: '52:54:09:00:00:01',
    port: '1/1/99',
    hostname: 'r01-n099',
  });
  const inventory = new Inventory(source, layout, () => NOW);
  await inventory.refresh();
  const ui = render(
    <Dashboard inventory={inventory} now={NOW + 5_000} size={size} noColor={false} {...props} />,
  );
  // Both, or Ink asks terminal-size, which spawns `tput` on every frame when stdout is no TTY.
  Object.defineProperty(ui.stdout, 'columns', { value: size.columns, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { value: size.rows, configurable: true });
  ui.stdout.emit('resize');
  await tick();
  const press = async (keys: string, wait = opts.keyWait ?? 0) => {
    ui.stdin.write(keys);
    await tick(keys === KEYS.esc ? Math.max(wait, ESC_WAIT) : wait);
  };
  /** Types text one key at a time (as a person does). */
  const type = async (text: string) => {
    for (const ch of text) await press(ch);
  };
  const frame = () => ui.lastFrame()!;
  /** Waits (up to 2 s) for the screen to show something: frames are throttled, dialogs settle late. */
  const until = async (what: string | RegExp) => {
    const deadline = Date.now() + 2_000;
    const seen = () => (typeof what === 'string' ? frame().includes(what) : what.test(frame()));
    while (!seen() && Date.now() < deadline) await tick(10);
    expect(frame()).toMatch(what);
  };
  return { ui, inventory, source, press, type, frame, until };
}

/** The host table's rows: the lines under its header, above the footer. */
export function tableLines(frame: string): string[] {
  const lines = frame.split('\n');
  const head = lines.findIndex((l) => /^\s*HOST\s/.test(l));
  expect(head).toBeGreaterThanOrEqual(0);
  return lines.slice(head + 1).filter((l) => /^[ *][ ~]\S/.test(l));
}

/** The hostname on the highlighted row is not visible without colour: move to it by name instead. */
export async function selectHost(h: Awaited<ReturnType<typeof mount>>, hostname: string) {
  await h.press('/');
  await h.type(hostname);
  await h.press(KEYS.enter);
}
