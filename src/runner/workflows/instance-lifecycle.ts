import { powerReadText, powerText } from './bmc-text.ts';
import { OperatorError } from '../../util/errors.ts';
import { formatSeconds } from '../../util/deadline.ts';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import type { WorkflowDeps } from './adapters.ts';
import type { InstanceParams } from './instance-create.ts';
import { MachineMemo } from './machine-memo.ts';
import {
  eraseText,
  nicsRestored,
  releasePlan,
  restoreNicsPlan,
  releaseAndWait,
  restoreNics,
} from './machine-release.ts';
import { instanceById, instanceScope, networkById, systemIdOf } from './records.ts';
import { bmcLabel, bootStep, portsStep, powerStep, storeStep, type WorkflowStep } from './steps.ts';
import { powerAfterSoftOff, softOffSettleText, waitForPower } from './wait.ts';

/** The seed's start of a stopped VM: the host is deployed and on its VLANs, so power on is all. */
export function startInstanceSteps(
  deps: WorkflowDeps,
  params: InstanceParams,
): WorkflowStep<InstanceParams>[] {
  const { inst, hostId, host } = instanceScope(deps, params.instanceId, params.hostId);
  return [
    {
      title: 'Check the instance is stopped and deployed',
      async run(ctx) {
        const i = inst();
        if (i.state !== 'stopped' && i.state !== 'running') {
          throw new OperatorError(
            `instance ${i.name} is ${i.state}; only a stopped instance can be started`,
            { target: i.name },
          );
        }
        if (i.lastHostId !== hostId) {
          throw new OperatorError(`instance ${i.name} was never started on ${host().hostname}`, {
            target: i.name,
            hint: 'destroy and create it again',
          });
        }
        const m = await deps.maas.readMachine(systemIdOf(host()), ctx.signal);
        if (m.status !== NODE_STATUS.DEPLOYED) {
          throw new OperatorError(`${host().hostname} is ${m.status_name} in MaaS, not Deployed`, {
            target: host().hostname,
            hint: 'the disk no longer holds the instance: destroy and create it again',
          });
        }
      },
      plan: () => [`MaaS GET machines/${systemIdOf(host())}/ (must be Deployed)`],
    },
    // Rolled back, the host is off again: the instance stays recorded as stopped.
    powerStep(deps, hostId, { title: 'Power on', want: 'on', undo: 'off' }),
    {
      title: 'Confirm the host is powered on',
      async run(ctx) {
        if (!(await waitForPower(deps, host(), 'on', deps.settings.powerOnTimeoutMs, ctx.signal))) {
          throw new OperatorError(`${host().hostname} did not report power on`, { target: host().hostname });
        }
      },
      plan: () => [
        host().ipmi.protocol === 'redfish'
          ? `${bmcLabel(host())}: ${powerReadText(host())} until power is on`
          : 'IPMI Get Chassis Status until power is on',
      ],
    },
    {
      ...storeStep(
        'Record the instance as running',
        async () => void (await deps.store.instances.update(params.instanceId, { state: 'running' })),
        `store: instance ${params.instanceId} state=running`,
      ),
      async undo() {
        await deps.store.instances.update(params.instanceId, { state: 'stopped' });
      },
    },
  ];
}

