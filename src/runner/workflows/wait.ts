import { OperatorError } from '../../util/errors.ts';
import { formatSeconds } from '../../util/deadline.ts';
import { NODE_STATUS_NAME, type NodeStatusCode } from '../../gear/maas/node-status.ts';
import type { MaasMachine } from '../../gear/maas/schemas.ts';
import type { WorkflowDeps } from './adapters.ts';
import type { StepContext } from '../tasks/types.ts';

export interface WaitForStatusOptions {
  systemId: string;
  hostname: string;
  /** Done when the machine reaches one of these. */
  want: readonly NodeStatusCode[];
  /** Still on the way: keep polling. Anything else (or a failed state) ends the wait with an error. */
  via: readonly NodeStatusCode[];
  timeoutMs: number;
  what: string;
  signal: AbortSignal;
  /** The step's ctx.log: MaaS events are logged with source 'maas'. */
  log: StepContext['log'];
  /** The step's ctx.progress: MaaS's status, status message and latest event after each poll. */
  progress?: StepContext['progress'];
  /** This stage's typical duration at this site, when a history knows it (the bar then moves with time). */
  estimateMs?: number;
  /** The MaaS operation waited on, whose typical duration the site's stage history may know. */
  operation?: 'deploy' | 'commission' | 'erase' | 'release';
}

/**
 * Polls MaaS until the machine reaches a wanted status, streaming its events (`after=` the last
 * id seen) into the task log so the operator watches curtin, reboots and status changes live.
 */
export async function waitForStatus(deps: WorkflowDeps, given: WaitForStatusOptions): Promise<MaasMachine> {
  const started = deps.clock.now();
  const o = withEstimate(deps, given);
  let polls = 0;
  let lastEvent: number | undefined;
  let latest: string | undefined;
  // Only events from now on: the journal already holds what earlier attempts saw.
  try {
    const page = await deps.maas.queryEvents({ id: o.systemId, limit: 1 }, o.signal);
    lastEvent = page.events[0]?.id;
  } catch {
    lastEvent = undefined;
  }
  for (;;) {
    o.signal.throwIfAborted();
    const m = await deps.maas.readMachine(o.systemId, o.signal);
    try {
      const page = await deps.maas.queryEvents(
        { id: o.systemId, level: 'INFO', limit: 100, after: lastEvent },
        o.signal,
      );
      for (const e of [...page.events].sort((a, b) => a.id - b.id)) {
        lastEvent = Math.max(lastEvent ?? 0, e.id);
        latest = `${e.type}${e.description ? ` - ${e.description}` : ''}`;
        o.log(`MaaS: ${latest}`, 'info', 'maas');
      }
    } catch {
      // Events are a courtesy; the status decides (an abort is seen at the top of the loop).
    }
    reportProgress(o, m, latest, deps.clock.now() - started);
    if (o.want.includes(m.status)) return m;
    if (!o.via.includes(m.status)) {
      throw new OperatorError(
        `${o.hostname}: MaaS reports ${m.status_name} while ${o.what}` +
          (m.status_message ? ` (${m.status_message})` : ''),
        {
          target: o.hostname,
          hint: hintFor(m.status),
        },
      );
    }
    if (deps.clock.now() - started > o.timeoutMs) {
      throw new OperatorError(
        `${o.hostname}: still ${m.status_name} after ${formatDuration(o.timeoutMs)} while ${o.what}`,
        {
          target: o.hostname,
          hint:
            'check the host console and that its ToR ports are on the PXE VLAN; ' +
            'resume the task to keep waiting, or roll it back',
        },
      );
    }
    await deps.clock.sleep(pollDelay(deps.settings.pollMs, polls++), o.signal);
  }
}

/**
 * The wait with the site's typical duration of its operation as its estimate, when the stage
 * history knows it; the task log says where the figure comes from (the bar follows it).
 */
function withEstimate(deps: WorkflowDeps, o: WaitForStatusOptions): WaitForStatusOptions {
  if (o.estimateMs !== undefined || !o.operation) return o;
  const e = deps.estimate?.(o.operation);
  if (!e || e.seconds <= 0) return o;
  o.log(`estimate: ~${minutes(e.seconds)} for the ${o.operation}, ${e.from}`);
  return { ...o, estimateMs: e.seconds * 1000 };
}

