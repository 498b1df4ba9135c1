/**
 * The runner's host consoles: at most one Serial-over-LAN session per BMC, opened while someone
 * watches or a task holds the host, shared by every viewer (CLI, dashboards). Each host keeps a
 * scrollback ring; a task holding the host gets a recording of what the console printed. One
 * viewer at a time has the keyboard, after taking it; the others only watch.
 */
import {
  IpmiClient,
  IpmiError,
  isSolActiveElsewhere,
  type IpmiTarget,
  type SolConsole,
} from '../../gear/ipmi/index.ts';
import { OperatorError, describeError } from '../../util/errors.ts';
import type { ConsoleState } from '../../protocol/console.ts';
import { readRecording, Recording } from './recording.ts';
import { ConsoleRing } from './ring.ts';
import { consoleEvidence, type ConsoleEvidence } from '../doctor/console-evidence.ts';
import type { ConsoleGuard } from './guard.ts';
import type { RelayPos } from './relay-chunks.ts';

export interface ConsoleViewer {
  id: number;
  onData(host: string, data: Buffer): void;
  onState(state: ConsoleState): void;
  /** Not counted among the watchers, never types: the doctor reading the console. */
  silent?: boolean;
  /** The holder (another jump host) relayed a chunk: this runner is up to date with its console. */
  onRelayed?(): void;
}

export interface ConsoleHubOptions {
  /** The BMC of a host (undefined: the host is unknown, an OperatorError says so). */
  targetFor(hostname: string): IpmiTarget;
  scrollbackBytes: number;
  recordingsDir: string;
  /** Wait before reopening a console that failed or was lost, while it is still wanted. */
  retryMs?: number;
  /** How long a console nobody wants stays open (a viewer switching hosts back and forth). */
  lingerMs?: number;
  ipmi?: IpmiClient;
  log?: (line: string) => void;
  /** With several jump hosts: one runner of the site holds a host's console at a time. */
  guard?: ConsoleGuard;
  /** Why a host's BMC serves no SOL (a Redfish BMC), null when it does. */
  noSol?: (hostname: string) => string | null;
}

interface HostConsole {
  hostname: string;
  ring: ConsoleRing;
  viewers: Map<number, ConsoleViewer>;
  keyboard: number | undefined;
  recordings: Map<string, Recording>;
  sol: SolConsole | undefined;
  state: ConsoleState['state'];
  error?: { message: string; hint?: string };
  opening: boolean;
  /** Another jump host freed the console while this one's claim was being asked: its answer may be stale. */
  freedWhileClaiming?: boolean;
  /** This runner holds the site's claim on the host's console (always, without a guard). */
  claimed: boolean;
  /** The jump host holding the console, while another one does. */
  heldBy?: string;
  /** Following the holder's relayed output (while another jump host holds it), and where in it. */
  following: boolean;
  relayPos?: RelayPos;
  /** Kept open until then without a viewer (the doctor's reads come again within it). */
  keepUntil: number;
  retry?: NodeJS.Timeout;
  linger?: NodeJS.Timeout;
}

/** A task's recording after the task ended: `over` resolves when the tail ends (or the task resumes). */
interface RecordingTail {
  timer: NodeJS.Timeout;
  over: Promise<void>;
  settle(): void;
}

/**
 * A BMC holds a console's output for up to its Character Accumulate Interval (SOL configuration
 * parameter 3, IPMI v2.0 §26.3: at most 255 × 5 ms) before it sends a partial packet, so what the
 * host printed just before a task ended arrives up to that much later: a task's recording goes on
 * that long after the task.
 */
const RECORDING_TAIL_MS = 1_300;

