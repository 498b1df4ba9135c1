import { z } from 'zod';
import type { TaskEngine } from '../tasks/engine.ts';
import type { WorkflowDeps } from './adapters.ts';
import { createInstanceSteps, type InstanceParams } from './instance-create.ts';
import {
  attachNetworkSteps,
  destroyInstanceSteps,
  detachNetworkSteps,
  startInstanceSteps,
  stopInstanceSteps,
  type NetworkParams,
} from './instance-lifecycle.ts';
import { addHostSteps, type HostParams } from './host.ts';
import {
  hostBootdevParams,
  hostBootdevSteps,
  hostPowerParams,
  hostPowerSteps,
  type HostBootdevParams,
  type HostPowerParams,
} from './host-bmc.ts';
import type { WorkflowStep } from './steps.ts';
import { hostMaasParams, hostMaasSteps, type HostMaasParams } from './host-maas.ts';
import {
  hostOnlyParams,
  hostPortsPxeSteps,
  hostPxeBootSteps,
  hostReconcileSteps,
  hostResetFailedSteps,
  reconcileParams,
  type HostOnlyParams,
  type ReconcileParams,
} from './troubleshoot.ts';

const instanceParams = z.object({ instanceId: z.string().min(1) });
const networkParams = z.object({ instanceId: z.string().min(1), networkId: z.string().min(1) });
const hostParams = z.object({ hostId: z.string().min(1) });

/** Params as journaled: strings for the instance and host workflows, booleans for bootdev. */
export type WorkflowParams = Record<string, unknown>;
type Factory = (deps: WorkflowDeps, params: WorkflowParams) => WorkflowStep<WorkflowParams>[];

/** One table entry: the params schema checks what the factory then receives. */
function workflow<P>(params: z.ZodType<P>, steps: (deps: WorkflowDeps, params: P) => WorkflowStep<P>[]) {
  return { params: params as z.ZodType, steps: steps as unknown as Factory };
}

/** Every workflow of the design, by task kind. */
export const WORKFLOWS: Record<string, { params: z.ZodType; steps: Factory }> = {
  'host.add': workflow<HostParams>(hostParams, addHostSteps),
  'instance.create': workflow<InstanceParams>(instanceParams, createInstanceSteps),
  'instance.start': workflow<InstanceParams>(instanceParams, startInstanceSteps),
  'instance.stop': workflow<InstanceParams>(instanceParams, stopInstanceSteps),
  'instance.destroy': workflow<InstanceParams>(instanceParams, destroyInstanceSteps),
  'network.attach': workflow<NetworkParams>(networkParams, attachNetworkSteps),
  'network.detach': workflow<NetworkParams>(networkParams, detachNetworkSteps),
  /** `rackpilot ipmi HOST power on|off|soft|cycle|reset`: { hostId, action }. */
  'host.power': workflow<HostPowerParams>(hostPowerParams, hostPowerSteps),
  /** `rackpilot ipmi HOST bootdev pxe|disk|bios`: { hostId, device, persistent = false, efi? }. */
  'host.bootdev': workflow<HostBootdevParams>(hostBootdevParams, hostBootdevSteps),
  'host.maas': workflow<HostMaasParams>(hostMaasParams, hostMaasSteps),
  /** The doctor's fixes: ports back to PXE, a PXE boot now, a failed deployment back to Ready. */
  'host.ports-pxe': workflow<HostOnlyParams>(hostOnlyParams, hostPortsPxeSteps),
  'host.pxe-boot': workflow<HostOnlyParams>(hostOnlyParams, hostPxeBootSteps),
  'host.reset-failed': workflow<HostOnlyParams>(hostOnlyParams, hostResetFailedSteps),
  /** The inspection's reconcile: { hostId, ports: expected VLANs, bond?: mode }. */
  'host.reconcile': workflow<ReconcileParams>(reconcileParams, hostReconcileSteps),
};

export type WorkflowKind = keyof typeof WORKFLOWS;

export function registerWorkflows(engine: TaskEngine, deps: WorkflowDeps): void {
  for (const [kind, wf] of Object.entries(WORKFLOWS)) {
    engine.define(kind, (params, info) => wf.steps(deps, withTargetHost(params, info.target.hostId)), {
      params: wf.params as z.ZodType<WorkflowParams>,
    });
  }
}

/** The task's host as a hint for its steps (see instanceScope); params stay as journaled. */
function withTargetHost(params: WorkflowParams, hostId: string | undefined): WorkflowParams {
  return hostId === undefined || params['hostId'] !== undefined ? params : { ...params, hostId };
}

export interface PlannedStep {
  step: string;
  actions: string[];
  /** What the step destroys, when it does (see WorkflowStep.destroys). */
  destroys?: string;
}

/** The step list a task of this kind runs (the engine's factory, given the task's host). */
export function workflowSteps(
  deps: WorkflowDeps,
  kind: string,
  params: WorkflowParams,
  hostId: string | undefined,
): WorkflowStep<WorkflowParams>[] {
  return planSteps(deps, kind, withTargetHost(params, hostId));
}

const planned = (s: WorkflowStep<WorkflowParams>): PlannedStep => ({
  step: s.title,
  actions: s.plan(),
  ...(s.destroys && { destroys: s.destroys() }),
});

function planSteps(deps: WorkflowDeps, kind: string, params: WorkflowParams): WorkflowStep<WorkflowParams>[] {
  const wf = WORKFLOWS[kind];
  if (!wf) throw new Error(`unknown workflow ${kind}`);
  const checked = wf.params.safeParse(params);
  if (!checked.success) {
    const why = checked.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
    throw new Error(`invalid params for ${kind}: ${why}`);
  }
  return wf.steps(deps, checked.data as WorkflowParams);
}

/**
 * `--plan`: every step's exact MaaS calls, switch CLI lines and IPMI commands, touching nothing.
 * Reads nothing either: where a command depends on what MaaS reports (EFI or legacy boot, from
 * bios_boot_method) it says so; planWorkflowLive reads it and gives the one command.
 */
export function planWorkflow(deps: WorkflowDeps, kind: string, params: WorkflowParams): PlannedStep[] {
  return planSteps(deps, kind, params).map(planned);
}

/** planWorkflow after reading what the plan depends on (MaaS GETs only): the exact commands. */
export async function planWorkflowLive(
  deps: WorkflowDeps,
  kind: string,
  params: WorkflowParams,
): Promise<PlannedStep[]> {
  const steps = planSteps(deps, kind, params);
  await Promise.all(steps.map((s) => s.prepare?.()));
  return steps.map(planned);
}
