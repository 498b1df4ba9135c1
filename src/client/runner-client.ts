import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { isSea } from 'node:sea';
import { ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { OperatorError } from '../util/errors.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { PASSWORDS_DIFFER, PASSWORDS_ID, settingsFingerprint } from '../config/fingerprint.ts';
import { MAX_RACK_FILE_BYTES } from '../config/rack/parse.ts';
import { formatSeconds, type Deadline } from '../util/deadline.ts';
import { taskEventSchema, type TaskEvent } from '../protocol/events.ts';
import {
  CATALOG_NOTIFICATION,
  catalogNotificationSchema,
  CLOSING_NOTIFICATION,
  closingNotificationSchema,
  DEADLINE_PARAM,
  ERROR,
  errorDataSchema,
  EVENT_NOTIFICATION,
  eventNotificationSchema,
  METHODS,
  PROTOCOL_VERSION,
  type Method,
  type Params,
  type Result,
} from '../protocol/messages.ts';
import { ensureRunnerDirs, runnerPaths, type RunnerPaths } from '../config/runner-paths.ts';
import { socketConnection } from '../protocol/transport.ts';
import { describeZodIssue } from '../util/zod-text.ts';

/**
 * A connection to the site's runner. Requests are typed by the protocol table; responses and
 * events are checked with the same schemas before anyone sees them.
 */
export class RunnerClient {
  private readonly eventListeners = new Set<(e: TaskEvent) => void>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private readonly catalogListeners = new Set<(collections: string[]) => void>();
  private closedReason: string | null = null;
  private runnerReason: string | null = null;
  /** For a control client: the settings (ids) in which this terminal differs from the runner. */
  readonly settingsDrift: string[] = [];
  /** When this client started the runner: what it said on starting (e.g. a new lab began). */
  readonly startNotices: string[] = [];

  constructor(
    private readonly connection: MessageConnection,
    private readonly socket: Socket,
    readonly paths: RunnerPaths,
    readonly runnerPid: number,
  ) {
    connection.onNotification(EVENT_NOTIFICATION, (raw: unknown) => {
      const parsed = eventNotificationSchema.safeParse(raw);
      if (!parsed.success) return;
      for (const e of parsed.data.events) {
        const event = taskEventSchema.safeParse(e);
        if (!event.success) continue; // a malformed event is dropped, never acted on
        for (const l of this.eventListeners) l(event.data);
      }
    });
    connection.onNotification(CATALOG_NOTIFICATION, (raw: unknown) => {
      const parsed = catalogNotificationSchema.safeParse(raw);
      if (parsed.success) for (const l of this.catalogListeners) l(parsed.data.collections);
    });
    connection.onNotification(CLOSING_NOTIFICATION, (raw: unknown) => {
      const parsed = closingNotificationSchema.safeParse(raw);
      this.runnerReason = parsed.success ? parsed.data.reason : 'the runner closed';
    });
    const onClose = () => {
      if (this.closedReason !== null) return;
      this.closedReason = this.runnerReason
        ? `the runner stopped: ${this.runnerReason}`
        : 'the runner went away';
      for (const l of this.closeListeners) l(this.closedReason);
    };
    connection.onClose(onClose);
    socket.on('close', onClose);
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  /** How long a request may wait for the runner's answer (every MaaS call inside has its own deadline). */
  requestTimeoutMs = RUNNER_REQUEST_TIMEOUT_MS;

  /**
   * Told of every request as it leaves: the command's deadline for it (if any) and the end of the
   * wait. The CLI's wait line and its per-command deadlines hang here.
   */
  watch: RequestWatcher | undefined;

  /** Shows a live line while the caller waits (a followed task's running step), where there is one. */
  showWait: ((label: () => string) => () => void) | undefined;

  /**
   * One request. With a deadline (a read that waits on gear), the runner is told what is left of it
   * and answers within it, with what it still waits for if the gear has not answered; this side
   * gives up a moment later, should the runner itself be stuck.
   */
  async call<M extends Method>(
    method: M,
    params: Params<M>,
    opts: { deadline?: Deadline | undefined } = {},
  ): Promise<Result<M>> {
    if (this.closedReason !== null)
      throw new OperatorError(`${this.closedReason}`, { hint: 'run the command again: a new runner starts' });
    let raw: unknown;
    let offClose = () => {};
    let timer: NodeJS.Timeout | undefined;
    const watched = this.watch?.(method, params);
    const deadline = opts.deadline ?? watched?.deadline;
    const waitMs = deadline ? deadline.remainingMs() + DEADLINE_GRACE_MS : this.requestTimeoutMs;
    const sent = deadline
      ? {
          ...params,
          [DEADLINE_PARAM]: { ms: Math.max(1, deadline.remainingMs()), setting: deadline.setting },
        }
      : params;
    try {
      // A runner that dies mid-request never answers: its going away is the answer.
      const gone = new Promise<never>((_, reject) => {
        offClose = this.onClose((reason) => reject(new Error(reason)));
      });
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new RunnerTimeout(method, waitMs, this.paths.log, deadline?.setting)),
          waitMs,
        );
      });
      raw = await Promise.race([this.connection.sendRequest(method, sent), gone, late]);
    } catch (err) {
      if (err instanceof RunnerTimeout) throw err;
      throw fromResponseError(err, method, this.closedReason);
    } finally {
      clearTimeout(timer);
      offClose();
      watched?.done();
    }
    const parsed = METHODS[method].result.safeParse(raw);
    if (!parsed.success) {
      throw new OperatorError(
        `the runner answered ${method} with a malformed result (${describeZodIssue(parsed.error)})`,
        {
          hint: 'the runner may be from another rackpilot version: `rackpilot runner stop` once its tasks are done',
        },
      );
    }
    return parsed.data as Result<M>;
  }

  onEvent(listener: (e: TaskEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Any other notification by name (inventory deltas); the caller validates its payload. */
  onNotification(method: string, listener: (params: unknown) => void): () => void {
    const d = this.connection.onNotification(method, listener);
    return () => d.dispose();
  }

  /** Catalog collections that changed (for clients subscribed with tasks.subscribe). */
  onCatalog(listener: (collections: string[]) => void): () => void {
    this.catalogListeners.add(listener);
    return () => this.catalogListeners.delete(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  close(): void {
    this.closedReason ??= 'closed by the client';
    this.connection.dispose();
    this.socket.end();
    this.socket.destroy();
  }
}

export type RequestWatcher = (
  method: Method,
  params: unknown,
) => { deadline?: Deadline | undefined; done(): void } | undefined;

/** Default deadline of a request to the runner. */
export const RUNNER_REQUEST_TIMEOUT_MS = 180_000;
/** How long past a request's deadline the client waits for the runner's own "still waiting" answer. */
const DEADLINE_GRACE_MS = 1_500;

class RunnerTimeout extends OperatorError {
  constructor(method: string, ms: number, log: string, setting?: string) {
    super(
      `the runner did not answer ${method} within ${formatSeconds(ms)}${setting ? ` (${setting})` : ''}`,
      {
        hint: `its log says what it was doing: ${log}; \`rackpilot runner status\` shows it`,
      },
    );
  }
}

function fromResponseError(err: unknown, method: string, closed: string | null): Error {
  if (err instanceof ResponseError) {
    const data = errorDataSchema.safeParse(err.data ?? {});
    const extra = data.success ? data.data : {};
    if (
      err.code === ERROR.operator ||
      err.code === ERROR.wrongSite ||
      err.code === ERROR.readOnly ||
      err.code === ERROR.settingsDrift
    ) {
      return new OperatorError(err.message, {
        ...(extra.hint && { hint: extra.hint }),
        ...(extra.target && { target: extra.target }),
        ...(extra.kind && { failure: extra.kind }),
      });
    }
    return new OperatorError(`runner: ${err.message}`, { ...(extra.hint && { hint: extra.hint }) });
  }
  if (closed) return new OperatorError(`${method}: ${closed}`, { hint: 'run the command again' });
  return new OperatorError(
    `${method}: the connection to the runner failed (${String((err as Error)?.message ?? err)})`,
  );
}

export interface ConnectOptions {
  storePath: string;
  site: string;
  client: { kind: 'cli' | 'tui' | 'test'; readOnly: boolean };
  /** Environment for a runner started by this client (its settings). */
  env: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  /** Start the runner when none answers (default true). */
  start?: boolean;
  /** How long to wait for a starting runner (the embedded lab takes a few seconds): RACKPILOT_RUNNER_START_TIMEOUT. */
  startTimeoutMs?: number;
  /** The client's settings, compared with the runner's at hello; default: read from `env`. */
  config?: Config;
  /** `runner status|stop|restart`: served whatever the site and settings (runner.* requests only). */
  control?: boolean;
  /** Told when the client starts waiting for a runner it started; the returned function ends the wait. */
  onWait?: (what: string) => () => void;
}

/** The rack file's text as this client would use it (undefined: none, or unreadable here). */
function rackTextOf(config: Config): string | undefined {
  if (config.lab || !config.rackFile) return undefined;
  try {
    if (statSync(config.rackFile).size > MAX_RACK_FILE_BYTES) return undefined;
    return readFileSync(config.rackFile, 'utf8');
  } catch {
    return undefined;
  }
}

// The runner runs the same entry point as its client: found from the sources (src/client/) or from
// the bundle (dist/, beside src/).
const BIN = ['../bin/rackpilot.js', '../src/bin/rackpilot.js']
  .map((p) => new URL(p, import.meta.url).pathname)
  .find((p) => existsSync(p))!;
const LOG_ROTATE_BYTES = 5 * 1024 * 1024;
/**
 * The runner works behind the operators' terminals on the same jump host. Set with nice(1) at
 * start, as every thread a Node process has is created before its first line runs. It starts in
 * a session of its own, so where the kernel groups processes by session (autogroup, on in most
 * distributions) this ranks it only among its own threads: against each terminal's session it
 * gets a fair share of a contended CPU, which a key press never waits on (a process woken every
 * 10 ms beside a runner-like load on both cores ran within 0.65 ms at p99). Its autogroup is left
 * at 0: niced too, the runner's steps and gear timers would wait on any busy terminal.
 */
const RUNNER_NICENESS = 10;
const NICE = ['/usr/bin/nice', '/bin/nice'].find((p) => existsSync(p));
/**
 * glibc's allocator for the runner: a full machine list arrives as thousands of 64 KB network
 * buffers, which glibc by default keeps in its arenas once freed (its mmap threshold rises after
 * the first large free). A fixed mmap threshold sends every block over 128 KB to mmap, so it goes
 * back to the system when freed. The trim threshold is fixed too (setting either fixes both), at
 * 16 MB: at 128 KB glibc handed the top of the heap back after nearly every free and faulted it in
 * again at the next allocation, 5,000-8,000 page faults a second in a busy runner (14 µs each on a
 * paravirtualised guest), against about 2,000 at 16 MB; at 10,000 machines its RSS stayed within
 * the same spread. An operator's own settings win.
 */
const RUNNER_MALLOC = { MALLOC_MMAP_THRESHOLD_: '131072', MALLOC_TRIM_THRESHOLD_: String(16 * 1024 * 1024) };

function tryConnect(path: string): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', () => resolve(null));
  });
}

