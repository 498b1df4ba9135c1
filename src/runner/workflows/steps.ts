import type { JsonValue, Step, StepContext } from '../tasks/types.ts';
import type { Host } from '../../protocol/records.ts';
import type {
  BootDevice,
  BootReading,
  BootSetting,
  CabledNic,
  PortMembership,
  PortOp,
  WorkflowDeps,
} from './adapters.ts';
import {
  BootParam,
  bootDeviceLabel,
  encodeBootFlags,
  encodeSetBootOption,
  type BootDeviceName,
} from '../../gear/ipmi/commands.ts';
import { bootMethodFor, bootMethodOverride, type BootMethodChoice, type MachineRead } from './boot-method.ts';
import { bySwitch, cabledNics, hostById, NO_RACK_FILE } from './records.ts';
import { OperatorError } from '../../util/errors.ts';
import {
  bmcLabel,
  bootReadText,
  bootSetCommand,
  bootSetText,
  describeBoot,
  powerReadText,
  powerText,
} from './bmc-text.ts';

/** A task step that can also say, without touching anything, exactly what it would do. */
/** A step's log function (ctx.log), as helpers take it. */
export type StepLog = StepContext['log'];

export interface WorkflowStep<P = JsonValue> extends Step<P> {
  plan(): string[];
  /**
   * Reads what plan() needs to be exact (e.g. MaaS's bios_boot_method), changing nothing; without
   * it plan() says what the choice depends on. A failure leaves plan() in that state.
   */
  prepare?(): Promise<void>;
  /**
   * What undo() would send, as plan() says it for run(); `output` is what run() journaled (the
   * state it read before its change). Absent on a step with an undo: the rollback plan says so.
   */
  undoPlan?(output: JsonValue | undefined): string[];
  /** What run() destroys (e.g. "the disks of r01-n006: full erase"), for the confirmation. */
  destroys?(): string;
  /** What undo() destroys. */
  undoDestroys?(): string;
}

export { bmcLabel, describeBoot, IPMI_ACTION_TEXT } from './bmc-text.ts';

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
    if (!deps.rack.configured) return ctx.log(NO_RACK_FILE, 'warn');
    for (const [sw, ops] of bySwitch(nics(), opsFor)) {
      if (ops.length === 0) continue;
      ctx.log(`switch ${sw}: ${ops.map(describeOp).join(', ')}`);
      const sent = await deps.switches.apply(sw, ops, ctx.signal);
      // Every line typed on this task's behalf, the shared session's configure, end and save too.
      for (const line of sent?.lines ?? []) ctx.log(`switch ${sw}: ${line}`, 'info', 'switch');
      if (sent?.note) ctx.log(`switch ${sw}: ${sent.note}`);
    }
  };
  const step: WorkflowStep<P> = {
    title: o.title,
    locks: [...new Set(safeNics(nics).map((n) => `switch:${n.switch}`))],
    async verify(ctx) {
      // Nothing to verify without a rack file: run() says so in the log.
      if (!deps.rack.configured) return false;
      for (const nic of nics()) {
        const actual = await deps.switches.showPort(nic.switch, nic.port, ctx.signal);
        ctx.log(`switch ${nic.switch} ${nic.port}: ${describeMembership(actual)}`, 'info', 'switch');
        if (!sameMembership(actual, o.expect(nic))) return false;
      }
      return true;
    },
    async run(ctx) {
      await apply(o.ops, ctx);
    },
    plan: () => planPorts(deps, nics(), o.ops),
  };
  if (o.undoOps) {
    const undoOps = o.undoOps;
    step.undo = async (ctx) => apply(undoOps, ctx);
    // From the membership this step set: what a rollback finds on the ports if nobody touched them.
    step.undoPlan = () => [
      '(the ports are read first: these lines go only where a port is still as this step left it)',
      ...planPorts(deps, nics(), undoOps, o.expect),
    ];
  }
  return step;
}

