import pLimit from 'p-limit';
import { IpmiError } from '../gear/ipmi/index.ts';
import { RedfishError } from '../gear/redfish/errors.ts';
import type { BmcPowerEvent, BmcService } from '../gear/bmc/service.ts';
import type { BmcTarget } from './site/bmc-target.ts';
import { describeError } from '../util/errors.ts';

/**
 * Power as the BMCs say it, for every host of the site: a paced sweep over the runner's BMC clients
 * (IPMI and Redfish sessions and connections kept between sweeps, so a sweep is one Get Chassis
 * Status or one GET of the ComputerSystem per BMC), with
 * per-host state, how the BMC answered (ok, unreachable, wrong credentials) and out-of-band change
 * detection. Self-contained: the runner gives it the targets and a way to explain a change; the
 * inventory (wherever it lives) reads `snapshot()` or listens with `onChange`.
 */

export type BmcAnswer = 'ok' | 'unreachable' | 'auth';

export interface BmcPower {
  hostname: string;
  /** What the BMC last said; 'unknown' before its first answer or while it does not answer. */
  power: 'on' | 'off' | 'unknown';
  answer: BmcAnswer;
  /** The last error, one line, when answer is not ok. */
  error?: string;
  /** Epoch ms since when power and answer are as they are. */
  since: number;
  /** Epoch ms of the last on↔off change seen; null when none was seen. */
  lastChange: number | null;
  /** Epoch ms of the last sweep that reached this BMC (answered or not). */
  checkedAt: number;
  /** The last change nobody explained (no command of ours, no MaaS action), while it stands. */
  outOfBand?: { at: number; from: 'on' | 'off'; to: 'on' | 'off' };
}

export interface BmcSweepTarget {
  hostname: string;
  target: BmcTarget;
}

export interface BmcPowerChange {
  hostname: string;
  previous: BmcPower | undefined;
  current: BmcPower;
  /** on↔off with nothing to explain it. */
  outOfBand: boolean;
  /** Why the change is expected (our command, MaaS's action), when it is. */
  reason?: string;
}

export interface PowerSweepOptions {
  /** Every BMC to sweep, read at the start of each sweep (store hosts and rack-file BMCs). */
  targets: () => readonly BmcSweepTarget[];
  /** One host's BMC as `targets` lists it (a recheck after each task reads one, not the site's list). */
  target?: (hostname: string) => BmcSweepTarget | undefined;
  /** A sweep starts at most this often (default 10 s); a site of 10,000 BMCs still sweeps in < 30 s. */
  intervalMs?: number;
  /** BMCs in flight at once; default grows with the site (hosts / 40, between 16 and 256). */
  concurrency?: number;
  /** A command of ours counts as the cause of a matching change for this long (default 3 intervals). */
  expectWindowMs?: number;
  /**
   * Why an on↔off change is expected other than by our own commands (a MaaS action in flight),
   * or null: the change is out of band. Called only when a change is seen.
   */
  explain?: (hostname: string, from: 'on' | 'off', to: 'on' | 'off') => Promise<string | null>;
  log?: (line: string) => void;
  now?: () => number;
}

export interface PowerSweepStats {
  sweeps: number;
  lastSweepMs: number;
  lastSweepAt: number | null;
  targets: number;
  concurrency: number;
}

const EXPECTED_AFTER: Record<string, 'on' | 'off'> = {
  on: 'on',
  cycle: 'on',
  reset: 'on',
  off: 'off',
  soft: 'off',
};

/** How a failed power read is shown: wrong credentials, or not reachable (no answer, refused session). */
export function answerOf(err: unknown): BmcAnswer {
  return (err instanceof IpmiError || err instanceof RedfishError) && err.kind === 'auth'
    ? 'auth'
    : 'unreachable';
}

export function sweepConcurrency(targets: number): number {
  return Math.max(16, Math.min(256, Math.ceil(targets / 40)));
}

export class BmcPowerSweep {
  private readonly state = new Map<string, BmcPower>();
  private readonly expected = new Map<string, { power: 'on' | 'off'; at: number }>();
  private readonly listeners = new Set<(c: BmcPowerChange) => void>();
  private readonly offCommands: () => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly counters: PowerSweepStats = {
    sweeps: 0,
    lastSweepMs: 0,
    lastSweepAt: null,
    targets: 0,
    concurrency: 0,
  };

  constructor(
    private readonly bmcs: Pick<BmcService, 'powerStatus' | 'onPowerCommand'>,
    private readonly opts: PowerSweepOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.offCommands = bmcs.onPowerCommand((e: BmcPowerEvent) => {
      const want = EXPECTED_AFTER[e.action];
      if (want) this.expected.set(e.key, { power: want, at: e.at });
    });
  }

