import { redact } from '../../util/redact.ts';
import { checkChanges, planPorts, planScript, type PortPlan } from './changes.ts';
import { dialectFor } from './dialects/index.ts';
import type { Dialect, PortStatus } from './dialects/types.ts';
import { SwitchError } from './errors.ts';
import { SwitchSession, type SessionOptions } from './session.ts';
import {
  parseSwitchTarget,
  sessionIdentity,
  switchAddress,
  type MacEntry,
  type PortChange,
  type PortVlans,
  type SwitchTarget,
  type SwitchTargetInput,
  type VlanEntry,
} from './target.ts';
import { normalizeMac, parsePort, ValidationError } from './validate.ts';

export interface SwitchServiceOptions extends SessionOptions {
  /** Keep a session open this long after the last job, for the next one (0 closes at once). */
  idleMs?: number;
  /** Opens sessions; replaceable in tests. */
  open?: (target: SwitchTarget, dialect: Dialect, opts: SessionOptions) => Promise<SwitchSession>;
}

export interface PortResult {
  port: string;
  iface: string;
  before: PortVlans;
  after: PortVlans;
  /** The configuration lines sent for this port (empty when it already was as asked). */
  lines: string[];
}

export interface ApplyResult {
  switch: string;
  ports: PortResult[];
  /** The configuration was saved (one save for the whole batch this change was part of). */
  saved: boolean;
  /** How many requests shared this change's session and save. */
  batchSize: number;
  /**
   * Every line typed on this change's behalf, in order: configure, its port lines, end and the
   * save. A session shared by a batch types configure, end and the save once for all of its
   * changes; each change's `sent` holds them, so each task's log shows the whole session.
   */
  sent: string[];
}

export interface PortView extends PortStatus {
  port: string;
  iface: string;
}

type Checked = (PortChange & { iface: string })[];

interface JobBase {
  target: SwitchTarget;
  identity: string;
}

interface ChangeJob extends JobBase {
  kind: 'change';
  changes: Checked;
  ports: string[];
  resolve(r: ApplyResult): void;
  reject(e: unknown): void;
  signal: AbortSignal | undefined;
  retried: boolean;
}

interface ReadJob extends JobBase {
  kind: 'read';
  ports: string[];
  fn(session: SwitchSession): Promise<unknown>;
  resolve(r: unknown): void;
  reject(e: unknown): void;
  signal: AbortSignal | undefined;
  retried: boolean;
}

type Job = ChangeJob | ReadJob;

interface Lane {
  /** Target and dialect of the batch being run (set per batch, from its requests). */
  target: SwitchTarget;
  dialect: Dialect;
  identity: string;
  sessionIdentity: string | undefined;
  queue: Job[];
  running: boolean;
  session: SwitchSession | undefined;
  idle: NodeJS.Timeout | undefined;
}

/**
 * The switch adapter workflows call. One lane per switch: requests queue behind a per-switch
 * lock and everything queued is applied in one SSH session with one save; the session stays
 * open briefly for the next burst. Validation happens before anything is queued.
 */
export class SwitchService {
  private readonly lanes = new Map<string, Lane>();
  private closed = false;

  constructor(private readonly opts: SwitchServiceOptions = {}) {}

  /** The exact CLI lines a change list would send, without connecting (ports assumed on the PXE VLAN unless `current` says otherwise). */
  plan(
    input: SwitchTarget | SwitchTargetInput,
    changes: readonly PortChange[],
    current: Record<string, PortVlans> = {},
  ): string[] {
    return planScript(asTarget(input), changes, current);
  }