export class ConsoleHub {
  private readonly opts: Required<Omit<ConsoleHubOptions, 'ipmi' | 'log' | 'guard' | 'noSol'>> &
    Pick<ConsoleHubOptions, 'log' | 'guard' | 'noSol'>;
  private readonly ipmi: IpmiClient;
  private readonly ownIpmi: boolean;
  private readonly hosts = new Map<string, HostConsole>();
  /** The host of each task being recorded: a task's end finds its recording without a scan. */
  private readonly recordedHost = new Map<string, HostConsole>();
  /** Recordings of ended tasks in their tail, by task: settle once the file is closed. */
  private readonly tails = new Map<string, RecordingTail>();
  private closed = false;
  private readonly offs: (() => void)[] = [];

  constructor(opts: ConsoleHubOptions) {
    this.opts = { retryMs: 5_000, lingerMs: 2_000, ...opts };
    // Its own client: the console's session lives apart from the power sweep's and the tasks'.
    this.ipmi = opts.ipmi ?? new IpmiClient({ timeoutMs: 1000, retries: 3, keepAliveMs: 20_000 });
    this.ownIpmi = opts.ipmi === undefined;
    const guard = opts.guard;
    if (guard) {
      this.offs.push(
        guard.onFreed((hostname) => {
          const c = this.hosts.get(hostname);
          if (!c || c.claimed) return;
          if (c.opening) {
            c.freedWhileClaiming = true; // claim() opens at once when its answer comes
            return;
          }
          if (c.state !== 'elsewhere') return;
          clearTimeout(c.retry);
          c.retry = undefined;
          if (this.wanted(c)) void this.open(c);
        }),
        guard.onLost(() => {
          for (const c of this.hosts.values()) if (c.claimed) this.claimLost(c);
        }),
        guard.onRelayed((hostname) => {
          const c = this.hosts.get(hostname);
          if (!c?.following || c.state !== 'elsewhere') return;
          this.pullRelayed(c);
          for (const v of c.viewers.values()) v.onRelayed?.();
        }),
      );
    }
  }

  /** Start watching: the scrollback so far, and the console's state for this viewer. */
  watch(hostname: string, viewer: ConsoleViewer): { scrollback: Buffer; state: ConsoleState } {
    const c = this.host(hostname);
    c.viewers.set(viewer.id, viewer);
    this.want(c);
    this.broadcastState(c);
    return { scrollback: c.ring.contents(), state: this.stateFor(c, viewer.id) };
  }

  unwatch(hostname: string, viewerId: number): void {
    const c = this.hosts.get(hostname);
    if (!c || !c.viewers.delete(viewerId)) return;
    if (c.keyboard === viewerId) c.keyboard = undefined;
    this.broadcastState(c);
    this.maybeRelease(c);
  }

  /** A viewer left (its connection closed): it watches nothing and types nowhere. */
  leave(viewerId: number): void {
    for (const c of this.hosts.values()) if (c.viewers.has(viewerId)) this.unwatch(c.hostname, viewerId);
  }

  /** Take or give back a watched console's keyboard. Taking it from another viewer is allowed: it is said. */
  keyboard(hostname: string, viewerId: number, take: boolean): ConsoleState {
    const c = this.hosts.get(hostname);
    if (!c || !c.viewers.has(viewerId)) {
      throw new OperatorError(`open the console of ${hostname} before taking its keyboard`, {
        target: hostname,
      });
    }
    if (take && c.state === 'elsewhere') {
      throw new OperatorError(
        `the console of ${hostname} is held by ${c.heldBy ?? 'another jump host'}: it is read-only here`,
        {
          hint: `type on that jump host (rackpilot console ${hostname} --follow --keyboard); the keyboard can be taken here once it closes the console`,
          target: hostname,
        },
      );
    }
    if (take && c.viewers.get(viewerId)?.silent) return this.stateFor(c, viewerId);
    if (take) c.keyboard = viewerId;
    else if (c.keyboard === viewerId) c.keyboard = undefined;
    this.broadcastState(c);
    return this.stateFor(c, viewerId);
  }

