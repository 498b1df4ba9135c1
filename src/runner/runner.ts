import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { loadConfig, type Config } from '../config/index.ts';
import { acquirePidLock } from './pid-lock.ts';
import { openSite, type Site } from './site/open.ts';
import { InventoryService } from './inventory/service.ts';
import { openWorkbench, type Workbench } from './site/workbench.ts';
import { remoteTaskEvents } from './coord/task-events.ts';
import { describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import { inFlight } from '../protocol/task-states.ts';
import { FINAL_EVENTS } from '../protocol/events.ts';
import { PROTOCOL_VERSION, type Result } from '../protocol/messages.ts';
import { ensureRunnerDirs, runnerPaths, type RunnerPaths } from '../config/runner-paths.ts';
import { RunnerServer } from './server.ts';
import { openLabSite, seedLabCatalog } from './lab-site.ts';
import { labSiteFiles, siteIdentity, siteStorePath } from './site-files.ts';
import { catalogHandlers } from './service/catalog.ts';
import { taskHandlers } from './service/tasks.ts';
import { taskReadHandlers } from './service/task-reads.ts';
import type { Handlers } from './service/context.ts';
import { runnerControlHandlers } from './runner-handlers.ts';
import { WaitBoard } from './waits.ts';
import { liveReadHandlers } from './service/live-read.ts';
import { gearReadHandlers } from './service/gear-reads.ts';
import { troubleshootHandlers } from './service/troubleshoot.ts';
import { startTaskSideWork } from './task-side-work.ts';
import { sampleConsole } from './console/sample.ts';
import { consoleHandlers } from './service/console.ts';
import { siteCheckHandlers } from './service/site-check.ts';
import { POWER_NOTIFICATION, type RunnerNotice } from '../protocol/messages.ts';
import { RackReloader } from './rack-reload.ts';
import { settingsDrift, settingsFingerprint, type SettingsFingerprint } from '../config/fingerprint.ts';

/**
 * The site's runner: owns the store and the task engine, serves every client on the site's socket
 * and stays up while anything needs it. It exits after `idleMs` with no client and no task running,
 * on `runner stop`, on SIGTERM/SIGINT, or when its socket file is taken away (its directory
 * deleted): a runner nobody can reach must not linger.
 */
export interface RunningRunner {
  paths: RunnerPaths;
  site: Site;
  wb: Workbench;
  server: RunnerServer;
  /** Resolves when the runner has shut down, with why. */
  closed: Promise<string>;
  stop(reason: string): Promise<void>;
}

export interface StartRunnerOptions {
  env: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
  /** Overrides RACKPILOT_RUNNER_IDLE (tests). */
  idleMs?: number;
  /** How often the runner checks its socket file is still its own. */
  watchdogMs?: number;
}

export class RunnerBusyError extends Error {}

/**
 * Tasks running at once in a site's runner (more wait queued, holding their host). Tasks mostly
 * wait on MaaS; the per-switch locks, not this, keep switch sessions from overlapping.
 */
export const RUNNER_CONCURRENCY = 100;

export async function startRunner(opts: StartRunnerOptions): Promise<RunningRunner> {
  const log =
    opts.log ?? ((line: string) => process.stdout.write(`${new Date().toISOString()} ${redact(line)}\n`));
  const config = loadConfig({ env: opts.env });
  const storePath = siteStorePath(config);
  const paths = runnerPaths(storePath);
  ensureRunnerDirs(paths);
  // The pid lock makes two runners racing for one site end with one: the loser stops here.
  const lock = acquirePidLock(paths.pidFile);
  if (!lock.ok) throw new RunnerBusyError(`the runner of ${storePath} is process ${lock.owner}`);
  if (lock.takenOverFrom !== null)
    log(`took over from runner ${lock.takenOverFrom}, which is no longer running`);
  const cookie = randomBytes(32).toString('hex');
  writeFileSync(paths.cookie, cookie, { mode: 0o600 });
  let opened: OpenedSite;
  try {
    opened = await openRunnerSite(config, storePath, log);
  } catch (err) {
    lock.release();
    throw err;
  }
  return serveSite({ opts, config, paths, cookie, log, releaseLock: () => lock.release(), ...opened });
}

interface OpenedSite {
  site: Site;
  wb: Workbench;
  /** What went wrong while opening (the lab's own warnings), for the dashboards. */
  notices: RunnerNotice[];
}

/** The site's gear and the store with its task engine; on a failure, whatever was opened is closed. */
async function openRunnerSite(
  config: Config,
  storePath: string,
  log: (line: string) => void,
): Promise<OpenedSite> {
  let site: Site | undefined;
  let wb: Workbench | undefined;
  const notices: RunnerNotice[] = [];
  try {
    if (config.lab) {
      site = await openLabSite(config, labSiteFiles(config), log, (text) =>
        notices.push({ at: Date.now(), level: 'warn', text }),
      );
    } else {
      site = await openSite(config);
    }
    wb = await openWorkbench(site, {
      storePath,
      concurrency: RUNNER_CONCURRENCY,
      onNotice: (t) => log(`store: ${t}`),
      log,
    });
    if (site.lab) await seedLabCatalog(wb.store, site);
    for (const id of wb.interrupted) log(`task ${id} was interrupted by the previous runner's end`);
    return { site, wb, notices };
  } catch (err) {
    await wb?.close().catch(() => undefined);
    await site?.close().catch(() => undefined);
    throw err;
  }
}

interface ServeInput extends OpenedSite {
  opts: StartRunnerOptions;
  config: Config;
  paths: RunnerPaths;
  cookie: string;
  log: (line: string) => void;
  releaseLock(): void;
}

/** The runner proper: its server, the idle exit, the watchdog and the stop. */
async function serveSite(input: ServeInput): Promise<RunningRunner> {
  const { opts, config, paths, cookie, log, site, wb, notices } = input;
  const idleMs = opts.idleMs ?? config.runnerIdleMs;
  const startedAt = new Date();
  let stopping: Promise<void> | null = null;
  let resolveClosed!: (why: string) => void;
  const closed = new Promise<string>((r) => (resolveClosed = r));
  const waits = new WaitBoard();
  const { inventory, notify } = inventoryWithNotices(site, config, waits, notices);
  const rack = await watchRackFile(config, site, log, notify, inventory);

  const idle = idleExit({
    idleMs,
    quiet: () => server.clientCount === 0 && busyCount(wb) === 0,
    stopping: () => stopping !== null,
    stop: (why) => void stop(why),
  });
  const armIdle = idle.arm;
  const runningTasks = () => runningTaskIds(wb);
  const stopWhenDrained = () => {
    if (server.draining && !stopping && runningTasks().length === 0 && busyCount(wb) === 0)
      setImmediate(() => void stop('restarted by the operator (its tasks had ended)'));
  };
  const sideWork = startTaskSideWork(config, site, wb, paths.store, log);
  const { consoles, powerSweep } = sideWork;
  const status = () => runnerStatus({ config, paths, site, wb, startedAt, idleMs, rack, notices, server });
  const server: RunnerServer = new RunnerServer({
    socketPath: paths.socket,
    cookie,
    site: siteIdentity(config),
    lab: config.lab,
    settingsDrift: settingsDriftCheck(config, rack, cookie),
    handlers: {
      ...siteHandlers({ site, wb }, { inventory, powerSweep, waits, consoles }),
      ...consoleHandlers(consoles),
      ...runnerControlHandlers({
        log,
        maasTimeoutMs: config.maasTimeoutMs,
        inventory,
        waits,
        server: (): RunnerServer => server,
        status: async () => status(),
        runningTasks,
        stopWhenDrained,
        stop: (reason) => stop(reason),
      }),
    },
    onClients: () => armIdle(),
    describeWaits: () => waits.describe(),
    log,
  });
  const offEvents = forwardEvents({ wb, server, inventory, powerSweep, log }, () => {
    armIdle();
    stopWhenDrained();
  });

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log(`stopping: ${reason}`);
      idle.cancel();
      clearInterval(watchdog);
      rack?.close();
      await sideWork.close();
      offEvents();
      inventory.close();
      await server.close(reason).catch(() => undefined);
      await wb.close().catch((err) => log(`closing the store: ${describeError(err)}`));
      await site.close().catch(() => undefined);
      input.releaseLock();
      resolveClosed(reason);
    })();
    return stopping;
  };

  await server.listen();
  const watchdog = watchSocket(paths.socket, opts.watchdogMs ?? 5_000, stop);
  log(
    `runner ${process.pid} serving ${status().site} on ${paths.socket} (store ${paths.store}, idle exit ${idleMs > 0 ? `${Math.round(idleMs / 1000)} s` : 'off'})`,
  );
  armIdle();
  return { paths, site, wb, server, closed, stop };
}