/** The switch lines of a port change, per switch (ports assumed as `from` says, else on the PXE VLAN). */
function planPorts(
  deps: WorkflowDeps,
  nics: CabledNic[],
  ops: (nic: CabledNic) => PortOp[],
  from?: (nic: CabledNic) => PortMembership,
): string[] {
  if (!deps.rack.configured) return [NO_RACK_FILE];
  const lines: string[] = [];
  for (const [sw, swOps] of bySwitch(nics, ops)) {
    const current = from
      ? Object.fromEntries(nics.filter((n) => n.switch === sw).map((n) => [n.port, from(n)]))
      : undefined;
    const cli = deps.switches.plan(sw, swOps, current);
    if (cli.length === 0)
      lines.push(
        `switch ${sw}: nothing to send if the ports are ${from ? 'as this step left them' : 'on the PXE VLAN'} (checked live first)`,
      );
    for (const l of cli) lines.push(`switch ${sw}: ${l}`);
  }
  return lines;
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

/** A port's VLANs as read from the switch: "untagged 10, tagged 200 201". */
export function describeMembership(m: PortMembership): string {
  const tagged = m.tagged.length ? `tagged ${m.tagged.join(' ')}` : 'no tagged VLAN';
  return `${m.untagged === null ? 'no untagged VLAN' : `untagged ${m.untagged}`}, ${tagged}`;
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
      ctx.log(`${bmcLabel(host())}: ${powerText(host(), o.want)}`, 'info', 'ipmi');
      await deps.bmcs.power(host(), o.want, ctx.signal);
    },
    plan() {
      return [`${bmcLabel(host())}: ${powerText(host(), o.want)}`];
    },
  };
  if (o.undo) {
    const undo = o.undo;
    step.undo = async (ctx) => {
      if ((await deps.bmcs.powerStatus(host(), ctx.signal)) !== undo) {
        ctx.log(`${bmcLabel(host())}: ${powerText(host(), undo)}`, 'info', 'ipmi');
        await deps.bmcs.power(host(), undo, ctx.signal);
      }
    };
    step.undoPlan = () => [
      `${bmcLabel(host())}: ${powerReadText(host())}`,
      `${bmcLabel(host())}: ${powerText(host(), undo)} (unless already ${undo})`,
    ];
  }
  return step;
}

/** The Set System Boot Options request data exactly as it goes to the BMC: "05 e0 08 00 00 00". */
export function bootOptionsBytes(boot: BootSetting): string {
  const flags = encodeBootFlags({ ...boot, valid: boot.device !== 'none' });
  return [...encodeSetBootOption(BootParam.BootFlags, flags)]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join(' ');
}

/** Whether the BMC holds exactly this override. */
export function bootMatches(b: BootReading, want: BootSetting): boolean {
  if (want.device === 'none') return !b.valid;
  return b.valid && b.device === want.device && b.persistent === want.persistent && b.efi === want.efi;
}

/** What undo can write back: the devices a BMC takes (any other reading clears the override). */
const WRITABLE = new Set<string>(['pxe', 'disk', 'bios', 'cdrom']);

/** The line a boot restore logs and its undo plan shows, word for word. */
function restoreLine(host: Host, back: BootSetting): string {
  return host.ipmi.protocol === 'redfish'
    ? `${bmcLabel(host)}: back to ${describeBoot(back)}: ${bootSetCommand(host, back, bootOptionsBytes(back))}`
    : `${bmcLabel(host)}: Set System Boot Options param 5: back to ${describeBoot(back)} [${bootOptionsBytes(back)}]`;
}

/** Puts back the boot flags read before a change. */
export async function restoreBoot(
  deps: WorkflowDeps,
  host: Host,
  before: Partial<BootReading> & { device: string },
  signal: AbortSignal,
  log: StepLog,
): Promise<void> {
  // Journals written before `valid` was recorded held a set override in every `before`.
  const valid = before.valid ?? true;
  let back: BootSetting;
  if (!valid) back = { device: 'none', persistent: false, efi: before.efi ?? false };
  else if (WRITABLE.has(before.device)) {
    back = {
      device: before.device as BootSetting['device'],
      persistent: before.persistent ?? false,
      efi: before.efi ?? false,
    };
  } else {
    log(
      `${host.hostname}: the BMC had boot device ${bootDeviceLabel(before.device as BootDeviceName)}, which cannot be written back; clearing the override instead`,
      'warn',
    );
    back = { device: 'none', persistent: false, efi: before.efi ?? false };
  }
  log(restoreLine(host, back), 'info', 'ipmi');
  await deps.bmcs.setBootDevice(host, back, signal);
}