  apply(
    input: SwitchTarget | SwitchTargetInput,
    changes: readonly PortChange[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<ApplyResult> {
    const target = asTarget(input);
    const dialect = dialectFor(target.dialect);
    let checked: Checked;
    try {
      checked = checkChanges(dialect, target, changes);
    } catch (e) {
      return Promise.reject(invalid(target, changes, e));
    }
    return new Promise<ApplyResult>((resolve, reject) => {
      this.enqueue(target, {
        kind: 'change',
        changes: checked,
        ports: [...new Set(checked.map((c) => c.port))],
        resolve,
        reject,
        signal: opts.signal,
        retried: false,
      });
    });
  }

  showPort(
    input: SwitchTarget | SwitchTargetInput,
    port: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<PortView> {
    const target = asTarget(input);
    const dialect = dialectFor(target.dialect);
    let iface: string;
    try {
      iface = dialect.iface(parsePort(port), target.portPrefix);
    } catch (e) {
      return Promise.reject(invalid(target, [{ port }], e));
    }
    return this.read(target, [port], opts.signal, async (s) => {
      const status = await readPort(s, dialect, iface, port);
      return { port, iface, ...status };
    });
  }

  showVlans(
    input: SwitchTarget | SwitchTargetInput,
    opts: { signal?: AbortSignal } = {},
  ): Promise<VlanEntry[]> {
    const target = asTarget(input);
    const dialect = dialectFor(target.dialect);
    return this.read(target, [], opts.signal, async (s) =>
      dialect.parseVlans(await s.run(dialect.showVlans)),
    );
  }

  /** Where the switch learned a MAC: the first entry, or null when the table does not have it. */
  findMac(
    input: SwitchTarget | SwitchTargetInput,
    mac: string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<MacEntry | null> {
    const target = asTarget(input);
    const dialect = dialectFor(target.dialect);
    let norm: string;
    try {
      norm = normalizeMac(mac);
    } catch (e) {
      return Promise.reject(invalid(target, [], e));
    }
    return this.read(target, [], opts.signal, async (s) => {
      const rows = dialect.parseMac(await s.run(dialect.showMac(norm)));
      return rows.find((r) => r.mac === norm) ?? null;
    });
  }

  /** The switch's whole MAC address table in one read (the cabling check: one read per switch). */
  macTable(
    input: SwitchTarget | SwitchTargetInput,
    opts: { signal?: AbortSignal } = {},
  ): Promise<MacEntry[]> {
    const target = asTarget(input);
    const dialect = dialectFor(target.dialect);
    // Every dialect's MAC query is the table command with an `address` filter: drop the filter.
    const all = dialect.showMac('00:00:00:00:00:00').replace(/\s+address\s+\S+$/, '');
    return this.read(target, [], opts.signal, async (s) => dialect.parseMac(await s.run(all)));
  }

  async close(): Promise<void> {
    this.closed = true;
    const sessions: Promise<void>[] = [];
    for (const lane of this.lanes.values()) {
      if (lane.idle) clearTimeout(lane.idle);
      if (lane.session && !lane.running) {
        sessions.push(lane.session.close());
        lane.session = undefined;
      }
    }
    await Promise.all(sessions);
  }

  // ---- lanes ----------------------------------------------------------------------------

  private read<T>(
    target: SwitchTarget,
    ports: string[],
    signal: AbortSignal | undefined,
    fn: (s: SwitchSession) => Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue(target, {
        kind: 'read',
        ports,
        fn,
        resolve: resolve as (r: unknown) => void,
        reject,
        signal,
        retried: false,
      });
    });
  }

  private enqueue(
    target: SwitchTarget,
    partial: Omit<ChangeJob, 'target' | 'identity'> | Omit<ReadJob, 'target' | 'identity'>,
  ): void {
    const job = { ...partial, target, identity: sessionIdentity(target) } as Job;
    if (this.closed) {
      job.reject(
        new SwitchError('cancelled', 'the switch service is shut down', {
          switchName: target.name,
          ports: job.ports,
        }),
      );
      return;
    }
    if (job.signal?.aborted) {
      job.reject(cancelled(target, job));
      return;
    }
    const key = switchAddress(target);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = {
        target,
        dialect: dialectFor(target.dialect),
        identity: job.identity,
        sessionIdentity: undefined,
        queue: [],
        running: false,
        session: undefined,
        idle: undefined,
      };
      this.lanes.set(key, lane);
    }
    lane.queue.push(job);
    job.signal?.addEventListener(
      'abort',
      () => {
        const i = lane.queue.indexOf(job);
        if (i >= 0) {
          lane.queue.splice(i, 1);
          job.reject(cancelled(target, job));
        }
      },
      { once: true },
    );
    if (lane.idle) {
      clearTimeout(lane.idle);
      lane.idle = undefined;
    }
    if (!lane.running) {
      lane.running = true;
      // Requests made in the same tick join one batch.
      setImmediate(() => void this.drain(lane));
    }
  }

  private async session(lane: Lane): Promise<SwitchSession> {
    if (lane.session?.alive && lane.sessionIdentity === lane.identity) return lane.session;
    // Another identity's session (or a dead one) is not reused.
    const old = lane.session;
    lane.session = undefined;
    if (old) await old.close();
    const open = this.opts.open ?? ((t, d, o) => SwitchSession.open(t, d, o));
    lane.session = await open(lane.target, lane.dialect, this.opts);
    lane.sessionIdentity = lane.identity;
    return lane.session;
  }

  private async drain(lane: Lane): Promise<void> {
    // Changes applied but not yet saved, carried over when a session dies mid-batch.
    let unsaved: { job: ChangeJob; result: ApplyResult }[] = [];
    try {
      while (lane.queue.length > 0 || unsaved.length > 0) {
        // One identity per batch: unsaved changes first, else the oldest request's.
        const head = unsaved[0]?.job ?? lane.queue[0]!;
        lane.target = head.target;
        lane.dialect = dialectFor(head.target.dialect);
        lane.identity = head.identity;
        const take = () => {
          const mine = lane.queue.filter((j) => j.identity === lane.identity);
          lane.queue = lane.queue.filter((j) => j.identity !== lane.identity);
          return mine;
        };
        let session: SwitchSession;
        try {
          session = await this.session(lane);
        } catch (e) {
          for (const j of take()) j.reject(aim(e, j.ports));
          for (const u of unsaved) u.job.reject(notSaved(lane.target, u.job, e));
          unsaved = [];
          continue;
        }
        // Requests that arrived while connecting join this batch.
        const jobs = take();
        const batch = jobs.filter((j) => j.kind === 'change').length + unsaved.length;
        const { done, requeue } = await this.runBatch(lane, session, jobs, batch);
        unsaved.push(...done);
        for (const r of requeue) r.retried = true;
        lane.queue.unshift(...requeue);
        if (!session.alive) continue;
        // Ports already as asked change nothing: no save for them (the plan said nothing is sent).
        const nothingChanged = unsaved.filter((u) => u.result.sent.length === 0);
        for (const u of nothingChanged) u.job.resolve({ ...u.result, saved: true, batchSize: batch });
        unsaved = unsaved.filter((u) => u.result.sent.length > 0);
        if (unsaved.length > 0) {
          const ended = session.inConfigMode;
          try {
            if (ended) await session.run('end');
            await session.run(lane.dialect.save);
          } catch (e) {
            for (const u of unsaved) u.job.reject(notSaved(lane.target, u.job, e));
            unsaved = [];
            continue;
          }
          const closing = [...(ended ? ['end'] : []), lane.dialect.save];
          for (const u of unsaved)
            u.job.resolve({
              ...u.result,
              saved: true,
              batchSize: batch,
              sent: [...u.result.sent, ...closing],
            });
          unsaved = [];
        } else if (session.inConfigMode) {
          await session.run('end').catch(() => {});
        }
      }
    } finally {
      lane.running = false;
      if (lane.queue.length > 0) {
        lane.running = true;
        setImmediate(() => void this.drain(lane));
      } else this.park(lane);
    }
  }

  private park(lane: Lane): void {
    const s = lane.session;
    if (!s) return;
    lane.identity = lane.sessionIdentity ?? lane.identity;
    const idle = this.opts.idleMs ?? 3000;
    if (idle <= 0 || this.closed || !s.alive) {
      lane.session = undefined;
      void s.close();
      return;
    }
    lane.idle = setTimeout(() => {
      lane.idle = undefined;
      if (lane.running || lane.session !== s) return;
      lane.session = undefined;
      void s.close();
    }, idle);
    lane.idle.unref?.();
  }

  private async runBatch(
    lane: Lane,
    session: SwitchSession,
    jobs: Job[],
    batch: number,
  ): Promise<{ done: { job: ChangeJob; result: ApplyResult }[]; requeue: Job[] }> {
    const d = lane.dialect;
    const target = lane.target;
    const done: { job: ChangeJob; result: ApplyResult }[] = [];
    const known = new Map<string, PortStatus>();
    const failed = new Set<Job>();

    // Read every port the changes touch first, in exec mode and in one write: the exact lines depend on it.
    const toRead = new Map<string, { port: string; jobs: ChangeJob[] }>();
    for (const job of jobs) {
      if (job.kind !== 'change') continue;
      for (const c of job.changes) {
        const entry = toRead.get(c.iface) ?? { port: c.port, jobs: [] };
        if (!entry.jobs.includes(job)) entry.jobs.push(job);
        toRead.set(c.iface, entry);
      }
    }
    if (toRead.size > 0) {
      const ifaces = [...toRead.keys()];
      try {
        if (session.inConfigMode) await session.run('end');
        const results = await session.execMany(ifaces.map((i) => d.showPort(i)));
        ifaces.forEach((iface, i) => {
          const r = results[i]!;
          const { port, jobs: waiting } = toRead.get(iface)!;
          const status = r.errorLine === undefined ? d.parsePort(r.output) : undefined;
          if (status && (status.layer2 || r.output.trim() !== '')) {
            known.set(iface, status);
            return;
          }
          const e = new SwitchError(
            'cli',
            `the switch cannot show this port: ${r.errorLine ?? 'no output'}`,
            {
              switchName: target.name,
              address: session.address,
              ports: [port],
              ...(r.errorLine !== undefined ? { switchLine: r.errorLine } : {}),
              command: d.showPort(iface),
              hint: 'Check the port name in the rack file against the switch (`show interfaces status`).',
            },
          );
          for (const j of waiting) {
            if (!failed.has(j)) j.reject(e);
            failed.add(j);
          }
        });
      } catch (e) {
        // Nothing was changed yet: on a lost session every request gets one more try on a new one.
        const dropped = e instanceof SwitchError && e.kind === 'closed';
        if (!session.alive && dropped)
          return { done, requeue: this.leftover(target, jobs, jobs[0]!, failed, true) };
        for (const { jobs: waiting } of toRead.values()) {
          for (const j of waiting) {
            if (!failed.has(j)) j.reject(aim(e, j.ports));
            failed.add(j);
          }
        }
      }
      if (!session.alive) return { done, requeue: this.leftover(target, jobs, jobs[0]!, failed, true) };
    }

    for (const job of jobs) {
      if (failed.has(job)) continue;
      if (job.signal?.aborted) {
        job.reject(cancelled(target, job));
        continue;
      }
      if (job.kind === 'read') {
        try {
          if (session.inConfigMode) await session.run('end');
          job.resolve(await job.fn(session));
        } catch (e) {
          job.reject(aim(e, job.ports));
          if (!session.alive) return { done, requeue: this.leftover(target, jobs, job, failed) };
        }
        continue;
      }
      const routed = job.changes.find((c) => known.get(c.iface)?.layer2 === false);
      if (routed) {
        job.reject(
          new SwitchError(
            'invalid',
            'the port is not a Layer-2 (switchport) port; refusing to change its VLANs',
            {
              switchName: target.name,
              ports: [routed.port],
              hint: 'It may be an uplink or routed port: check the port in the rack file, or configure `switchport` on it first.',
            },
          ),
        );
        continue;
      }
      const plans = planPorts(d, target, job.changes, (port) => {
        const iface = job.changes.find((c) => c.port === port)!.iface;
        const s = known.get(iface)!;
        return { untagged: s.untagged, tagged: s.tagged };
      });
      try {
        await this.applyPlans(session, plans);
        for (const p of plans) known.set(p.iface, { layer2: true, ...p.after });
        done.push({
          job,
          result: {
            switch: target.name,
            ports: plans.map((p) => ({
              port: p.port,
              iface: p.iface,
              before: p.before,
              after: p.after,
              lines: p.lines,
            })),
            saved: false,
            batchSize: batch,
            sent: plans.some((p) => p.lines.length > 0)
              ? [d.configure, ...plans.flatMap((p) => p.lines)]
              : [],
          },
        });
      } catch (e) {
        const err = await this.undo(lane, session, plans, e);
        for (const p of plans) known.delete(p.iface);
        job.reject(err);
        if (!session.alive) return { done, requeue: this.leftover(target, jobs, job, failed) };
      }
    }
    return { done, requeue: [] };
  }

  /** Jobs after `current` that never ran, to retry once on a fresh session. */
  private leftover(
    target: SwitchTarget,
    jobs: Job[],
    current: Job,
    failed: Set<Job>,
    includeCurrent = false,
  ): Job[] {
    const rest = jobs.slice(jobs.indexOf(current) + (includeCurrent ? 0 : 1)).filter((j) => !failed.has(j));
    const retry: Job[] = [];
    for (const j of rest) {
      if (j.retried) {
        j.reject(
          new SwitchError('closed', 'the session was lost twice before this request could run', {
            switchName: target.name,
            ports: j.ports,
            hint: 'The switch or its management link is unstable; nothing was sent for this request.',
          }),
        );
      } else retry.push(j);
    }
    return retry;
  }

  private async applyPlans(session: SwitchSession, plans: PortPlan[]): Promise<void> {
    const lines = plans.flatMap((p) => p.lines.map((line) => ({ line, port: p.port })));
    if (lines.length === 0) return;
    if (!session.inConfigMode) await session.run(session.dialect.configure);
    const results = await session.execMany(
      lines.map((l) => l.line),
      { stopOnError: true },
    );
    const bad = results.findIndex((r) => r.errorLine !== undefined);
    if (bad < 0) return;
    const { line, port } = lines[bad]!;
    const errorLine = results[bad]!.errorLine!;
    throw new SwitchError('cli', `the switch refused \`${line}\`: ${errorLine}`, {
      switchName: session.target.name,
      address: session.address,
      ports: [port],
      switchLine: errorLine,
      command: line,
      hint: "The quoted line is the switch's own message. The port was put back as it was.",
    });
  }

  /**
   * Puts the ports of a failed change back as they were before it: reads what the switch has now
   * and sends the lines from there to `before` — on this session, or a fresh one if it died.
   */
  private async undo(
    lane: Lane,
    session: SwitchSession,
    plans: PortPlan[],
    cause: unknown,
  ): Promise<SwitchError> {
    const ports = plans.map((p) => p.port);
    const base =
      cause instanceof SwitchError
        ? cause.forPorts(ports)
        : new SwitchError('cli', cause instanceof Error ? cause.message : String(cause), {
            switchName: lane.target.name,
            ports,
            cause,
          });
    const touched = plans.filter((p) => p.lines.length > 0);
    try {
      let s = session;
      if (!s.alive) {
        lane.session = undefined;
        s = await this.session(lane);
      }
      for (const p of touched) {
        if (s.inConfigMode) await s.run('end');
        const now = await readPort(s, lane.dialect, p.iface, p.port);
        const back = lane.dialect.changeLines(
          p.iface,
          { untagged: now.untagged, tagged: now.tagged },
          p.before,
        );
        if (back.length === 0) continue;
        await this.applyPlans(s, [{ ...p, before: now, after: p.before, lines: back }]);
      }
      if (s.inConfigMode) await s.run('end');
      return base;
    } catch (e) {
      const why = e instanceof Error ? redact(e.message) : String(e);
      return new SwitchError(base.kind, `${base.detail}; putting the port back also failed (${why})`, {
        ...base.info,
        hint: 'The port may be half changed: check it with `rackpilot switch show` before retrying.',
      });
    }
  }
}

async function readPort(s: SwitchSession, d: Dialect, iface: string, port: string): Promise<PortStatus> {
  const out = await s.run(d.showPort(iface));
  const status = d.parsePort(out);
  if (!status.layer2 && out.trim() === '') {
    throw new SwitchError('invalid', 'the switch printed nothing for this port', {
      switchName: s.target.name,
      ports: [port],
    });
  }
  return status;
}

function asTarget(input: SwitchTarget | SwitchTargetInput): SwitchTarget {
  return parseSwitchTarget(input);
}

function aim(e: unknown, ports: string[]): unknown {
  return e instanceof SwitchError ? e.forPorts(ports) : e;
}

function invalid(
  target: SwitchTarget,
  changes: readonly { port?: unknown }[],
  e: unknown,
): SwitchError | unknown {
  if (!(e instanceof ValidationError)) return e;
  const ports = changes.map((c) => (typeof c.port === 'string' && !/[\r\n]/.test(c.port) ? c.port : '?'));
  return new SwitchError('invalid', e.message, {
    switchName: target.name,
    ports: [...new Set(ports)],
    hint: 'Nothing was sent to the switch. Fix the port name or VLAN id (1–4094) in the request or rack file.',
    cause: e,
  });
}

function cancelled(target: SwitchTarget, job: Job): SwitchError {
  return new SwitchError('cancelled', 'cancelled before anything was sent', {
    switchName: target.name,
    ports: job.ports,
  });
}

function notSaved(target: SwitchTarget, job: ChangeJob, e: unknown): SwitchError {
  const why = e instanceof Error ? redact(e.message) : String(e);
  return new SwitchError('cli', `the change is applied but saving the configuration failed (${why})`, {
    switchName: target.name,
    ports: job.ports,
    hint: 'The running configuration has the change; save it on the switch, or retry so rackpilot saves it.',
    cause: e,
  });
}