/** The inventory the dashboards follow, and how a notice reaches it (the last 20 kept for status). */
function inventoryWithNotices(site: Site, config: Config, waits: WaitBoard, notices: RunnerNotice[]) {
  const inventory = new InventoryService(site, { waits, maasTimeoutMs: config.maasTimeoutMs });
  const notify = (notice: RunnerNotice) => {
    notices.push(notice);
    if (notices.length > 20) notices.shift();
    inventory.announce(notice);
  };
  for (const n of notices) inventory.announce(n);
  return { inventory, notify };
}

/** Tasks running or queued in this runner's engine. */
function busyCount(wb: Workbench): number {
  const load = wb.engine.load();
  return load.running + load.queued;
}

/** Ids of the tasks this runner is running now. */
function runningTaskIds(wb: Workbench): string[] {
  return (
    wb.store.tasks
      .peekAll()
      .filter(inFlight)
      // With etcd the list holds the other jump hosts' tasks too: only this runner's count here.
      .filter((t) => !wb.etcd || wb.etcd.holds(t.id))
      .map((t) => t.id)
  );
}

/** The exit after `idleMs` with no client and no task; `arm` again whenever either may have gone. */
function idleExit(o: {
  idleMs: number;
  quiet: () => boolean;
  stopping: () => boolean;
  stop: (why: string) => void;
}) {
  let timer: NodeJS.Timeout | null = null;
  const cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const arm = () => {
    cancel();
    if (o.idleMs <= 0 || o.stopping() || !o.quiet()) return;
    timer = setTimeout(() => {
      if (o.quiet()) o.stop(`idle for ${Math.round(o.idleMs / 1000)} s`);
      else arm();
    }, o.idleMs);
    timer.unref();
  };
  return { arm, cancel };
}