/**
 * Boot device over IPMI (Set System Boot Options, parameter 5); undo restores what was there.
 * EFI or legacy: `efi` when given, else the rack file's bootMethod, else MaaS's bios_boot_method.
 */
export function bootStep<P>(
  deps: WorkflowDeps,
  hostId: string,
  o: {
    title: string;
    device: BootDevice;
    persistent?: boolean;
    efi?: boolean;
    undoable: boolean;
    /** Where MaaS's bios_boot_method is read: its task's memo when it has one. */
    machine?: MachineRead;
  },
): WorkflowStep<P> {
  const host = () => hostById(deps, hostId);
  const persistent = o.persistent ?? true;
  // Read once per step object: verify, run and plan of one attempt agree.
  let choice: BootMethodChoice | undefined;
  let choiceError: string | undefined;
  const given = (): BootMethodChoice | undefined =>
    o.efi !== undefined ? { efi: o.efi, why: 'as asked' } : bootMethodOverride(deps, host());
  const method = async (signal?: AbortSignal): Promise<BootMethodChoice> =>
    (choice ??= given() ?? (await bootMethodFor(deps, host(), signal, o.machine)));
  // The line the plan shows and the log holds, word for word.
  const setLine = (w: BootSetting, m: BootMethodChoice) =>
    `${bmcLabel(host())}: ${bootSetText(host(), w, bootOptionsBytes(w))} (${m.why})` +
    (o.undoable ? ` (${bootReadText(host())} first, for undo)` : '');
  const want = async (signal: AbortSignal): Promise<BootSetting> => ({
    device: o.device,
    persistent,
    efi: (await method(signal)).efi,
  });
  const step: WorkflowStep<P> = {
    title: o.title,
    retry: { attempts: 3, backoffMs: 2_000 },
    async verify(ctx) {
      return bootMatches(await deps.bmcs.getBootDevice(host(), ctx.signal), await want(ctx.signal));
    },
    async run(ctx) {
      const w = await want(ctx.signal);
      const m = await method(ctx.signal);
      ctx.log(setLine(w, m), m.assumed ? 'warn' : 'info', 'ipmi');
      const before = await deps.bmcs.getBootDevice(host(), ctx.signal);
      await deps.bmcs.setBootDevice(host(), w, ctx.signal);
      return { before: { ...before } };
    },
    async prepare() {
      try {
        await method();
      } catch (err) {
        choiceError = (err as Error).message;
      }
    },
    plan() {
      const h = host();
      const m = choice ?? safeGiven(given);
      if (m) return [setLine({ device: o.device, persistent, efi: m.efi }, m)];
      const undo = o.undoable ? ` (${bootReadText(h)} first, for undo)` : '';
      const efi: BootSetting = { device: o.device, persistent, efi: true };
      const legacy: BootSetting = { ...efi, efi: false };
      return [
        `${bmcLabel(h)}: ${bootSetText(h, efi, bootOptionsBytes(efi))} if MaaS reports bios_boot_method "uefi", ` +
          (h.ipmi.protocol === 'redfish'
            ? `else legacy: ${bootSetText(h, legacy, bootOptionsBytes(legacy))}`
            : `else legacy [${bootOptionsBytes(legacy)}]`) +
          `${choiceError ? ` (MaaS not read: ${choiceError})` : ''}${undo}`,
      ];
    },
  };
  if (o.undoable) {
    step.undo = async (ctx) => {
      const before = (ctx.output as { before?: BootReading } | undefined)?.before;
      if (before) await restoreBoot(deps, host(), before, ctx.signal, ctx.log);
    };
    step.undoPlan = (output) => {
      const before = (output as { before?: BootReading } | undefined)?.before;
      if (!before) return ['nothing: no boot flags were read before the change'];
      const back =
        before.valid === false || !WRITABLE.has(before.device)
          ? { device: 'none', persistent: false, efi: before.efi ?? false }
          : { device: before.device, persistent: before.persistent ?? false, efi: before.efi ?? false };
      return [restoreLine(host(), back as BootSetting)];
    };
  }
  return step;
}

function safeGiven(given: () => BootMethodChoice | undefined): BootMethodChoice | undefined {
  try {
    return given();
  } catch {
    return undefined;
  }
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
