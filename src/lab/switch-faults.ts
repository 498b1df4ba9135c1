import { seededRandom } from './spec.ts';
import type { CliFaultHooks } from './switch-emulator.ts';

interface Rule {
  kind: 'drop' | 'error' | 'slow';
  switch?: string;
  match?: RegExp;
  /** Remaining hits; undefined = every time. */
  times?: number;
  message?: string;
  delayMs?: number;
}

export interface FaultScope {
  /** Only this lab switch; every switch when omitted. */
  switch?: string;
  /** Only commands matching this (a string matches as a case-insensitive substring). */
  match?: string | RegExp;
  /** How many times the fault fires; forever when omitted. */
  times?: number;
}

/**
 * Fault injection for the lab switches, changeable while sessions run: what breaks on real gear
 * at 3 a.m. — a link dropping mid-command, a slow control plane, a refused login, a switch
 * answering `% Error`, a NIC plugged into the wrong port.
 */
export class SwitchFaults implements CliFaultHooks {
  private rules: Rule[] = [];
  private readonly refused = new Set<string>();
  private readonly moved = new Map<string, string>();
  private random: { rate: number; rand: () => number; switch?: string } | undefined;

  /** The connection dies when a matching command arrives, before the switch answers. */
  dropMidCommand(scope: FaultScope = {}): this {
    return this.add({ kind: 'drop', ...this.scope(scope) });
  }

  /** The switch answers `% Error: <message>` instead of running a matching command. */
  errorOn(scope: FaultScope & { message?: string } = {}): this {
    return this.add({
      kind: 'error',
      ...this.scope(scope),
      message: scope.message ?? 'Resource temporarily unavailable.',
    });
  }

  /** Every matching command is answered after `ms`. */
  slow(ms: number, scope: FaultScope = {}): this {
    return this.add({ kind: 'slow', ...this.scope(scope), delayMs: ms });
  }

  /** Configuration commands fail at random with `% Error` (deterministic per seed). */
  randomErrors(rate: number, opts: { seed?: number; switch?: string } = {}): this {
    this.random = {
      rate,
      rand: seededRandom(opts.seed ?? 7),
      ...(opts.switch ? { switch: opts.switch } : {}),
    };
    return this;
  }

  /** Logins to the switch (all when omitted) are refused whatever the credentials. */
  refuseLogin(switchName = '*', on = true): this {
    if (on) this.refused.add(switchName);
    else this.refused.delete(switchName);
    return this;
  }

  /** The NIC with this MAC shows up on `port` instead of where the rack file cabled it. */
  miscable(mac: string, port: string): this {
    this.moved.set(mac.toLowerCase(), port);
    return this;
  }

  clear(): void {
    this.rules = [];
    this.refused.clear();
    this.moved.clear();
    this.random = undefined;
  }

  loginRefused(sw: string): boolean {
    return this.refused.has('*') || this.refused.has(sw);
  }

  cabledPort(_sw: string, mac: string, port: string): string {
    return this.moved.get(mac.toLowerCase()) ?? port;
  }

  beforeCommand(sw: string, line: string): { error?: string; drop?: boolean; delayMs?: number } | undefined {
    let out: { error?: string; drop?: boolean; delayMs?: number } | undefined;
    for (const r of this.rules) {
      if (r.switch !== undefined && r.switch !== sw) continue;
      if (r.match && !r.match.test(line)) continue;
      if (r.times !== undefined) {
        if (r.times <= 0) continue;
        r.times--;
      }
      out ??= {};
      if (r.kind === 'drop') out.drop = true;
      else if (r.kind === 'error') out.error ??= `% Error: ${r.message}`;
      else out.delayMs = (out.delayMs ?? 0) + (r.delayMs ?? 0);
    }
    const rnd = this.random;
    if (
      rnd &&
      (rnd.switch === undefined || rnd.switch === sw) &&
      /^(no )?(untagged|tagged|switchport)\b/i.test(line)
    ) {
      if (rnd.rand() < rnd.rate) (out ??= {}).error ??= '% Error: Failed to program hardware.';
    }
    return out;
  }

  private add(rule: Rule): this {
    this.rules.push(rule);
    return this;
  }

  private scope(s: FaultScope): Pick<Rule, 'switch' | 'match' | 'times'> {
    const match =
      s.match === undefined
        ? undefined
        : typeof s.match === 'string'
          ? new RegExp(s.match.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i')
          : s.match;
    return {
      ...(s.switch !== undefined ? { switch: s.switch } : {}),
      ...(match ? { match } : {}),
      ...(s.times !== undefined ? { times: s.times } : {}),
    };
  }
}