function logTail(path: string, lines = 8): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts `rackpilot runner serve` in its own session, its output appended to the runner log. */
export function spawnRunner(paths: RunnerPaths, env: ConnectOptions['env'], cwd?: string) {
  ensureRunnerDirs(paths);
  if (existsSync(paths.log) && statSync(paths.log).size > LOG_ROTATE_BYTES)
    renameSync(paths.log, `${paths.log}.1`);
  const fd = openSync(paths.log, 'a', 0o600);
  try {
    // --expose-gc: after parsing a full machine list (66 MB of JSON at 10,000 machines) the runner
    // collects at once and hands the memory back, instead of sitting on a heap sized for it.
    // The single executable is its own runner (it enables gc itself: it takes no node flags).
    const node = isSea()
      ? [process.execPath, 'runner', 'serve']
      : [process.execPath, '--expose-gc', BIN, 'runner', 'serve'];
    const [cmd, ...args] = NICE ? [NICE, '-n', String(RUNNER_NICENESS), ...node] : node;
    const child = spawn(cmd!, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...RUNNER_MALLOC, ...env } as NodeJS.ProcessEnv,
      ...(cwd && { cwd }),
    });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/**
 * Connects to the site's runner, starting it when none answers. Two clients racing to start it
 * both spawn one; the runner that takes the site's lock serves, the other exits, and both clients
 * connect to the winner.
 */
