import type { ActionPlan, ActionRequest, DashboardActions } from './actions.ts';
import type { Dialog } from './dialog.ts';
import type { FooterMessage } from './Footer.tsx';

/**
 * Every change the dashboard starts goes through here: the runner plans each target (the same
 * planner its task runs, with the state read just now), the plans show in one dialog, and only
 * what the operator confirmed is started, each with its plan's digest (the runner refuses when
 * the plan changed meanwhile). A refusal while planning shows, and nothing is asked.
 */
export interface PlanItem {
  /** The host (or task) the plan is for, as the footer names it. */
  name: string;
  req: ActionRequest;
}

export interface Confirmed {
  item: PlanItem;
  plan: ActionPlan;
}

export interface PlanAsker {
  actions: DashboardActions | undefined;
  openDialog: (d: Dialog) => void;
  say: (m: FooterMessage) => void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

/** What must be typed: a host name for one target, the count for several; null when y/N will do. */
export function typedConfirmation(plans: readonly ActionPlan[]): string | null {
  if (!plans.some((p) => p.typed !== null)) return null;
  return plans.length === 1 ? plans[0]!.typed : String(plans.length);
}

/** The dialog's title: the plan's own for one target; the action and every target for several. */
export function planTitle(what: string, plans: readonly ActionPlan[]): string {
  if (plans.length === 1) return plans[0]!.title;
  return `${what} ${plans.length} hosts: ${plans.map((p) => p.target).join(', ')}`;
}

export function askPlanned(
  o: PlanAsker,
  what: string,
  items: readonly PlanItem[],
  go: (confirmed: Confirmed[]) => void,
  /** Shown above the plan (e.g. what the operator must do by hand first). */
  note?: string,
): void {
  const a = o.actions;
  if (!a) return o.say({ tone: 'error', text: `${what}: not connected to the site runner` });
  const names = items.map((i) => i.name).join(', ');
  o.say({ tone: 'pending', text: `${what} ${names}: planning…` });
  void Promise.allSettled(items.map((i) => a.planAction(i.req))).then((results) => {
    const refused = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`${items[i]!.name}: ${message(r.reason)}`] : [],
    );
    if (refused.length)
      return o.say({ tone: 'error', text: `${what}: nothing done: ${refused.join(' · ')}` });
    const plans = results.map((r) => (r as PromiseFulfilledResult<ActionPlan>).value);
    o.say({ tone: 'info', text: `${what} ${names}: the plan is on screen` });
    o.openDialog({
      kind: 'plan',
      title: planTitle(what, plans),
      plans,
      ...(note && { note }),
      expect: typedConfirmation(plans),
      onOk: () => go(items.map((item, i) => ({ item, plan: plans[i]! }))),
    });
  });
}
