import { z } from 'zod';
import { OperatorError } from '../../util/errors.ts';
import type { Host } from '../../protocol/records.ts';
import {
  BOOT_DEVICES,
  POWER_ACTIONS,
  type BootDevice,
  type PowerAction,
  type WorkflowDeps,
} from './adapters.ts';
import { hostById } from './records.ts';
import { bmcLabel, bootStep, type WorkflowStep } from './steps.ts';
import { powerReadText, powerText } from './bmc-text.ts';
import { powerAfterSoftOff, softOffSettleText, waitForPower } from './wait.ts';

/**
 * `rackpilot ipmi HOST power …` and `bootdev …` as short tasks: the engine takes the host (a task
 * that holds it refuses them), journals the change and can roll it back. One step each.
 */

export const hostPowerParams = z.object({
  hostId: z.string().min(1),
  action: z.enum(POWER_ACTIONS),
});
export type HostPowerParams = z.infer<typeof hostPowerParams>;

export const hostBootdevParams = z.object({
  hostId: z.string().min(1),
  device: z.enum(BOOT_DEVICES),
  /** Every boot (true) or the next boot only (false, the IPMI default). */
  persistent: z.boolean().default(false),
  /** EFI boot; absent: the rack file's bootMethod, else MaaS's bios_boot_method for the machine. */
  efi: z.boolean().optional(),
});
export type HostBootdevParams = z.infer<typeof hostBootdevParams>;

const TITLE: Record<PowerAction, string> = {
  on: 'Power on',
  off: 'Power off (hard)',
  soft: 'Soft power off (ACPI)',
  cycle: 'Power cycle',
  reset: 'Hard reset',
};

/** host.power: one Chassis Control. on/off/soft verify against the BMC and can be undone; cycle/reset cannot. */
export function hostPowerSteps(deps: WorkflowDeps, params: HostPowerParams): WorkflowStep<HostPowerParams>[] {
  const host = () => hostById(deps, params.hostId);
  const action = params.action;
  const plan = () => [`${bmcLabel(host())}: ${powerText(host(), action)}`];

  if (action === 'cycle' || action === 'reset') {
    return [
      {
        title: TITLE[action],
        // Not idempotent and not verifiable afterwards: a retry after a lost reply would cycle twice.
        retry: { attempts: 1, backoffMs: 0 },
        async run(ctx) {
          const h = host();
          // Both need a running host; the BMC would only answer "not supported in present state".
          if ((await deps.bmcs.powerStatus(h, ctx.signal)) === 'off') {
            throw new OperatorError(`${h.hostname} is off: a power ${action} does nothing`, {
              target: h.hostname,
              hint: `power it on instead: \`rackpilot ipmi ${h.hostname} power on\``,
            });
          }
          ctx.log(`${bmcLabel(h)}: ${powerReadText(h)} (must be on): on`);
          ctx.log(`${bmcLabel(h)}: ${powerText(h, action)}`, 'info', 'ipmi');
          await deps.bmcs.power(h, action, ctx.signal);
        },
        plan: () => [`${bmcLabel(host())}: ${powerReadText(host())} (must be on)`, ...plan()],
        destroys: () => cutOff(host()),
      },
    ];
  }

  const want: 'on' | 'off' = action === 'on' ? 'on' : 'off';
  const waitMs = action === 'soft' ? deps.settings.stopTimeoutMs : deps.settings.powerOnTimeoutMs;
  const step: WorkflowStep<HostPowerParams> = {
    title: TITLE[action],
    // Safe to retry: verify asks the BMC first, so a lost reply never sends the command twice.
    retry: { attempts: 3, backoffMs: 2_000 },
    timeoutMs: waitMs + 60_000,
    // Already so: done, and the state before the task was this very one (undo has nothing to do).
    async verify(ctx) {
      return (await deps.bmcs.powerStatus(host(), ctx.signal)) === want
        ? { output: { before: want } }
        : false;
    },
    async run(ctx) {
      const h = host();
      const before = await deps.bmcs.powerStatus(h, ctx.signal);
      ctx.log(`${h.hostname}: power is ${before}`);
      ctx.log(`${bmcLabel(h)}: ${powerText(h, action)}`, 'info', 'ipmi');
      await deps.bmcs.power(h, action, ctx.signal);
      if (!(await waitForPower(deps, h, want, waitMs, ctx.signal))) throw notReached(h, action, waitMs);
      return { before };
    },
    // Back to the state it was in before run(). A step cut off after its command but before its
    // output was journaled has none: run() only runs when verify found the power not yet as
    // wanted, so it was the other way (nothing when verify found it already done: see verify).
    // A soft off cut off that way may still be shutting the host down: undo waits for it to settle.
    async undo(ctx) {
      const recorded = (ctx.output as { before?: 'on' | 'off' } | undefined)?.before;
      const before: 'on' | 'off' = recorded ?? (want === 'on' ? 'off' : 'on');
      const h = host();
      const now =
        action === 'soft' && recorded === undefined
          ? await powerAfterSoftOff(deps, h, ctx)
          : await deps.bmcs.powerStatus(h, ctx.signal);
      if (now === before) return;
      ctx.log(`${h.hostname}: power ${before} again (${powerText(h, before)})`, 'info', 'ipmi');
      await deps.bmcs.power(h, before, ctx.signal);
    },
    plan: () => [...plan(), `${bmcLabel(host())}: ${powerReadText(host())} until power is ${want}`],
    undoPlan: (output) => {
      const before =
        (output as { before?: 'on' | 'off' } | undefined)?.before ?? (want === 'on' ? 'off' : 'on');
      const settle = action === 'soft' && output === undefined ? softOffSettleText(deps) : '';
      return [
        `${bmcLabel(host())}: ${powerReadText(host())}${settle}`,
        `${bmcLabel(host())}: ${powerText(host(), before)} (unless already ${before})`,
      ];
    },
    ...(action === 'off' && { destroys: () => cutOff(host()) }),
  };
  return [step];
}

/** A hard power change ends whatever runs on the host, without a shutdown. */
function cutOff(h: Host): string {
  return `the OS on ${h.hostname} stops at once, without a shutdown`;
}

function notReached(h: Host, action: PowerAction, waitMs: number): OperatorError {
  const s = Math.round(waitMs / 1000);
  if (action === 'soft') {
    return new OperatorError(`${h.hostname} did not shut down within ${s} s of the ACPI request`, {
      target: h.hostname,
      hint: `the OS ignored it or is still shutting down: resume to wait again, or force it with \`rackpilot ipmi ${h.hostname} power off\``,
    });
  }
  return new OperatorError(`${h.hostname} does not report power ${action} ${s} s after the command`, {
    target: h.hostname,
    hint: 'check the BMC event log; resume to retry',
  });
}

/** host.bootdev: one Set System Boot Options; undo writes back the flags it read first. */
export function hostBootdevSteps(
  deps: WorkflowDeps,
  params: HostBootdevParams,
): WorkflowStep<HostBootdevParams>[] {
  const device: BootDevice = params.device;
  const persistent = params.persistent ?? false;
  return [
    bootStep<HostBootdevParams>(deps, params.hostId, {
      title: `Boot from ${device}, ${persistent ? 'persistent' : 'next boot only'}`,
      device,
      persistent,
      ...(params.efi !== undefined && { efi: params.efi }),
      undoable: true,
    }),
  ];
}
