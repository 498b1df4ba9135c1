import { powerReadText, powerText } from './bmc-text.ts';
import { z } from 'zod';
import type { MaasClient } from '../../gear/maas/client.ts';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import { OperatorError } from '../../util/errors.ts';
import type { PortOp, WorkflowDeps } from './adapters.ts';
import { bySwitch, cabledNics, hostById, systemIdOf } from './records.ts';
import {
  bmcLabel,
  bootStep,
  powerStep,
  describeMembership,
  describeOp,
  portsStep,
  type WorkflowStep,
} from './steps.ts';
import { waitForPower } from './wait.ts';

/**
 * The doctor's and the inspection's fixes, each a short task holding the host: ToR ports back to
 * the PXE VLAN, a PXE boot (next boot PXE, then power on or cycle), a failed deployment reset to
 * Ready (mark broken, mark fixed) so the deploy can be resumed, and a reconcile of the drift an
 * inspection found (port VLANs, bond mode) with the exact plan it showed.
 */

export const hostOnlyParams = z.object({ hostId: z.string().min(1) });
export type HostOnlyParams = z.infer<typeof hostOnlyParams>;

/** host.ports-pxe: every ToR port of the host untagged on its switch's PXE VLAN, nothing tagged. */
export function hostPortsPxeSteps(
  deps: WorkflowDeps,
  params: HostOnlyParams,
): WorkflowStep<HostOnlyParams>[] {
  return [
    portsStep<HostOnlyParams>(deps, params.hostId, {
      title: 'ToR ports back to the PXE VLAN',
      ops: (nic) => [{ port: nic.port, op: 'resetPxe' }],
      expect: (nic) => ({ untagged: deps.switches.pxeVlan(nic.switch), tagged: [] }),
    }),
  ];
}

/** host.pxe-boot: next boot from PXE, then power on (off) or power cycle (on): the host PXE-boots now. */
export function hostPxeBootSteps(deps: WorkflowDeps, params: HostOnlyParams): WorkflowStep<HostOnlyParams>[] {
  const host = () => hostById(deps, params.hostId);
  return [
    bootStep<HostOnlyParams>(deps, params.hostId, {
      title: 'Boot from PXE, next boot only',
      device: 'pxe',
      persistent: false,
      undoable: false,
    }),
    {
      title: 'Power on, or power cycle a host that is on',
      // A cycle is not idempotent: never retried blindly.
      retry: { attempts: 1, backoffMs: 0 },
      async run(ctx) {
        const h = host();
        const before = await deps.bmcs.powerStatus(h, ctx.signal);
        const action = before === 'on' ? 'cycle' : 'on';
        ctx.log(`${bmcLabel(h)}: ${powerText(h, action)} (power is ${before})`, 'info', 'ipmi');
        await deps.bmcs.power(h, action, ctx.signal);
        if (!(await waitForPower(deps, h, 'on', deps.settings.powerOnTimeoutMs, ctx.signal))) {
          throw new OperatorError(`${h.hostname} does not report power on`, {
            target: h.hostname,
            hint: 'check the BMC event log; run the fix again',
          });
        }
      },
      plan: () => [
        `${bmcLabel(host())}: ${powerReadText(host())}, then ${powerText(host(), 'on')} if off, ${powerText(host(), 'cycle')} if on`,
      ],
    },
  ];
}

/** host.reset-failed: a Failed deployment (or commissioning) put back to Ready: mark broken, then mark fixed. */
export function hostResetFailedSteps(
  deps: WorkflowDeps,
  params: HostOnlyParams,
): WorkflowStep<HostOnlyParams>[] {
  const host = () => hostById(deps, params.hostId);
  const sid = () => systemIdOf(host());
  const FAILED: readonly number[] = [
    NODE_STATUS.FAILED_DEPLOYMENT,
    NODE_STATUS.FAILED_COMMISSIONING,
    NODE_STATUS.FAILED_DISK_ERASING,
  ];
  return [
    {
      title: 'Mark the failed machine broken in MaaS',
      async verify(ctx) {
        const s = (await deps.maas.readMachine(sid(), ctx.signal)).status;
        return !FAILED.includes(s);
      },
      async run(ctx) {
        const m = await deps.maas.markBroken(
          sid(),
          'rackpilot doctor: reset the failed deployment',
          ctx.signal,
        );
        ctx.log(`MaaS: ${host().hostname} is now ${m.status_name}`, 'info', 'maas');
      },
      plan: () => [
        `MaaS: POST ${deps.maas.baseUrl}machines/${host().maasSystemId ?? '<system_id>'}/ op=mark_broken`,
      ],
    },
    {
      title: 'Mark it fixed: back to Ready',
      async verify(ctx) {
        return (await deps.maas.readMachine(sid(), ctx.signal)).status !== NODE_STATUS.BROKEN;
      },
      async run(ctx) {
        const m = await deps.maas.markFixed(sid(), 'rackpilot doctor: ready to deploy again', ctx.signal);
        ctx.log(`MaaS: ${host().hostname} is now ${m.status_name}`, 'info', 'maas');
      },
      plan: () => [
        `MaaS: POST ${deps.maas.baseUrl}machines/${host().maasSystemId ?? '<system_id>'}/ op=mark_fixed`,
      ],
    },
  ];
}

