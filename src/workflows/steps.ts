import type { JsonValue, Step, StepContext } from '../tasks/types.ts';
import type { Host } from '../../state/schema.ts';
import type {
  BootSetting,
  CabledNic,
  PortMembership,
  PortOp,
  PowerAction,
  WorkflowDeps,
} from './adapters.ts';
import { bySwitch, cabledNics, hostById } from './records.ts';
import { OperatorError } from '../util/errors.ts';

/** A task step that can also say, without touching anything, exactly what it would do. */
export interface WorkflowStep<P = JsonValue> extends Step<P> {
  plan(): string[];
}

const IPMI_ACTION_TEXT: Record<PowerAction, string> = {
  on: 'Chassis Control 0x01 power up',
  off: 'Chassis Control 0x00 power down (hard)',
  soft: 'Chassis Control 0x05 soft shutdown (ACPI)',
  cycle: 'Chassis Control 0x02 power cycle',
  reset: 'Chassis Control 0x03 hard reset',
};

function bmcLabel(host: Host): string {
  return `IPMI ${host.ipmi.address}${host.ipmi.port ? `:${host.ipmi.port}` : ''}`;
}

/** Sets the host's ToR ports; verify reads them back from the switch, undo applies `undoOps`. */
export function portsStep<P>(
  deps: WorkflowDeps,
  hostId: string,
  o: {
    title: string;
    ops: (nic: CabledNic) => PortOp[];
    expect: (nic: CabledNic) => PortMembership;
    undoOps?: (nic: CabledNic) => PortOp[];
  },
): WorkflowStep<P> {
  const nics = () => cabledNics(deps, hostById(deps, hostId));
  const apply = async (opsFor: (nic: CabledNic) => PortOp[], ctx: StepContext<P>) => {
    for (const [sw, ops] of bySwitch(nics(), opsFor)) {
      if (ops.length === 0) continue;
      ctx.log(`switch ${sw}: ${ops.map(describeOp).join(', ')}`);
      await deps.switches.apply(sw, ops, ctx.signal);
    }
  };
  const step: WorkflowStep<P> = {
    title: o.title,
    locks: [...new Set(safeNics(nics).map((n) => `switch:${n.switch}`))],
    async verify(ctx) {
      for (const nic of nics()) {
        const actual = await deps.switches.showPort(nic.switch, nic.port, ctx.signal);
        if (!sameMembership(actual, o.expect(nic))) return false;
      }
      return true;
    },
    async run(ctx) {
      await apply(o.ops, ctx);
    },
    plan() {
      const lines: string[] = [];
      for (const [sw, ops] of bySwitch(nics(), o.ops)) {
        const cli = deps.switches.plan(sw, ops);
        if (cli.length === 0)
          lines.push(`switch ${sw}: nothing to send if the ports are on the PXE VLAN (checked live first)`);
        for (const l of cli) lines.push(`switch ${sw}: ${l}`);
      }
      return lines;
    },
  };
  if (o.undoOps) {
    const undoOps = o.undoOps;
    step.undo = async (ctx) => apply(undoOps, ctx);
  }
  return step;
}

/** The lock list is computed when the task is built; a rack file error surfaces in run() instead. */
function safeNics(nics: () => CabledNic[]): CabledNic[] {
  try {
    return nics();
  } catch {
    return [];
  }
}

export function describeOp(op: PortOp): string {
  switch (op.op) {
    case 'access':
      return `${op.port} untagged ${op.vlan}`;
    case 'tagAdd':
      return `${op.port} +tagged ${op.vlan}`;
    case 'tagRemove':
      return `${op.port} -tagged ${op.vlan}`;
    case 'resetPxe':
      return `${op.port} back to PXE VLAN`;
  }
}

export function sameMembership(a: PortMembership, b: PortMembership): boolean {
  const ta = [...a.tagged].sort((x, y) => x - y);
  const tb = [...b.tagged].sort((x, y) => x - y);
  return a.untagged === b.untagged && ta.length === tb.length && ta.every((v, i) => v === tb[i]);
}

/** Hard power on/off over IPMI; verify asks the BMC, so a resumed task never toggles twice. */
export function powerStep<P>(
  deps: WorkflowDeps,
  hostId: string,
  o: { title: string; want: 'on' | 'off'; undo?: 'on' | 'off' },
): WorkflowStep<P> {
  const host = () => hostById(deps, hostId);
  const step: WorkflowStep<P> = {
    title: o.title,
    retry: { attempts: 3, backoffMs: 2_000 },
    async verify(ctx) {
      return (await deps.bmcs.powerStatus(host(), ctx.signal)) === o.want;
    },
    async run(ctx) {
      await deps.bmcs.power(host(), o.want, ctx.signal);
    },
    plan() {
      return [`${bmcLabel(host())}: ${IPMI_ACTION_TEXT[o.want]}`];
    },
  };
  if (o.undo) {
    const undo = o.undo;
    step.undo = async (ctx) => {
      if ((await deps.bmcs.powerStatus(host(), ctx.signal)) !== undo)
        await deps.bmcs.power(host(), undo, ctx.signal);
    };
  }
  return step;
}

/** Boot device over IPMI (Set System Boot Options, parameter 5); undo restores what was there. */
export function bootStep<P>(
  deps: WorkflowDeps,
  hostId: string,
  o: { title: string; device: 'pxe' | 'disk'; undoable: boolean },
): WorkflowStep<P> {
  const host = () => hostById(deps, hostId);
  const want: BootSetting = { device: o.device, persistent: true, efi: false };
  const step: WorkflowStep<P> = {
    title: o.title,
    retry: { attempts: 3, backoffMs: 2_000 },
    async verify(ctx) {
      const b = await deps.bmcs.getBootDevice(host(), ctx.signal);
      return b.device === want.device && b.persistent;
    },
    async run(ctx) {
      const before = await deps.bmcs.getBootDevice(host(), ctx.signal);
      await deps.bmcs.setBootDevice(host(), want, ctx.signal);
      return { before: { ...before } };
    },
    plan() {
      return [
        `${bmcLabel(host())}: Set System Boot Options param 5: boot ${o.device}, persistent (Get param 5 first, for undo)`,
      ];
    },
  };
  if (o.undoable) {
    step.undo = async (ctx) => {
      const before = (ctx.output as { before?: BootSetting } | undefined)?.before;
      if (before) await deps.bmcs.setBootDevice(host(), before, ctx.signal);
    };
  }
  return step;
}

/** A step with no gear effect that records something in the local store. */
export function storeStep<P>(
  title: string,
  run: (ctx: StepContext<P>) => Promise<void>,
  plan: string,
): WorkflowStep<P> {
  return { title, run, plan: () => [plan] };
}

export function requireInstanceHost(hostId: string | undefined, instanceName: string): string {
  if (!hostId) throw new OperatorError(`instance ${instanceName} has no host`, { target: instanceName });
  return hostId;
}
