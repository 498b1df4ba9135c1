import { timingSafeEqual } from 'node:crypto';
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCodes, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node';
import { OperatorError, describeError } from '../util/errors.ts';
import type { TaskEvent } from './tasks/events.ts';
import {
  CATALOG_NOTIFICATION,
  CLOSING_NOTIFICATION,
  DEADLINE_PARAM,
  ERROR,
  EVENT_NOTIFICATION,
  EVENT_RUN,
  METHODS,
  PROTOCOL_VERSION,
  isMutating,
  requestDeadlineSchema,
  type Method,
  type RequestDeadline,
} from '../protocol/messages.ts';
import { Deadline } from '../util/deadline.ts';
import { stillWaitingError, type Caller, type Handlers, type Subscription } from './service/context.ts';
import { describeZodIssue } from '../util/zod-text.ts';
import {
  describeSetting,
  PASSWORDS_DIFFER,
  PASSWORDS_ID,
  type SettingsFingerprint,
} from '../config/fingerprint.ts';
import { guardFrames, socketConnection } from '../protocol/transport.ts';

/**
 * The runner's socket: one JSON-RPC connection per client. A client must first say `hello` with
 * the cookie only the owner can read (the socket file is 0600 too, so the kernel already keeps
 * other users out; the cookie also keeps out anyone the file mode was loosened for). Requests are
 * checked against the protocol's schemas before any handler runs; task events fan out to the
 * clients that follow the task, or all of them.
 */
export interface RunnerServerOptions {
  socketPath: string;
  cookie: string;
  site: string;
  lab: boolean;
  handlers: Handlers;
  /**
   * The settings in which a client differs from this runner (ids, never values). The runner may
   * look again first (an edited rack file is reloaded before it is called a difference).
   */
  settingsDrift: (
    client: SettingsFingerprint,
    perPassword: boolean,
  ) => Promise<{ drift: string[]; note?: string | undefined }>;
  /** What the runner is waiting for now, named when a client's deadline passes first. */
  describeWaits?: () => string | null;
  /** Called with every client count change (the idle timer watches it). */
  onClients?: (count: number) => void;
  log: (line: string) => void;
}

interface Client {
  id: number;
  connection: MessageConnection;
  socket: Socket;
  caller: Caller | null;
  readOnly: boolean;
  /** A `runner status|stop|restart` client: only runner.* requests. */
  control: boolean;
  subscription: Subscription;
}

/** How long after a client's deadline the runner answers "still waiting" when the handler has not. */
const ANSWER_GRACE_MS = 250;

/** A request's params without the deadline key, and that deadline when it is well formed. */
function splitDeadline(raw: unknown): { params: unknown; deadline: RequestDeadline | undefined } {
  if (!raw || typeof raw !== 'object' || !(DEADLINE_PARAM in raw))
    return { params: raw ?? {}, deadline: undefined };
  const { [DEADLINE_PARAM]: asked, ...params } = raw as Record<string, unknown>;
  const parsed = requestDeadlineSchema.safeParse(asked);
  return { params, deadline: parsed.success ? parsed.data : undefined };
}

export class RunnerServer {
  private readonly server: Server;
  private readonly clients = new Set<Client>();
  private nextId = 1;

