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
import type { WorkflowStep } from './steps.ts';

const instanceParams = z.object({ instanceId: z.string().min(1) });
const networkParams = z.object({ instanceId: z.string().min(1), networkId: z.string().min(1) });
const hostParams = z.object({ hostId: z.string().min(1) });

type Factory = (deps: WorkflowDeps, params: Record<string, string>) => WorkflowStep<Record<string, string>>[];

/** One table entry: the params schema checks what the factory then receives. */
function workflow<P>(params: z.ZodType, steps: (deps: WorkflowDeps, params: P) => WorkflowStep<P>[]) {
  return { params, steps: steps as unknown as Factory };
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
};

export type WorkflowKind = keyof typeof WORKFLOWS;

export function registerWorkflows(engine: TaskEngine, deps: WorkflowDeps): void {
  for (const [kind, wf] of Object.entries(WORKFLOWS)) {
    engine.define(kind, (params, info) => wf.steps(deps, withTargetHost(params, info.target.hostId)), {
      params: wf.params as z.ZodType<Record<string, string>>,
    });
  }
}

/** The task's host as a hint for its steps (see instanceScope); params stay as journaled. */
function withTargetHost(params: Record<string, string>, hostId: string | undefined): Record<string, string> {
  return hostId === undefined || params['hostId'] !== undefined ? params : { ...params, hostId };
}

/** `--plan`: every step's exact MaaS calls, switch CLI lines and IPMI commands, touching nothing. */
export function planWorkflow(
  deps: WorkflowDeps,
  kind: string,
  params: Record<string, string>,
): { step: string; actions: string[] }[] {
  const wf = WORKFLOWS[kind];
  if (!wf) throw new Error(`unknown workflow ${kind}`);
  return wf.steps(deps, params).map((s) => ({ step: s.title, actions: s.plan() }));
}
