import type { ActionPlan, ActionRequest } from '../protocol/messages.ts';
import type { RunnerClient } from '../client/runner-client.ts';
import { OperatorError } from '../util/errors.ts';
import { eprintln, type CommandIo } from './io.ts';

/**
 * Plans are contracts on the command line too: a command that changes gear shows the runner's plan
 * (every target, MaaS call, switch line and BMC command, the state read just before, what it
 * destroys), asks as the dashboard asks — y/N, or the host name typed for what destroys — and sends
 * the plan's digest with its start, so the runner refuses a plan that changed meanwhile. Without a
 * terminal to ask on, `--yes` (and `--confirm NAME` for what destroys) say it on the command line.
 */
export interface ConfirmFlags {
  yes?: boolean | undefined;
  confirm?: string | undefined;
}

/** The plan as the operator reads it before confirming (stderr: stdout carries the result). */
export function planLines(plan: ActionPlan): string[] {
  return [
    plan.title,
    ...plan.state.map((l) => `now: ${l}`),
    ...(plan.destroys ? [`destroys: ${plan.destroys}`] : []),
    ...plan.steps.flatMap((s, i) => [
      `${/^\d|^undo /.test(s.step) ? '' : `${i + 1}. `}${s.step}`,
      ...s.actions.map((a) => `     ${a}`),
    ]),
  ];
}

/**
 * Shows the plan and takes the operator's confirmation; resolves with the digest to send, or
 * refuses (nothing was done) naming what is missing.
 */
export async function confirmPlan(io: CommandIo, plan: ActionPlan, flags: ConfirmFlags): Promise<string> {
  for (const l of planLines(plan)) eprintln(io, l);
  const typed = plan.typed;
  const refuse = (why: string, hint: string) =>
    new OperatorError(`${plan.title}: ${why}: nothing was done`, { target: plan.target, hint });
  // Confirmed on the command line: said after the plan, so a script's log holds both.
  const confirmedBy = (flag: string) => (eprintln(io, `confirmed by ${flag}`), plan.digest);
  if (flags.confirm !== undefined) {
    if (typed !== null && flags.confirm !== typed)
      throw refuse(`--confirm ${JSON.stringify(flags.confirm)} is not ${typed}`, `pass --confirm ${typed}`);
    return confirmedBy(`--confirm ${flags.confirm}`);
  }
  if (flags.yes && typed === null) return confirmedBy('--yes');
  if (flags.yes)
    throw refuse(
      `it destroys (${plan.destroys ?? 'see the plan'}), so --yes is not enough`,
      `type the name: --confirm ${typed}`,
    );
  if (!io.ask)
    throw refuse(
      'not confirmed (no terminal to ask on)',
      typed === null
        ? 'read the plan above, then run the command again with --yes'
        : `read the plan above, then run the command again with --confirm ${typed}`,
    );
  const answer = (await io.ask(typed === null ? 'Go ahead? y/N ' : `Type ${typed} to confirm: `))?.trim();
  if (typed === null ? /^(y|yes)$/i.test(answer ?? '') : answer === typed) return plan.digest;
  throw refuse(
    typed !== null && answer ? `"${answer}" is not ${typed}` : 'not confirmed',
    'nothing changed; run the command again to see a fresh plan',
  );
}

/** The runner's plan of a change, shown and confirmed: the digest its start request carries. */
export async function confirmAction(
  io: CommandIo,
  runner: Pick<RunnerClient, 'call'>,
  req: ActionRequest,
  flags: ConfirmFlags,
): Promise<string> {
  return confirmPlan(io, await runner.call('action.plan', req), flags);
}