  constructor(private readonly opts: RunnerServerOptions) {
    this.server = createServer((socket) => this.accept(socket));
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Set by `runner restart`: changes are refused while the running tasks finish. */
  draining = false;

  async listen(): Promise<void> {
    // Only the runner holding the site's lock gets here, so a socket file left behind is stale.
    rmSync(this.opts.socketPath, { force: true });
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(this.opts.socketPath, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    chmodSync(this.opts.socketPath, 0o600);
  }

  /** Sends an event to every client that follows its task. */
  publish(event: TaskEvent): void {
    for (const c of this.clients) {
      if (c.caller && (c.subscription.all || c.subscription.follows.has(event.taskId))) {
        c.connection.sendNotification(EVENT_NOTIFICATION, { events: [event] }).catch(() => undefined);
      }
    }
  }

  /** Tells the clients that follow everything (dashboards) which catalog collections changed. */
  publishCatalog(collections: string[]): void {
    for (const c of this.clients) {
      if (c.caller && c.subscription.all)
        c.connection.sendNotification(CATALOG_NOTIFICATION, { collections }).catch(() => undefined);
    }
  }

  /** A notification to every client that follows everything (dashboards): e.g. a BMC power change. */
  publishNotice(method: string, params: unknown): void {
    for (const c of this.clients) {
      if (c.caller && c.subscription.all)
        c.connection.sendNotification(method, params).catch(() => undefined);
    }
  }

  /** Tells every client why the runner goes, then closes the socket. */
  async close(reason: string): Promise<void> {
    for (const c of this.clients) {
      await c.connection.sendNotification(CLOSING_NOTIFICATION, { reason }).catch(() => undefined);
      c.connection.end();
      c.socket.end();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.opts.socketPath, { force: true });
  }

  private accept(socket: Socket): void {
    // Before the reader: a client announcing a huge message is dropped before it is buffered.
    const id = this.nextId;
    guardFrames(socket, (why) => this.opts.log(`client ${id} dropped: it sent ${why}`));
    const connection = socketConnection(socket, EVENT_RUN);
    const client: Client = {
      id: this.nextId++,
      connection,
      socket,
      caller: null,
      readOnly: false,
      control: false,
      subscription: { all: false, follows: new Set() },
    };
    this.clients.add(client);
    this.opts.onClients?.(this.clients.size);
    const drop = () => {
      if (!this.clients.delete(client)) return;
      client.subscription.inventory?.();
      client.subscription.console?.();
      if (client.caller)
        this.opts.log(`client ${client.id} (${client.caller.kind} pid ${client.caller.pid}) left`);
      connection.dispose();
      this.opts.onClients?.(this.clients.size);
    };
    socket.on('close', drop);
    socket.on('error', drop);
    connection.onClose(drop);
    connection.onError(() => undefined);
    connection.onRequest((method, params) => this.dispatch(client, method, params));
    connection.onNotification(() => undefined);
    connection.listen();
    // A client that never says hello does not hold a slot for ever.
    setTimeout(() => {
      if (!client.caller) socket.destroy();
    }, 10_000).unref();
  }

  private async dispatch(client: Client, method: string, raw: unknown): Promise<unknown> {
    if (!Object.hasOwn(METHODS, method)) {
      throw new ResponseError(ErrorCodes.MethodNotFound, `unknown request ${JSON.stringify(method)}`);
    }
    const m = method as Method;
    const { params: own, deadline: asked } = splitDeadline(raw);
    const parsed = METHODS[m].params.safeParse(own);
    if (!parsed.success) {
      throw new ResponseError(ErrorCodes.InvalidParams, `${m}: ${describeZodIssue(parsed.error)}`);
    }
    const params = parsed.data as Record<string, unknown>;
    if (m === 'hello') return this.hello(client, params as never);
    if (!client.caller) {
      this.hangUp(client);
      throw new ResponseError(ERROR.unauthorized, 'say hello first');
    }
    if (client.control && !m.startsWith('runner.')) {
      throw new ResponseError(
        ERROR.unauthorized,
        `${m}: this connection is for runner status, stop and restart only`,
      );
    }
    // Cancelling is how the running tasks end sooner: it stays open.
    if (this.draining && isMutating(m) && !m.startsWith('runner.') && m !== 'task.cancel') {
      throw new ResponseError(
        ERROR.operator,
        `${m} is refused: the runner is restarting once its running tasks end`,
        {
          hint: 'run it again after the restart (`rackpilot runner status` shows whether it is done)',
        },
      );
    }
    if (client.readOnly && isMutating(m)) {
      throw new ResponseError(ERROR.readOnly, `${m} is refused: this client is read-only (--read-only)`);
    }
    const handler = this.opts.handlers[m];
    if (!handler) throw new ResponseError(ErrorCodes.MethodNotFound, `${m} is not served by this runner`);
    const deadline = asked ? new Deadline(asked.ms, asked.setting) : undefined;
    try {
      const work: Promise<unknown> = handler(params, client.caller, { deadline });
      return await (deadline ? this.answerBy(work, deadline) : work);
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      if (err instanceof OperatorError) {
        throw new ResponseError(ERROR.operator, err.message, {
          ...(err.hint && { hint: err.hint }),
          ...(err.target && { target: err.target }),
          ...(err.failure && { kind: err.failure }),
        });
      }
      this.opts.log(`request ${m} failed: ${describeError(err)}`);
      throw new ResponseError(ErrorCodes.InternalError, describeError(err));
    } finally {
      deadline?.dispose();
    }
  }

  /**
   * The handler's answer, or, once the client's deadline has passed (plus a moment for the
   * handler's own deadline error to arrive first), what the runner is still waiting for. The work
   * goes on: its result serves the next request.
   */
  private answerBy<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(stillWaitingError(deadline, this.opts.describeWaits?.() ?? null)),
        deadline.remainingMs() + ANSWER_GRACE_MS,
      );
    });
    work.catch(() => undefined);
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  /** Closes a connection once the refusal being sent has left (the client then reads why). */
  private hangUp(client: Client): void {
    setTimeout(() => client.socket.destroy(), 100).unref();
  }

  private async hello(
    client: Client,
    p: {
      version: number;
      cookie: string;
      client: { kind: string; pid: number; readOnly: boolean };
      site: string;
      settings: SettingsFingerprint;
      perPassword?: boolean | undefined;
      control?: boolean | undefined;
    },
  ) {
    const a = Buffer.from(p.cookie);
    const b = Buffer.from(this.opts.cookie);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      this.opts.log(`refused a client (pid ${p.client.pid}): wrong cookie`);
      this.hangUp(client);
      throw new ResponseError(ERROR.unauthorized, 'refused: this runner belongs to another user');
    }
    if (p.version !== PROTOCOL_VERSION) {
      throw new ResponseError(
        ERROR.unauthorized,
        `protocol version ${p.version} is not this runner's (${PROTOCOL_VERSION}): stop it with \`rackpilot runner stop\` after its tasks end`,
      );
    }
    const { drift, note } = await this.opts.settingsDrift(p.settings, p.perPassword ?? false);
    if (p.control) {
      client.control = true;
    } else if (p.site !== this.opts.site) {
      throw new ResponseError(
        ERROR.wrongSite,
        `the runner of this store serves ${this.opts.site}, but you configured ${p.site}`,
        { hint: 'use another RACKPILOT_STORE for another site, or `rackpilot runner stop` first' },
      );
    } else if (drift.length > 0) {
      this.opts.log(`refused a client (pid ${p.client.pid}): its settings differ in ${drift.join(', ')}`);
      throw new ResponseError(ERROR.settingsDrift, settingsRefusal(drift, note), {
        hint: SETTINGS_WAY_OUT,
        // The client asks again with one hash per password variable, to name those that differ.
        ...(drift.includes(PASSWORDS_ID) && { kind: PASSWORDS_DIFFER }),
      });
    }
    client.caller = {
      id: client.id,
      kind: p.client.kind,
      pid: p.client.pid,
      subscription: client.subscription,
      notify: (method: string, params: unknown) => {
        client.connection.sendNotification(method, params).catch(() => undefined);
      },
    };
    client.readOnly = p.client.readOnly;
    this.opts.log(
      `client ${client.id} (${p.client.kind} pid ${p.client.pid}${client.readOnly ? ', read-only' : ''}${client.control ? ', control' : ''}) connected`,
    );
    return { pid: process.pid, site: this.opts.site, lab: this.opts.lab, drift };
  }
}

const SETTINGS_WAY_OUT =
  "`rackpilot runner restart` restarts the runner with this terminal's settings once its running tasks end (`--now` interrupts them); or set this terminal's back to the runner's";

/** The refusal of a client whose settings differ: which ones, in words, never their values. */
export function settingsRefusal(drift: readonly string[], note?: string): string {
  const lines = drift.map((id) => `  ${describeSetting(id)}`);
  return [
    `this terminal's settings differ from the runner's, which would act on its own:`,
    ...lines,
    ...(note ? [note] : []),
  ].join('\n');
}