export async function connectRunner(opts: ConnectOptions): Promise<RunnerClient> {
  const paths = runnerPaths(opts.storePath);
  let socket = await tryConnect(paths.socket);
  const started = !socket;
  if (!socket) {
    if (opts.start === false) {
      throw new OperatorError(`no runner is serving ${opts.storePath}`, {
        hint: 'any rackpilot command starts it; `rackpilot runner status` shows it',
      });
    }
    const child = spawnRunner(paths, opts.env, opts.cwd);
    let exited: number | null = null;
    child.once('exit', (code) => (exited = code ?? 1));
    const startMs = opts.startTimeoutMs ?? 30_000;
    const deadline = Date.now() + startMs;
    const done = opts.onWait?.('starting the runner');
    try {
      while (!socket) {
        await new Promise((r) => setTimeout(r, 50));
        socket = await tryConnect(paths.socket);
        if (socket) break;
        if (exited !== null && exited !== 0) {
          throw new OperatorError(
            `the runner could not start (exit ${exited}); its log says:\n${logTail(paths.log)}`,
            {
              hint: `the whole log: ${paths.log}`,
            },
          );
        }
        if (Date.now() > deadline) {
          throw new OperatorError(
            `the runner did not open ${paths.socket} within ${formatSeconds(startMs)} (RACKPILOT_RUNNER_START_TIMEOUT); its log says:\n${logTail(paths.log)}`,
            {
              hint: `the whole log: ${paths.log}`,
            },
          );
        }
      }
    } finally {
      done?.();
    }
  }
  const connection = socketConnection(socket);
  connection.listen();
  let cookie: string;
  try {
    cookie = readFileSync(paths.cookie, 'utf8').trim();
  } catch {
    socket.destroy();
    throw new OperatorError(`cannot read the runner's cookie ${paths.cookie}`, {
      hint: 'the runner belongs to another user, or its files were removed: `rackpilot runner stop` as its owner',
    });
  }
  const client = new RunnerClient(connection, socket, paths, 0);
  const config = opts.config ?? loadConfig({ env: opts.env, ...(opts.cwd && { cwd: opts.cwd }) });
  try {
    const source = { config, rackText: rackTextOf(config) };
    const greet = (perPassword: boolean) =>
      client.call('hello', {
        version: PROTOCOL_VERSION,
        cookie,
        client: { kind: opts.client.kind, pid: process.pid, readOnly: opts.client.readOnly },
        site: opts.site,
        settings: settingsFingerprint(source, cookie, perPassword),
        ...(perPassword && { perPassword }),
        ...(opts.control && { control: true }),
      });
    // The password variables go as one hash; when it differs, again one hash each, so what the
    // operator reads names the variables (a control connection is answered, not refused).
    let hello = await greet(false).catch((err: unknown) => {
      if (err instanceof OperatorError && err.failure === PASSWORDS_DIFFER) return greet(true);
      throw err;
    });
    if (hello.drift.includes(PASSWORDS_ID)) hello = await greet(true);
    (client as { runnerPid: number }).runnerPid = hello.pid;
    (client as { settingsDrift: string[] }).settingsDrift = hello.drift;
    if (started) {
      const status = await client.call('runner.status', {});
      client.startNotices.push(...status.notices.filter((n) => n.level === 'warn').map((n) => n.text));
    }
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}