export const reconcileParams = z.object({
  hostId: z.string().min(1),
  /** The ports' expected VLANs, as the inspection computed them. */
  ports: z.array(
    z.object({
      switch: z.string(),
      port: z.string(),
      untagged: z.number().int().nullable(),
      tagged: z.array(z.number().int()),
    }),
  ),
  /** The bond to set to this mode, when its mode drifted. */
  bond: z.object({ interfaceId: z.number().int(), name: z.string(), mode: z.string() }).optional(),
  /** The power its instance's state asks for, when the host's drifted. */
  power: z.enum(['on', 'off']).optional(),
  /** Boot from disk again, when a deployed host's boot device drifted. */
  boot: z.literal('disk').optional(),
});
export type ReconcileParams = z.infer<typeof reconcileParams>;

/** The port ops that take a port from `from` to the expected VLANs. */
export function reconcileOps(
  port: string,
  from: { untagged: number | null; tagged: readonly number[] },
  to: { untagged: number | null; tagged: readonly number[] },
): PortOp[] {
  const ops: PortOp[] = [];
  if (to.untagged !== null && from.untagged !== to.untagged)
    ops.push({ port, op: 'access', vlan: to.untagged });
  for (const v of from.tagged) if (!to.tagged.includes(v)) ops.push({ port, op: 'tagRemove', vlan: v });
  for (const v of to.tagged) if (!from.tagged.includes(v)) ops.push({ port, op: 'tagAdd', vlan: v });
  return ops;
}

/**
 * host.reconcile: the bond's mode in MaaS, then each ToR port to its expected VLANs (read first,
 * changed if needed), then the boot device and the power its instance's state asks for.
 */
export function hostReconcileSteps(
  deps: WorkflowDeps,
  params: ReconcileParams,
): WorkflowStep<ReconcileParams>[] {
  const host = () => hostById(deps, params.hostId);
  const steps: WorkflowStep<ReconcileParams>[] = [];
  const bond = params.bond;
  if (bond) {
    steps.push({
      title: `Bond ${bond.name} to ${bond.mode} in MaaS`,
      async verify(ctx) {
        const i = await deps.maas
          .listInterfaces(systemIdOf(host()), ctx.signal)
          .then((l) => l.find((x) => x.id === bond.interfaceId));
        return (i?.params as { bond_mode?: string } | null)?.bond_mode === bond.mode;
      },
      async run(ctx) {
        ctx.log(`${bond.name}: bond_mode=${bond.mode}`, 'info', 'maas');
        // The real client has it; the workflows' MaaS port lists only what every workflow needs.
        const maas = deps.maas as typeof deps.maas & Partial<Pick<MaasClient, 'updateInterface'>>;
        if (!maas.updateInterface) throw new Error('this MaaS client cannot update interfaces');
        await maas.updateInterface(
          systemIdOf(host()),
          bond.interfaceId,
          { bond_mode: bond.mode },
          ctx.signal,
        );
      },
      plan: () => [
        `MaaS PUT nodes/${host().maasSystemId ?? '<system_id>'}/interfaces/${bond.interfaceId}/ bond_mode=${bond.mode}`,
      ],
    });
  }
  const expected = new Map(params.ports.map((p) => [`${p.switch}|${p.port}`, p]));
  if (params.ports.length > 0) {
    steps.push({
      title: 'ToR ports to their expected VLANs',
      locks: [...new Set(params.ports.map((p) => `switch:${p.switch}`))],
      async verify(ctx) {
        for (const p of params.ports) {
          const m = await deps.switches.showPort(p.switch, p.port, ctx.signal);
          ctx.log(`switch ${p.switch} ${p.port}: ${describeMembership(m)}`, 'info', 'switch');
          if (reconcileOps(p.port, m, p).length > 0) return false;
        }
        return true;
      },
      async run(ctx) {
        const nics = cabledNics(deps, host()).filter((n) => expected.has(`${n.switch}|${n.port}`));
        const current = new Map<string, { untagged: number | null; tagged: number[] }>();
        for (const n of nics)
          current.set(`${n.switch}|${n.port}`, await deps.switches.showPort(n.switch, n.port, ctx.signal));
        for (const [sw, ops] of bySwitch(nics, (n) => {
          const key = `${n.switch}|${n.port}`;
          return reconcileOps(n.port, current.get(key)!, expected.get(key)!);
        })) {
          if (ops.length === 0) continue;
          ctx.log(`switch ${sw}: ${ops.map(describeOp).join(', ')}`, 'info', 'switch');
          const sent = await deps.switches.apply(sw, ops, ctx.signal);
          for (const line of sent?.lines ?? []) ctx.log(`switch ${sw}: ${line}`, 'info', 'switch');
        }
      },
      plan: () =>
        params.ports.map(
          (p) =>
            `switch ${p.switch} ${p.port}: read, then set to untagged ${p.untagged ?? 'none'}, tagged ${p.tagged.length ? p.tagged.join(' ') : 'none'}`,
        ),
    });
  }
  if (params.boot)
    steps.push(bootStep(deps, params.hostId, { title: 'Boot from disk', device: 'disk', undoable: true }));
  if (params.power)
    steps.push(
      powerStep(deps, params.hostId, {
        title: params.power === 'on' ? 'Power on' : 'Power off',
        want: params.power,
        undo: params.power === 'on' ? 'off' : 'on',
      }),
    );
  return steps;
}