/** Stop: ACPI soft-off, then a hard power-off if the OS has not shut down in time. */
export function stopInstanceSteps(
  deps: WorkflowDeps,
  params: InstanceParams,
): WorkflowStep<InstanceParams>[] {
  const { host } = instanceScope(deps, params.instanceId, params.hostId);
  return [
    {
      title: 'Soft power off (ACPI), hard off after the timeout',
      async verify(ctx) {
        return (await deps.bmcs.powerStatus(host(), ctx.signal)) === 'off';
      },
      async run(ctx) {
        ctx.log(`${bmcLabel(host())}: ${powerText(host(), 'soft')}`, 'info', 'ipmi');
        await deps.bmcs.power(host(), 'soft', ctx.signal);
        if (await waitForPower(deps, host(), 'off', deps.settings.stopTimeoutMs, ctx.signal))
          return { hard: false };
        ctx.log(`no shutdown after ${formatSeconds(deps.settings.stopTimeoutMs)}: hard power off`, 'warn');
        ctx.log(`${bmcLabel(host())}: ${powerText(host(), 'off')}`, 'info', 'ipmi');
        await deps.bmcs.power(host(), 'off', ctx.signal);
        if (!(await waitForPower(deps, host(), 'off', deps.settings.powerOnTimeoutMs, ctx.signal))) {
          throw new OperatorError(`${host().hostname} still reports power on after a hard power off`, {
            target: host().hostname,
            hint: 'check the BMC; the host may need a manual power off',
          });
        }
        return { hard: true };
      },
      // Rolled back, the host runs again (the record still says running). Done, the step left it
      // off; cut off, its soft off may still be shutting the host down.
      async undo(ctx) {
        const power =
          ctx.output === undefined
            ? await powerAfterSoftOff(deps, host(), ctx)
            : await deps.bmcs.powerStatus(host(), ctx.signal);
        if (power === 'on') return;
        ctx.log(`${bmcLabel(host())}: ${powerText(host(), 'on')}`, 'info', 'ipmi');
        await deps.bmcs.power(host(), 'on', ctx.signal);
      },
      undoPlan: (output) => [
        `${bmcLabel(host())}: ${powerReadText(host())}${output === undefined ? softOffSettleText(deps) : ''}`,
        `${bmcLabel(host())}: ${powerText(host(), 'on')} (unless ${output === undefined ? 'it stays' : 'already'} on)`,
      ],
      plan: () => [
        host().ipmi.protocol === 'redfish'
          ? `${bmcLabel(host())}: ${powerText(host(), 'soft')}, then ${powerText(host(), 'off')} after ${formatSeconds(deps.settings.stopTimeoutMs)}`
          : `IPMI ${host().ipmi.address}: Chassis Control 0x05 soft shutdown, then 0x00 power down after ${formatSeconds(deps.settings.stopTimeoutMs)}`,
      ],
    },
    {
      ...storeStep(
        'Record the instance as stopped',
        async () => void (await deps.store.instances.update(params.instanceId, { state: 'stopped' })),
        `store: instance ${params.instanceId} state=stopped`,
      ),
      async undo() {
        await deps.store.instances.update(params.instanceId, { state: 'running' });
      },
    },
  ];
}

/**
 * The seed's Destroy: power off → every tenant VLAN removed (ports back to the PXE VLAN) → boot
 * from PXE → release with the configured erase → wait through Releasing/Disk erasing to Ready;
 * then the bond and MAC are put back as MaaS discovered them and the instance record goes.
 */
export function destroyInstanceSteps(
  deps: WorkflowDeps,
  params: InstanceParams,
): WorkflowStep<InstanceParams>[] {
  const { hostId, systemId } = instanceScope(deps, params.instanceId, params.hostId);
  const memo = new MachineMemo(deps.maas);
  return memo.guard([
    storeStep(
      'Mark the instance as destroying',
      async () => void (await deps.store.instances.update(params.instanceId, { state: 'destroying' })),
      `store: instance ${params.instanceId} state=destroying`,
    ),
    powerStep(deps, hostId, { title: 'Power off', want: 'off' }),
    portsStep(deps, hostId, {
      title: 'ToR ports back to the PXE VLAN',
      ops: (nic) => [{ port: nic.port, op: 'resetPxe' }],
      expect: (nic) => ({ untagged: deps.switches.pxeVlan(nic.switch), tagged: [] }),
    }),
    bootStep(deps, hostId, {
      title: 'Boot from PXE',
      device: 'pxe',
      undoable: false,
      machine: (id, signal) => memo.machine(id, signal),
    }),
    {
      title: `Release with ${deps.settings.eraseMode} disk erase and wait for Ready`,
      timeoutMs: deps.settings.releaseTimeoutMs + 60_000,
      async verify(ctx) {
        return (await memo.machine(systemId(), ctx.signal)).status === NODE_STATUS.READY;
      },
      async run(ctx) {
        await releaseAndWait(deps, hostId, ctx.signal, ctx.log, ctx.progress, memo);
      },
      plan: () => releasePlan(deps, hostId),
      ...(deps.settings.eraseMode !== 'none' && { destroys: () => eraseText(deps, hostId) }),
    },
    {
      title: "Restore the host's NICs in MaaS (remove bond, hardware MACs)",
      verify: (ctx) => nicsRestored(deps, hostId, ctx.signal, memo),
      run: (ctx) => restoreNics(deps, hostId, ctx.log, ctx.signal, memo),
      plan: () => restoreNicsPlan(systemId()),
    },
    storeStep(
      'Remove the instance record',
      async () => void (await deps.store.instances.remove(params.instanceId)),
      `store: remove instance ${params.instanceId}`,
    ),
  ]);
}