  input(hostname: string, viewerId: number, data: Buffer, brk = false): void {
    const c = this.hosts.get(hostname);
    if (!c || c.keyboard !== viewerId) {
      throw new OperatorError(`you do not have the keyboard of ${hostname}'s console`, {
        hint: "take it first (the console pane's key, or `rackpilot console HOST --follow --keyboard`); only one viewer types at a time",
        target: hostname,
      });
    }
    if (!c.sol)
      throw new OperatorError(`the console of ${hostname} is not open (${c.state})`, { target: hostname });
    if (brk) c.sol.sendBreak();
    if (data.length > 0) c.sol.write(data);
  }

  /** Why the host's BMC serves no SOL, null when it does (an unknown host throws the store's error). */
  whyNoSol(hostname: string): string | null {
    this.opts.targetFor(hostname);
    return this.opts.noSol?.(hostname) ?? null;
  }

  /** Keep the host's console open for `ms` more even without a viewer or a task. */
  keepOpen(hostname: string, ms: number): void {
    const c = this.hosts.get(hostname);
    if (!c) return;
    c.keepUntil = Math.max(c.keepUntil, Date.now() + ms);
    clearTimeout(c.linger);
    c.linger = undefined;
    this.maybeRelease(c);
  }

  /** The last lines of the console with the causes they show (the doctor's evidence). */
  evidence(hostname: string, lines = 20): ConsoleEvidence {
    return consoleEvidence(this.hosts.get(hostname)?.ring.contents() ?? Buffer.alloc(0), lines);
  }

  /** The scrollback now, or a task's recording (once its tail is in, for a task that just ended). */
  async read(hostname: string, task?: string): Promise<{ data: Buffer; source: 'scrollback' | 'recording' }> {
    if (task) {
      await this.tails.get(task)?.over;
      return { data: readRecording(this.opts.recordingsDir, task, hostname), source: 'recording' };
    }
    const c = this.hosts.get(hostname);
    if (!c) this.opts.targetFor(hostname); // unknown hosts get the store's error
    return { data: c?.ring.contents() ?? Buffer.alloc(0), source: 'scrollback' };
  }

  /** A task holds the host: record its console until the task ends. */
  taskStarted(taskId: string, hostname: string): void {
    let c: HostConsole;
    try {
      c = this.host(hostname);
    } catch {
      return; // a host the store no longer knows: nothing to record
    }
    const tail = this.tails.get(taskId);
    if (tail) {
      // Resumed within its tail: the same recording goes on (a read waiting for it reads it now).
      clearTimeout(tail.timer);
      this.tails.delete(taskId);
      tail.settle();
    }
    if (c.recordings.has(taskId)) return;
    c.recordings.set(taskId, new Recording(this.opts.recordingsDir, taskId, hostname));
    this.recordedHost.set(taskId, c);
    this.want(c);
  }

  taskEnded(taskId: string): void {
    const c = this.recordedHost.get(taskId);
    if (!c?.recordings.has(taskId) || this.tails.has(taskId)) return;
    let settle!: () => void;
    const over = new Promise<void>((resolve) => (settle = resolve));
    const timer = setTimeout(() => this.endRecording(taskId), RECORDING_TAIL_MS);
    this.tails.set(taskId, { timer, over, settle });
  }

  /** A task's recording tail is over: the file is closed and the console may be released. */
  private endRecording(taskId: string): void {
    const tail = this.tails.get(taskId);
    const c = this.recordedHost.get(taskId);
    if (!tail || !c) return;
    clearTimeout(tail.timer);
    this.tails.delete(taskId);
    this.recordedHost.delete(taskId);
    c.recordings.get(taskId)?.close();
    c.recordings.delete(taskId);
    this.maybeRelease(c);
    tail.settle();
  }

