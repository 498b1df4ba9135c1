import type { Plan } from '../protocol/messages.ts';
import { eprintln, printJson, println, type CommandIo } from './io.ts';

/** `--plan`: each step with the exact MaaS calls, switch lines and IPMI commands it would send. */
export function printPlan(io: CommandIo, plan: Plan, json: boolean | undefined): number {
  if (json) {
    printJson(io, plan);
    return 0;
  }
  plan.forEach((s, i) => {
    println(io, `${i + 1}. ${s.step}`);
    for (const a of s.actions) println(io, `     ${a}`);
  });
  eprintln(io, '(plan only: nothing was changed)');
  return 0;
}
