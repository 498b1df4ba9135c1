/**
 * Many BMCs at once: bounded-concurrency fan-out over one client (one socket), and a power watcher
 * that polls the live inventory and reports changes — including those nobody asked rackpilot for.
 */
import type { IpmiClient, PowerCommandEvent } from './client.ts';
import type { PowerAction, PowerState } from './commands.ts';
import { targetName, type IpmiTarget } from './session.ts';

/** Run `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export interface PowerResult {
  name: string;
  target: IpmiTarget;
  power?: PowerState;
  error?: Error;
}

export interface SweepOptions {
  /** BMCs in flight at once (default 64). */
  concurrency?: number;
}

/** Power status of every target; a failing BMC gives a result with `error`, never a rejection. */
export function sweepPower(
  client: IpmiClient,
  targets: readonly IpmiTarget[],
  opts: SweepOptions = {},
): Promise<PowerResult[]> {
  return mapLimit(targets, opts.concurrency ?? 64, async (target) => {
    const name = targetName(target);
    try {
      return { name, target, power: await client.powerStatus(target) };
    } catch (err) {
      return { name, target, error: err instanceof Error ? err : new Error(String(err)) };
    }
  });
}

export type WatchedPower = PowerState | 'unknown';

export interface PowerChange {
  name: string;
  target: IpmiTarget;
  previous: WatchedPower;
  power: WatchedPower;
  /** True when nothing this client sent explains the change: someone else powered the host. */
  outOfBand: boolean;
  /** Set when the BMC became unreachable (power 'unknown'). */
  error?: string;
  at: number;
}

export interface PowerWatcherOptions {
  intervalMs?: number;
  concurrency?: number;
  /** How long after a power command of ours a matching change counts as ours (default 3 intervals). */
  expectWindowMs?: number;
}

const EXPECTED_AFTER: Record<PowerAction, PowerState> = {
  on: 'on',
  cycle: 'on',
  reset: 'on',
  off: 'off',
  soft: 'off',
};

export class PowerWatcher {
  private readonly client: IpmiClient;
  private readonly intervalMs: number;
  private readonly concurrency: number;
  private readonly expectWindowMs: number;
  private targets: IpmiTarget[];
  private readonly state = new Map<string, { power: WatchedPower; since: number; error?: string }>();
  private readonly expected = new Map<string, { power: PowerState; at: number }>();
  private readonly listeners = new Set<(c: PowerChange) => void>();
  private readonly unsubscribe: () => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PowerResult[]> | undefined;

  constructor(client: IpmiClient, targets: readonly IpmiTarget[], opts: PowerWatcherOptions = {}) {
    this.client = client;
    this.targets = [...targets];
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.concurrency = opts.concurrency ?? 64;
    this.expectWindowMs = opts.expectWindowMs ?? this.intervalMs * 3;
    this.unsubscribe = client.onPowerCommand((e: PowerCommandEvent) =>
      this.expected.set(e.name, { power: EXPECTED_AFTER[e.action], at: e.at }),
    );
  }

  onChange(listener: (c: PowerChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setTargets(targets: readonly IpmiTarget[]): void {
    this.targets = [...targets];
    const names = new Set(targets.map(targetName));
    for (const n of this.state.keys()) if (!names.has(n)) this.state.delete(n);
  }

  /** Last known power of a host, 'unknown' before the first poll or while the BMC is unreachable. */
  current(name: string): { power: WatchedPower; since: number; error?: string } {
    return this.state.get(name) ?? { power: 'unknown', since: 0 };
  }

  start(): void {
    if (this.timer) return;
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stop polling and stop listening to the client's power commands. */
  dispose(): void {
    this.stop();
    this.unsubscribe();
    this.listeners.clear();
  }

  /** One sweep now (joins a sweep already running). Emits changes before resolving. */
  poll(): Promise<PowerResult[]> {
    this.running ??= sweepPower(this.client, this.targets, { concurrency: this.concurrency })
      .then((results) => {
        for (const r of results) this.observe(r);
        return results;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private observe(r: PowerResult): void {
    const now = Date.now();
    const prev = this.state.get(r.name);
    const power: WatchedPower = r.power ?? 'unknown';
    const error = r.error?.message;
    if (prev && prev.power === power) return;
    this.state.set(r.name, { power, since: now, ...(error !== undefined && { error }) });
    if (!prev && power === 'unknown' && !error) return;
    const exp = this.expected.get(r.name);
    const ours = exp !== undefined && exp.power === power && now - exp.at <= this.expectWindowMs;
    const change: PowerChange = {
      name: r.name,
      target: r.target,
      previous: prev?.power ?? 'unknown',
      power,
      outOfBand: prev !== undefined && prev.power !== 'unknown' && power !== 'unknown' && !ours,
      at: now,
      ...(error !== undefined && { error }),
    };
    for (const l of this.listeners) l(change);
  }
}