  /**
   * The sweep's period: the setting, else paced to the site: every 10 s, or 3 ms per BMC when that
   * is longer (10,000 BMCs every 30 s), so an idle runner's sweep stays a small share of a core.
   */
  get intervalMs(): number {
    return this.opts.intervalMs ?? Math.max(10_000, 3 * this.counters.targets);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = async () => {
      if (this.stopped) return;
      const started = this.now();
      await this.sweep().catch((err) => this.opts.log?.(`power sweep failed: ${describeError(err)}`));
      if (this.stopped) return;
      this.timer = setTimeout(loop, Math.max(0, this.intervalMs - (this.now() - started)));
      this.timer.unref();
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stop and stop listening to the BMC clients' commands. */
  dispose(): void {
    this.stop();
    this.offCommands();
    this.listeners.clear();
  }

  snapshot(): ReadonlyMap<string, BmcPower> {
    return this.state;
  }

  stats(): PowerSweepStats {
    return { ...this.counters };
  }

  onChange(listener: (c: BmcPowerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One sweep now, or join the one running. Changes are emitted before it resolves. */
  sweep(): Promise<void> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  /**
   * Reads one host's BMC now (a task on it just ended): the row shows the power the task left,
   * not the one of the last sweep. Changes are emitted before it resolves.
   */
  async recheck(hostname: string): Promise<void> {
    const t = this.opts.target
      ? this.opts.target(hostname)
      : this.opts.targets().find((x) => x.hostname === hostname);
    if (t) await this.readOne(t);
  }

  private async readOne(t: BmcSweepTarget): Promise<void> {
    let power: 'on' | 'off' | 'unknown' = 'unknown';
    let answer: BmcAnswer = 'ok';
    let error: string | undefined;
    try {
      power = await this.bmcs.powerStatus(t.target);
    } catch (err) {
      answer = answerOf(err);
      error = describeError(err).split('\n')[0]!;
    }
    await this.observe(t, power, answer, error);
  }

  private async sweepOnce(): Promise<void> {
    const targets = this.opts.targets();
    const concurrency = this.opts.concurrency ?? sweepConcurrency(targets.length);
    const started = this.now();
    const names = new Set(targets.map((t) => t.hostname));
    for (const n of this.state.keys()) if (!names.has(n)) this.state.delete(n);
    await pLimit(concurrency).map(targets, (t) => this.readOne(t));
    this.counters.sweeps++;
    this.counters.lastSweepMs = this.now() - started;
    this.counters.lastSweepAt = this.now();
    this.counters.targets = targets.length;
    this.counters.concurrency = concurrency;
  }

  private async observe(
    t: BmcSweepTarget,
    power: 'on' | 'off' | 'unknown',
    answer: BmcAnswer,
    error: string | undefined,
  ): Promise<void> {
    const now = this.now();
    const prev = this.state.get(t.hostname);
    if (prev && prev.power === power && prev.answer === answer) {
      prev.checkedAt = now;
      if (error !== undefined) prev.error = error;
      return;
    }
    // The last power the BMC reported: a spell without answers in between does not hide a change.
    const before = this.lastKnown.get(t.hostname);
    if (power !== 'unknown') this.lastKnown.set(t.hostname, power);
    const flipped = before !== undefined && power !== 'unknown' && before !== power;
    const current: BmcPower = {
      hostname: t.hostname,
      power,
      answer,
      ...(error !== undefined && { error }),
      since: now,
      lastChange: flipped ? now : (prev?.lastChange ?? null),
      checkedAt: now,
      ...(prev?.outOfBand && !flipped && { outOfBand: prev.outOfBand }),
    };
    let reason: string | undefined;
    if (flipped) {
      const exp = this.expected.get(t.target.key);
      const window = this.opts.expectWindowMs ?? this.intervalMs * 3;
      if (exp && exp.power === power && now - exp.at <= window) reason = 'a power command sent by rackpilot';
      else reason = (await this.opts.explain?.(t.hostname, before, power).catch(() => null)) ?? undefined;
      if (reason === undefined) current.outOfBand = { at: now, from: before, to: power };
      else delete current.outOfBand;
    }
    this.state.set(t.hostname, current);
    const change: BmcPowerChange = {
      hostname: t.hostname,
      previous: prev,
      current,
      outOfBand: flipped && reason === undefined,
      ...(reason !== undefined && { reason }),
    };
    for (const l of this.listeners) l(change);
  }

  private readonly lastKnown = new Map<string, 'on' | 'off'>();
}
