import type { BootDeviceName } from '../../src/gear/ipmi/commands.ts';
import type { MaasMachine } from '../../src/gear/maas/schemas.ts';
import type { BootMethod } from '../../src/config/rack/schema.ts';
import type { StepContext } from '../../src/runner/tasks/types.ts';
import {
  DEFAULT_SETTINGS,
  type BmcPort,
  type BootReading,
  type BootSetting,
  type PowerAction,
  type WorkflowDeps,
} from '../../src/runner/workflows/adapters.ts';
import type { Host, Instance, Network, Template } from '../../src/protocol/records.ts';
import type { Store } from '../../src/runner/store/store.ts';

/**
 * Ports that touch nothing: a BMC with power and boot flags in memory (recording every command),
 * a MaaS that answers readMachine from a table, a rack file with only boot-method overrides.
 * Time is virtual: sleep() advances now() at once.
 */
export function fakeHost(over: Partial<Host> = {}): Host {
  return {
    id: 'h1',
    hostname: 'r01-n001',
    mac: '52:54:00:00:00:01',
    macs: ['52:54:00:00:00:01'],
    ipmi: { address: '10.0.0.11', port: 623, username: 'admin', password: 'pw' },
    cpuCores: 32,
    cpuMhz: 2600,
    memoryMb: 131072,
    maasSystemId: 'abc123',
    addedAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

export interface FakeBmc extends BmcPort {
  power_: 'on' | 'off';
  boot: BootReading;
  /** Every command sent, as "power on", "boot disk persistent efi", … */
  sent: string[];
  /** What power() does to the state; default: on/cycle/reset → on, off/soft → off. */
  onPower?: (action: PowerAction) => void;
}

export function fakeBmc(init: { power?: 'on' | 'off'; boot?: Partial<BootReading> } = {}): FakeBmc {
  const bmc: FakeBmc = {
    power_: init.power ?? 'off',
    boot: { device: 'none', valid: false, persistent: false, efi: false, ...init.boot },
    sent: [],
    async powerStatus() {
      return bmc.power_;
    },
    async power(_h, action) {
      bmc.sent.push(`power ${action}`);
      if (bmc.onPower) return bmc.onPower(action);
      bmc.power_ = action === 'off' || action === 'soft' ? 'off' : 'on';
    },
    async getBootDevice() {
      return { ...bmc.boot };
    },
    async setBootDevice(_h, b: BootSetting) {
      bmc.sent.push(`boot ${b.device}${b.persistent ? ' persistent' : ''}${b.efi ? ' efi' : ''}`);
      bmc.boot = {
        device: b.device as BootDeviceName,
        valid: b.device !== 'none',
        persistent: b.persistent,
        efi: b.efi,
      };
    },
  };
  return bmc;
}

export interface Fakes {
  deps: WorkflowDeps;
  bmc: FakeBmc;
  /** MaaS's machine fields by system id (status, bios_boot_method…). */
  machines: Map<string, Partial<MaasMachine>>;
  /** Rack-file bootMethod by hostname. */
  bootMethods: Map<string, BootMethod>;
  maasReads: number;
}

export function fakes(
  o: {
    hosts?: Host[];
    instances?: Instance[];
    templates?: Template[];
    networks?: Network[];
    bmc?: FakeBmc;
  } = {},
): Fakes {
  const hosts = o.hosts ?? [fakeHost()];
  const table = <T extends { id: string }>(rows: T[]) => ({
    get: (id: string) => rows.find((r) => r.id === id),
    peek: (id: string) => rows.find((r) => r.id === id),
    find: (p: (r: T) => boolean) => rows.find(p),
    list: () => rows,
  });
  const store = {
    hosts: table(hosts),
    instances: table(o.instances ?? []),
    templates: table(o.templates ?? []),
    networks: table(o.networks ?? []),
  } as unknown as Store;
  const f: Fakes = {
    bmc: o.bmc ?? fakeBmc(),
    machines: new Map(),
    bootMethods: new Map(),
    maasReads: 0,
    deps: undefined as unknown as WorkflowDeps,
  };
  let now = 0;
  f.deps = {
    maas: {
      baseUrl: 'http://maas.test/MAAS/api/2.0/',
      async readMachine(id: string) {
        f.maasReads++;
        const m = f.machines.get(id);
        if (!m) throw new Error(`no machine ${id}`);
        return { system_id: id, status_name: String(m.status), ...m } as MaasMachine;
      },
    } as unknown as WorkflowDeps['maas'],
    switches: {} as WorkflowDeps['switches'],
    bmcs: f.bmc,
    rack: {
      configured: true,
      nicsFor: () => [],
      vlanAllowed: () => true,
      bootMethod: (_macs, hostname) => (hostname ? f.bootMethods.get(hostname) : undefined),
    },
    store,
    settings: { ...DEFAULT_SETTINGS, pollMs: 1_000 },
    clock: {
      now: () => now,
      sleep: async (ms, signal) => {
        signal?.throwIfAborted();
        now += ms;
      },
    },
  };
  return f;
}

/** A step context outside the engine: logs collected, the step's output given for undo. */
export function ctx<P>(
  params: P,
  output?: unknown,
): StepContext<P> & { logs: string[]; lines: { text: string; level?: string; source?: string }[] } {
  const logs: string[] = [];
  const lines: { text: string; level?: string; source?: string }[] = [];
  return {
    taskId: 't1',
    target: {},
    params,
    signal: new AbortController().signal,
    attempt: 1,
    outputs: {},
    output: output as StepContext<P>['output'],
    log: (text, level, source) => {
      logs.push(level === 'warn' ? `warn: ${text}` : text);
      lines.push({ text, ...(level && { level }), ...(source && { source }) });
    },
    progress: () => undefined,
    skip: (reason) => {
      throw new Error(`skip: ${reason}`);
    },
    logs,
    lines,
  };
}
