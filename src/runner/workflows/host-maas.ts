import { z } from 'zod';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import type { WorkflowDeps } from './adapters.ts';
import { hostById, systemIdOf } from './records.ts';
import type { WorkflowStep } from './steps.ts';

/**
 * MaaS actions an operator takes on one host from the dashboard: abort what MaaS is doing
 * (a deployment, commissioning, erasing), mark it broken, mark it fixed. Each is one step that
 * holds the host, with a verify against MaaS's status so a retry after a lost reply is harmless.
 */
export const HOST_MAAS_OPS = ['abort', 'mark-broken', 'mark-fixed'] as const;
export type HostMaasOp = (typeof HOST_MAAS_OPS)[number];

export const hostMaasParams = z.object({
  hostId: z.string().min(1),
  op: z.enum(HOST_MAAS_OPS),
  comment: z.string().max(200).optional(),
});
export type HostMaasParams = z.infer<typeof hostMaasParams>;

/** The statuses in which MaaS is busy on a machine and `abort` has something to stop. */
const ABORTABLE: ReadonlySet<number> = new Set([
  NODE_STATUS.COMMISSIONING,
  NODE_STATUS.DEPLOYING,
  NODE_STATUS.DISK_ERASING,
]);

const TITLE: Record<HostMaasOp, string> = {
  abort: 'Abort what MaaS is doing on the machine',
  'mark-broken': 'Mark the machine broken in MaaS',
  'mark-fixed': 'Mark the machine fixed in MaaS',
};

export function hostMaasSteps(deps: WorkflowDeps, params: HostMaasParams): WorkflowStep<HostMaasParams>[] {
  const host = () => hostById(deps, params.hostId);
  const op = params.op;
  const comment = params.comment ?? `rackpilot: ${op} by the operator`;
  const done = (status: number): boolean =>
    op === 'abort'
      ? !ABORTABLE.has(status)
      : op === 'mark-broken'
        ? status === NODE_STATUS.BROKEN
        : status !== NODE_STATUS.BROKEN;
  return [
    {
      title: TITLE[op],
      plan: () => [
        `MaaS: POST ${deps.maas.baseUrl}machines/${host().maasSystemId ?? '<system_id>'}/ op=${op.replace('-', '_')}`,
      ],
      async verify(ctx) {
        return done((await deps.maas.readMachine(systemIdOf(host()), ctx.signal)).status);
      },
      async run(ctx) {
        const sid = systemIdOf(host());
        const m =
          op === 'abort'
            ? await deps.maas.abort(sid, comment, ctx.signal)
            : op === 'mark-broken'
              ? await deps.maas.markBroken(sid, comment, ctx.signal)
              : await deps.maas.markFixed(sid, comment, ctx.signal);
        ctx.log(`MaaS: ${host().hostname} is now ${m.status_name}`, 'info', 'maas');
      },
    },
  ];
}
