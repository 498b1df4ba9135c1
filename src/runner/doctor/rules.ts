import { type Cause, type Rule, type RuleInput } from './cause.ts';
import { consoleShows } from './rules-console.ts';
import { curtinFailed, postInstall } from './rules-installer.ts';
import { bmcLive, cannotPower, liveStop } from './rules-live.ts';
import { maasFailed, operatorWords, taskFailed } from './rules-records.ts';
import {
  eraseStalled,
  genericStop,
  neverCameBack,
  neverPxe,
  noInstaller,
  noKernel,
  rescueStuck,
} from './rules-timeline.ts';

/**
 * The causes, as rules over the timeline with the live checks as evidence. Each rule answers one
 * sentence naming the stage where things stopped, the evidence it quotes and the fixes that apply,
 * with a specificity: the most specific rule that fires wins. A timeline that is on time fires
 * none of them: the doctor never invents a cause. The rules live by what they read: the console
 * (rules-console.ts), the records (rules-records.ts), the live checks (rules-live.ts), the
 * installers (rules-installer.ts) and the timeline alone (rules-timeline.ts).
 */

export type { Cause, RuleInput } from './cause.ts';

export const RULES: readonly Rule[] = [
  consoleShows,
  operatorWords,
  cannotPower,
  bmcLive,
  curtinFailed,
  postInstall,
  liveStop,
  neverCameBack,
  neverPxe,
  noKernel,
  noInstaller,
  rescueStuck,
  eraseStalled,
  genericStop,
  maasFailed,
  taskFailed,
];

/** The most specific cause that fires, or null: nothing is wrong, or nothing can be told. */
export function findCause(x: RuleInput): Cause | null {
  let best: Cause | null = null;
  for (const rule of RULES) {
    const c = rule(x);
    if (c && (!best || c.specificity > best.specificity)) best = c;
  }
  return best;
}