/** The rack file, read again when it changes (not for the lab, whose rack the lab writes). */
async function watchRackFile(
  config: Config,
  site: Site,
  log: (line: string) => void,
  notify: (n: RunnerNotice) => void,
  inventory: InventoryService,
): Promise<RackReloader | undefined> {
  if (config.lab || !config.rackFile) return undefined;
  const rack = new RackReloader(config.rackFile, site.topology, {
    log,
    onNotice: (notice, reloaded) => {
      notify(notice);
      if (reloaded) inventory.reloadLayout();
    },
  });
  const opened = site.rackText;
  // From here the reloader holds the text in use: the site's would outlive the next edit.
  delete site.rackText;
  await rack.start(opened);
  return rack;
}

/**
 * A client's settings against this runner's; an edited rack file is looked at again first. The
 * runner's own hashes are made once per rack file text (ten thousand password variables are ten
 * thousand HMACs), not at every client's hello.
 */
function settingsDriftCheck(config: Config, rack: RackReloader | undefined, cookie: string) {
  const made = new Map<boolean, { rackText: string | undefined; fingerprint: SettingsFingerprint }>();
  const fingerprintOf = (perPassword: boolean): SettingsFingerprint => {
    const rackText = rack?.text;
    let m = made.get(perPassword);
    if (!m || m.rackText !== rackText) {
      m = { rackText, fingerprint: settingsFingerprint({ config, rackText }, cookie, perPassword) };
      made.set(perPassword, m);
    }
    return m.fingerprint;
  };
  return async (client: SettingsFingerprint, perPassword: boolean) => {
    let drift = settingsDrift(client, fingerprintOf(perPassword));
    if (!rack || !drift.includes('RACKPILOT_RACK_FILE')) return { drift };
    await rack.check();
    drift = settingsDrift(client, fingerprintOf(perPassword));
    const refused = drift.includes('RACKPILOT_RACK_FILE') && rack.refusedEdit;
    return {
      drift,
      ...(refused && {
        note: `the rack file's last edit is invalid: the runner keeps the previous one (\`rackpilot rack validate ${rack.path}\` names the problems)`,
      }),
    };
  };
}

type SideWork = ReturnType<typeof startTaskSideWork>;

/** The requests about the site: catalog, tasks, troubleshooting, checks and live reads. */
function siteHandlers(
  ctx: { site: Site; wb: Workbench },
  o: {
    inventory: InventoryService;
    powerSweep: SideWork['powerSweep'];
    waits: WaitBoard;
    consoles: SideWork['consoles'];
  },
): Handlers {
  return {
    ...catalogHandlers(ctx),
    ...taskHandlers(ctx),
    ...taskReadHandlers(ctx),
    ...troubleshootHandlers(ctx, o.powerSweep, {
      // The inventory's rows once it has listed MaaS: one follow step (events since the last
      // poll, the machines they name) instead of listing 10,000 machines for each triage.
      rows: async () => {
        if (!o.inventory.follower.ready) return null;
        await o.inventory.follower.step();
        return [...o.inventory.follower.state().rows];
      },
      console: (hostname, signal) => sampleConsole(o.consoles, hostname, signal ? { signal } : {}),
      waits: o.waits,
    }),
    ...siteCheckHandlers(ctx),
    ...liveReadHandlers(ctx, o.waits),
    ...gearReadHandlers(ctx, o.waits),
  };
}

/**
 * The engine's events, the store's catalog changes and (with etcd) the other jump hosts' tasks to
 * the clients; `onTaskEnd` once a task's slot is free. Returns the unsubscribe.
 */