export interface NetworkParams {
  instanceId: string;
  networkId: string;
  [key: string]: string;
}

/** Attach an extra network: its VLAN tagged on every ToR port of the host. */
export function attachNetworkSteps(deps: WorkflowDeps, params: NetworkParams): WorkflowStep<NetworkParams>[] {
  return extraNetworkSteps(deps, params, 'add');
}

/** Detach an extra network: its tagged VLAN removed from every ToR port of the host. */
export function detachNetworkSteps(deps: WorkflowDeps, params: NetworkParams): WorkflowStep<NetworkParams>[] {
  return extraNetworkSteps(deps, params, 'remove');
}

function extraNetworkSteps(
  deps: WorkflowDeps,
  params: NetworkParams,
  change: 'add' | 'remove',
): WorkflowStep<NetworkParams>[] {
  const inst = () => instanceById(deps, params.instanceId);
  const vlan = () => networkById(deps, params.networkId).vlan;
  const [op, reverse] =
    change === 'add' ? (['tagAdd', 'tagRemove'] as const) : (['tagRemove', 'tagAdd'] as const);
  return [
    {
      title:
        change === 'add'
          ? 'Check the instance can take the network'
          : 'Check the network is an extra network of the instance',
      async run() {
        const i = inst();
        if (i.networkIds[0] === params.networkId) {
          throw new OperatorError(`network ${params.networkId} is the default network of ${i.name}`, {
            target: i.name,
            hint: 'the default network stays until the instance is destroyed',
          });
        }
        if (i.state !== 'running' && i.state !== 'stopped') {
          throw new OperatorError(`instance ${i.name} is ${i.state}`, {
            target: i.name,
            hint: 'wait for its task to finish',
          });
        }
      },
      plan: () => [],
    },
    portsStep(deps, inst().hostId, {
      title:
        change === 'add' ? `Tag VLAN ${vlan()} on the ToR ports` : `Untag VLAN ${vlan()} from the ToR ports`,
      ops: (nic) => [{ port: nic.port, op, vlan: vlan() }],
      expect: () => membershipWith(deps, inst().networkIds, params.networkId, change),
      undoOps: (nic) => [{ port: nic.port, op: reverse, vlan: vlan() }],
    }),
    {
      ...storeStep(
        change === 'add' ? 'Record the network on the instance' : 'Remove the network from the instance',
        async () =>
          void (await deps.store.instances.update(params.instanceId, (i) => ({
            ...i,
            networkIds:
              change === 'add'
                ? [...new Set([...i.networkIds, params.networkId])]
                : i.networkIds.filter((n) => n !== params.networkId),
          }))),
        `store: instance ${params.instanceId} ${change === 'add' ? '+' : '-'}network ${params.networkId}`,
      ),
      // The ports step's undo puts the VLAN back as it was: the record follows it (a crash may
      // have cut this step off after the record changed, before the journal said so).
      async undo() {
        await deps.store.instances.update(params.instanceId, (i) => ({
          ...i,
          networkIds:
            change === 'add'
              ? i.networkIds.filter((n) => n !== params.networkId)
              : [...new Set([...i.networkIds, params.networkId])],
        }));
      },
    },
  ];
}

function membershipWith(
  deps: WorkflowDeps,
  networkIds: readonly string[],
  networkId: string,
  change: 'add' | 'remove',
) {
  const ids =
    change === 'add' ? [...new Set([...networkIds, networkId])] : networkIds.filter((n) => n !== networkId);
  const [first, ...rest] = ids.map((id) => networkById(deps, id).vlan);
  return { untagged: first ?? null, tagged: rest };
}