  /** Hosts with an open SOL session (the BMC sees one per host). */
  get openSessions(): number {
    let n = 0;
    for (const c of this.hosts.values()) if (c.sol) n++;
    return n;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const off of this.offs) off();
    this.opts.guard?.close?.();
    const all = [...this.hosts.values()];
    for (const taskId of [...this.tails.keys()]) this.endRecording(taskId);
    for (const c of all) {
      clearTimeout(c.retry);
      clearTimeout(c.linger);
      for (const r of c.recordings.values()) r.close();
    }
    this.recordedHost.clear();
    await Promise.all(
      all.map(async (c) => {
        const sol = c.sol;
        c.sol = undefined;
        await sol?.close().catch(() => undefined);
        await this.unclaim(c);
      }),
    );
    if (this.ownIpmi) await this.ipmi.close();
  }

  private host(hostname: string): HostConsole {
    let c = this.hosts.get(hostname);
    if (c) return c;
    this.opts.targetFor(hostname); // throws for a host the store does not know
    c = {
      hostname,
      ring: new ConsoleRing(this.opts.scrollbackBytes),
      viewers: new Map(),
      keyboard: undefined,
      recordings: new Map(),
      sol: undefined,
      state: 'closed',
      opening: false,
      claimed: this.opts.guard === undefined,
      following: false,
      keepUntil: 0,
    };
    this.hosts.set(hostname, c);
    return c;
  }

  private wanted(c: HostConsole): boolean {
    return !this.closed && (c.viewers.size > 0 || c.recordings.size > 0 || Date.now() < c.keepUntil);
  }

  private want(c: HostConsole): void {
    clearTimeout(c.linger);
    c.linger = undefined;
    if (c.sol || c.opening || c.retry) return;
    void this.open(c);
  }

  private maybeRelease(c: HostConsole): void {
    if (c.linger || (!this.closed && (c.viewers.size > 0 || c.recordings.size > 0))) return;
    const kept = Math.max(0, c.keepUntil - Date.now());
    c.linger = setTimeout(
      () => {
        c.linger = undefined;
        if (this.wanted(c)) {
          this.maybeRelease(c); // kept open a while longer: wait for that
          return;
        }
        clearTimeout(c.retry);
        c.retry = undefined;
        this.follow(c, false);
        const sol = c.sol;
        c.sol = undefined;
        c.state = 'closed';
        void (async () => {
          await sol?.close().catch(() => undefined);
          await this.unclaim(c);
        })();
      },
      Math.max(this.opts.lingerMs, kept + 10),
    );
    c.linger.unref();
  }

  private async open(c: HostConsole): Promise<void> {
    c.opening = true;
    c.state = 'connecting';
    this.broadcastState(c);
    let target: IpmiTarget;
    try {
      if (!(await this.claim(c))) return;
      target = this.opts.targetFor(c.hostname);
      const sol = await this.ipmi.openConsole(target, {
        onData: (d) => this.onData(c, d),
        onClose: (err) => {
          if (c.sol !== sol) return;
          c.sol = undefined;
          if (err) this.failed(c, err);
        },
      });
      c.opening = false;
      if (!this.wanted(c) || !c.claimed) {
        await sol.close();
        c.state = 'closed';
        await this.unclaim(c);
        return;
      }
      c.sol = sol;
      c.state = 'open';
      c.error = undefined;
      this.opts.log?.(`console of ${c.hostname}: SOL open`);
      this.broadcastState(c);
    } catch (err) {
      c.opening = false;
      this.failed(c, err);
    }
  }

  /**
   * The site's claim on the console before the BMC is asked (with a guard): false when another
   * jump host holds it, which the viewers are told; the console opens here when that one frees it.
   */
  private async claim(c: HostConsole): Promise<boolean> {
    const guard = this.opts.guard;
    if (!guard || c.claimed) return true;
    c.freedWhileClaiming = false;
    const holder = await guard.claim(c.hostname);
    if (holder === null) {
      c.claimed = true;
      c.heldBy = undefined;
      this.follow(c, false);
      return true;
    }
    c.opening = false;
    c.state = 'elsewhere';
    c.heldBy = holder;
    c.error = {
      message: `held by ${holder}`,
      hint: `a BMC serves one SOL session: its output is relayed here read-only; type on that jump host (rackpilot console ${c.hostname} --follow --keyboard); it opens here when that one closes it`,
    };
    c.keyboard = undefined; // nobody types here while another jump host holds it
    this.follow(c, true);
    this.broadcastState(c);
    this.pullRelayed(c);
    // The holder's release reaches us through the guard, at once if it came while the claim was
    // asked (the answer named a holder that has let go since); this slow retry covers a missed one.
    c.retry = setTimeout(
      () => {
        c.retry = undefined;
        if (this.wanted(c)) void this.open(c);
      },
      c.freedWhileClaiming ? 0 : this.opts.retryMs * 6,
    );
    c.retry.unref();
    return false;
  }

  private async unclaim(c: HostConsole): Promise<void> {
    const guard = this.opts.guard;
    if (!guard || !c.claimed || c.sol || c.opening) return;
    c.claimed = false;
    await guard.release(c.hostname).catch((err) => {
      // The claim goes with this runner's lease at worst: another jump host waits until then.
      this.opts.log?.(`console of ${c.hostname}: its claim in etcd was not released (${describeError(err)})`);
    });
  }

  /** This runner's etcd lease ended: its claims are gone, so its sessions close; it claims again. */
  private claimLost(c: HostConsole): void {
    c.claimed = false;
    const sol = c.sol;
    c.sol = undefined;
    void sol?.close().catch(() => undefined);
    if (c.state === 'open' || c.state === 'connecting')
      this.failed(c, new OperatorError("this jump host's etcd lease ended: its console claims went with it"));
  }

  private failed(c: HostConsole, err: unknown): void {
    c.state = 'unavailable';
    // Won the site's claim, but the BMC still serves the previous holder's session (that runner is
    // closing it, or froze with it open): the claim is kept for the retry. Given back, the jump
    // host that lost it could claim it again first, and the one that waited would never get it.
    const keepClaim = c.claimed && this.wanted(c) && isSolActiveElsewhere(err);
    if (!c.sol && !keepClaim) void this.unclaim(c);
    c.error =
      err instanceof OperatorError
        ? { message: err.message, ...(err.hint && { hint: err.hint }) }
        : { message: describeError(err) };
    this.opts.log?.(`console of ${c.hostname}: ${c.error.message}`);
    this.broadcastState(c);
    if (!this.wanted(c)) return;
    // A console another session holds, or a BMC that is away, is tried again while wanted.
    const again = err instanceof IpmiError && err.kind === 'auth' ? this.opts.retryMs * 6 : this.opts.retryMs;
    c.retry = setTimeout(() => {
      c.retry = undefined;
      if (this.wanted(c)) void this.open(c);
    }, again);
    c.retry.unref();
  }

  /** Follow the holder's relayed output while another jump host holds the console, or stop. */
  private follow(c: HostConsole, on: boolean): void {
    if (!this.opts.guard || c.following === on) return;
    c.following = on;
    this.opts.guard.follow(c.hostname, on);
  }

  /** What the holder relayed since this runner's last read, as if this runner's console printed it. */
  private pullRelayed(c: HostConsole): void {
    const r = this.opts.guard!.relayedSince(c.hostname, c.relayPos);
    c.relayPos = r.pos;
    if (r.data.length > 0) this.onData(c, r.data);
  }

  private onData(c: HostConsole, d: Buffer): void {
    if (c.claimed) this.opts.guard?.publish(c.hostname, d);
    c.ring.append(d);
    for (const r of c.recordings.values()) r.append(d);
    for (const v of c.viewers.values()) v.onData(c.hostname, d);
  }

  private stateFor(c: HostConsole, viewerId: number): ConsoleState {
    return {
      host: c.hostname,
      state: c.state,
      ...(c.error && { error: c.error.message, ...(c.error.hint && { hint: c.error.hint }) }),
      ...(c.state === 'elsewhere' && c.heldBy && { heldBy: c.heldBy }),
      keyboard: c.keyboard === undefined ? 'none' : c.keyboard === viewerId ? 'you' : 'other',
      viewers: [...c.viewers.values()].filter((v) => !v.silent).length,
    };
  }

  private broadcastState(c: HostConsole): void {
    for (const v of c.viewers.values()) v.onState(this.stateFor(c, v.id));
  }
}