/**
 * MaaS's own word on the phase, for the running step's line: its status, status message and the
 * latest event. The step's fraction moves only against an estimate; without one it stays put and
 * the operator reads the elapsed time and MaaS's progress instead of an invented percentage.
 */
function reportProgress(
  o: WaitForStatusOptions,
  m: MaasMachine,
  latest: string | undefined,
  elapsed: number,
) {
  if (!o.progress) return;
  const fraction = o.estimateMs ? Math.min(0.95, elapsed / o.estimateMs) : 0;
  o.progress(fraction, undefined, {
    maas: {
      status: m.status_name,
      ...(m.status_message ? { message: m.status_message } : {}),
      ...(latest !== undefined && { event: latest }),
    },
    ...(o.estimateMs !== undefined && { estimateMs: o.estimateMs }),
  });
}

/**
 * The n-th wait between polls: short at first, doubling up to `pollMs`. A state change that lands
 * right after the request (the common case for power and for a fast lab) is seen at once, while a
 * long deploy or erase still costs MaaS one request per `pollMs`.
 */
export function pollDelay(pollMs: number, n: number): number {
  return Math.min(pollMs, 100 * 2 ** Math.min(n, 16));
}

function hintFor(status: NodeStatusCode): string {
  switch (status) {
    case 11:
      return 'read the MaaS events for the host (curtin and cloud-init output); roll back to release the machine, or fix and resume';
    case 13:
    case 15:
      return 'the release or disk erase failed: check the host console, then mark the machine fixed in MaaS and resume';
    case 2:
      return 'commissioning failed: check the BMC credentials and that the host PXE boots from MaaS';
    default:
      return `MaaS status ${NODE_STATUS_NAME[status]} was not expected here; check the machine in MaaS`;
  }
}

/** Polls the BMC until the host reports the wanted power state. */
export async function waitForPower(
  deps: WorkflowDeps,
  host: Parameters<WorkflowDeps['bmcs']['powerStatus']>[0],
  want: 'on' | 'off',
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const started = deps.clock.now();
  for (let polls = 0; ; polls++) {
    if ((await deps.bmcs.powerStatus(host, signal)) === want) return true;
    if (deps.clock.now() - started > timeoutMs) return false;
    await deps.clock.sleep(pollDelay(Math.min(deps.settings.pollMs, 2_000), polls), signal);
  }
}

/**
 * The power a host settles at after a soft power off that may have been sent: its step was cut off
 * (a killed runner, a cancel) before it journaled an outcome. An OS that got the ACPI request goes
 * on shutting down after the runner is gone, so a host read as on is only sure to stay on once the
 * stop timeout the step itself allows has passed; an undo that read it once would leave it to go
 * off after a rollback said it ran again.
 */
export async function powerAfterSoftOff(
  deps: WorkflowDeps,
  host: Parameters<WorkflowDeps['bmcs']['powerStatus']>[0],
  ctx: Pick<StepContext, 'log' | 'signal'>,
): Promise<'on' | 'off'> {
  if ((await deps.bmcs.powerStatus(host, ctx.signal)) === 'off') return 'off';
  ctx.log(
    `${host.hostname} is on; a soft power off sent before the interruption may still be shutting it ` +
      `down: waiting up to ${formatSeconds(deps.settings.stopTimeoutMs)} for it to go off`,
  );
  const off = await waitForPower(deps, host, 'off', deps.settings.stopTimeoutMs, ctx.signal);
  return off ? 'off' : 'on';
}

/** How an undo plan says the wait of `powerAfterSoftOff`, after its power read. */
export function softOffSettleText(deps: WorkflowDeps): string {
  return (
    ` until power is off, at most ${formatSeconds(deps.settings.stopTimeoutMs)} ` +
    '(a soft power off sent before the interruption may still be shutting the host down)'
  );
}

/** "6m05s", "45s": an estimate as the running step's line shows times. */
function minutes(seconds: number): string {
  const s = Math.round(seconds);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** "40 min", "90 s", "300 ms": a timeout as the operator set it, never rounded to "0 min". */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1_000) return `${Math.round(ms / 1_000)} s`;
  return `${ms} ms`;
}
