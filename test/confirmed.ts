import type { ActionPlan, ActionRequest } from '../src/protocol/messages.ts';
import type { CreateRequest } from '../src/protocol/messages.ts';

/**
 * Changes as the CLI and the dashboard make them: planned first, then started with the digest of
 * the plan shown (the runner refuses a change request without one). `call` is a runner client's
 * call or the runner's handlers with a caller.
 */
export type Call = (method: string, params: Record<string, unknown>) => Promise<unknown>;

/** The digest of the runner's plan of a change, as an operator confirming it sends it. */
export async function planDigest(call: Call, req: ActionRequest): Promise<string> {
  return ((await call('action.plan', req)) as ActionPlan).digest;
}

/** A deploy as planned and confirmed: the host and MAC of the plan go back with its digest. */
export async function deployConfirmed(
  call: Call,
  req: CreateRequest,
): Promise<{ taskId: string; instance: string; host: string; mac: string }> {
  const planned = (await call('instance.plan', req)) as ActionPlan & { host: string; mac: string };
  return (await call('instance.create', {
    ...req,
    host: planned.host,
    mac: planned.mac,
    plan: planned.digest,
  })) as { taskId: string; instance: string; host: string; mac: string };
}

/** A runner client's call as a `Call`. */
export function clientCall(client: { call: (m: never, p: never) => Promise<unknown> }): Call {
  return (m, p) => client.call(m as never, p as never);
}

/** `host add` as confirmed: the add planned, then sent with its plan's digest. */
export async function addHostConfirmed(
  call: Call,
  req: { hostname: string; cores: number; mhz: number; memory: number } & Record<string, unknown>,
): Promise<{ hostId: string; taskId?: string }> {
  const confirmed = await planDigest(call, { action: 'host-add', ...req } as ActionRequest);
  return (await call('host.add', { ...req, confirmed })) as { hostId: string; taskId?: string };
}