function forwardEvents(
  o: {
    wb: Workbench;
    server: RunnerServer;
    inventory: InventoryService;
    powerSweep: SideWork['powerSweep'];
    log: (line: string) => void;
  },
  onTaskEnd: () => void,
): () => void {
  const { wb, server, inventory, powerSweep, log } = o;
  // Catalog changes reach the dashboards as one notice per burst, naming the collections.
  const changed = new Set<string>();
  let catalogTimer: NodeJS.Timeout | null = null;
  const offStore = wb.store.subscribe((collection) => {
    if (collection === 'tasks') return;
    changed.add(collection);
    catalogTimer ??= setTimeout(() => {
      catalogTimer = null;
      server.publishCatalog([...changed]);
      changed.clear();
    }, 50);
  });
  // With etcd, tasks the other jump hosts run (and those taken over here) reach these clients too.
  const offRemote =
    wb.etcd?.onRemoteTask((before, after) => {
      for (const e of remoteTaskEvents(before, after)) server.publish(e);
      if (after?.state === 'interrupted' && before?.state !== 'interrupted')
        log(`task ${after.id}: interrupted (${after.error ?? 'its runner went away'})`);
    }) ?? (() => undefined);
  const offEngine = wb.engine.subscribe((e) => {
    server.publish(e);
    if (e.type === 'task-created' || e.type === 'task-started') log(`task ${e.taskId}: ${e.type}`);
    else if (FINAL_EVENTS.has(e.type)) {
      log(`task ${e.taskId}: ${e.type}${'error' in e ? ` — ${e.error}` : ''}`);
      // The engine frees the task's slot just after its final event.
      setImmediate(onTaskEnd);
      // The screen follows the gear: the rows the task touched read again now, not at the next
      // poll (its host's power too: see startTaskSideWork).
      if (wb.engine.peek(e.taskId)?.target.hostname) inventory.nudge();
    }
  });
  powerSweep?.onChange((c) => {
    if (
      c.outOfBand ||
      c.current.answer !== (c.previous?.answer ?? 'ok') ||
      c.current.power !== c.previous?.power
    )
      server.publishNotice(POWER_NOTIFICATION, { power: c.current, outOfBand: c.outOfBand });
  });
  powerSweep?.start();
  return () => {
    offEngine();
    offRemote();
    offStore();
    if (catalogTimer) clearTimeout(catalogTimer);
  };
}

function runnerStatus(o: {
  config: Config;
  paths: RunnerPaths;
  site: Site;
  wb: Workbench;
  startedAt: Date;
  idleMs: number;
  rack: RackReloader | undefined;
  notices: RunnerNotice[];
  server: RunnerServer;
}): Result<'runner.status'> {
  const load = o.wb.engine.load();
  return {
    pid: process.pid,
    version: PROTOCOL_VERSION,
    startedAt: o.startedAt.toISOString(),
    uptimeMs: Date.now() - o.startedAt.getTime(),
    site: o.site.label === 'lab' ? `lab (${o.site.maas.baseUrl.replace(/api\/2\.0\/$/, '')})` : o.site.label,
    store: o.paths.store,
    socket: o.paths.socket,
    log: o.paths.log,
    lab: o.config.lab,
    clients: o.server.clientCount,
    tasksRunning: load.running,
    tasksQueued: load.queued,
    idleExitMs: o.idleMs,
    draining: o.server.draining,
    rackFile: o.rack ? { path: o.rack.path, loadedAt: o.rack.loadedAt.toISOString() } : null,
    notices: [...o.notices],
    ...(o.wb.etcd && { coordination: o.wb.etcd.describe() }),
  };
}

/** Stops the runner when its socket file is removed or replaced: a runner nobody can reach must go. */
function watchSocket(socket: string, everyMs: number, stop: (why: string) => unknown): NodeJS.Timeout {
  const ino = statSync(socket).ino;
  const timer = setInterval(() => {
    try {
      if (statSync(socket).ino !== ino) void stop('its socket was replaced');
    } catch {
      void stop('its socket file was removed');
    }
  }, everyMs);
  timer.unref();
  return timer;
}

/** `rackpilot runner serve`: the detached process itself. Returns when the runner has stopped. */
export async function runnerMain(env: Readonly<Record<string, string | undefined>>): Promise<number> {
  let runner: RunningRunner;
  try {
    runner = await startRunner({ env });
  } catch (err) {
    if (err instanceof RunnerBusyError) {
      // Another runner won the race for this site: the client connects to that one.
      process.stdout.write(`${new Date().toISOString()} not starting: ${err.message}\n`);
      return 0;
    }
    process.stdout.write(`${new Date().toISOString()} cannot start: ${describeError(err)}\n`);
    return 1;
  }
  const onSignal = (sig: string) => void runner.stop(`${sig} received`);
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  // A runner has no terminal: a hang-up of the one that started it must not stop it.
  process.on('SIGHUP', () => undefined);
  const why = await runner.closed;
  process.stdout.write(`${new Date().toISOString()} stopped (${why})\n`);
  return 0;
}
