import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../config/index.ts';
import { acquirePidLock } from './pid-lock.ts';
import { openSite, type Site } from './site/open.ts';
import { InventoryService } from './inventory/service.ts';
import { openWorkbench, type Workbench } from './site/workbench.ts';
import { remoteTaskEvents } from './coord/task-events.ts';
import { describeError } from '../util/errors.ts';
import { redact } from '../util/redact.ts';
import { inFlight } from '../protocol/task-states.ts';
import { INVENTORY_NOTIFICATION, PROTOCOL_VERSION, type Result } from '../protocol/messages.ts';
import { ensureRunnerDirs, runnerPaths, type RunnerPaths } from '../config/runner-paths.ts';
import { RunnerServer } from './server.ts';
import { openLabSite, seedLabCatalog } from './lab-site.ts';
import { labSiteFiles, siteIdentity, siteStorePath } from './site-files.ts';
import { catalogHandlers } from './service/catalog.ts';
import { taskHandlers } from './service/tasks.ts';
import { taskReadHandlers } from './service/task-reads.ts';
import { peerDeadline, stillWaiting, type Handlers } from './service/context.ts';
import { WaitBoard } from './waits.ts';
import { liveReadHandlers } from './service/live-read.ts';
import { createPowerSweep, troubleshootHandlers } from './service/troubleshoot.ts';
import { createConsoleHub } from './console/runner-consoles.ts';
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
  } catch (err) {
    await wb?.close().catch(() => undefined);
    await site?.close().catch(() => undefined);
    lock.release();
    throw err;
  }
  const openedSite = site;
  const openedWb = wb;
  const idleMs = opts.idleMs ?? config.runnerIdleMs;
  const startedAt = new Date();

  let stopping: Promise<void> | null = null;
  let resolveClosed!: (why: string) => void;
  const closed = new Promise<string>((r) => (resolveClosed = r));
  let idleTimer: NodeJS.Timeout | null = null;
  const waits = new WaitBoard();
  const inventory = new InventoryService(openedSite, { waits, maasTimeoutMs: config.maasTimeoutMs });
  const notify = (notice: RunnerNotice) => {
    notices.push(notice);
    if (notices.length > 20) notices.shift();
    inventory.announce(notice);
  };
  for (const n of notices) inventory.announce(n);
  const rack =
    !config.lab && config.rackFile
      ? new RackReloader(config.rackFile, openedSite.topology, {
          log,
          onNotice: (notice, reloaded) => {
            notify(notice);
            if (reloaded) inventory.reloadLayout();
          },
        })
      : undefined;
  await rack?.start();
  const fingerprintOf = (): SettingsFingerprint =>
    settingsFingerprint({ config, rackText: rack?.text }, cookie);
  /** A client's settings against this runner's; an edited rack file is looked at again first. */
  const driftOf = async (client: SettingsFingerprint) => {
    let drift = settingsDrift(client, fingerprintOf());
    if (!rack || !drift.includes('RACKPILOT_RACK_FILE')) return { drift };
    await rack.check();
    drift = settingsDrift(client, fingerprintOf());
    const refused = drift.includes('RACKPILOT_RACK_FILE') && rack.refusedEdit;
    return {
      drift,
      ...(refused && {
        note: `the rack file's last edit is invalid: the runner keeps the previous one (\`rackpilot rack validate ${rack.path}\` names the problems)`,
      }),
    };
  };

  const busy = () => {
    const load = openedWb.engine.load();
    return load.running + load.queued;
  };
  const armIdle = () => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    if (idleMs <= 0 || stopping) return;
    if (server.clientCount > 0 || busy() > 0) return;
    idleTimer = setTimeout(() => {
      if (server.clientCount === 0 && busy() === 0) void stop(`idle for ${Math.round(idleMs / 1000)} s`);
      else armIdle();
    }, idleMs);
    idleTimer.unref();
  };

  const runnerHandlers: Handlers = {
    'runner.status': async () => status(),
    'runner.stop': async ({ force, whenIdle }) => {
      const running = runningTasks();
      if (whenIdle && !force) {
        // `runner restart`: nothing new starts; the runner goes when the last running task ends.
        server.draining = true;
        log(
          running.length > 0
            ? `restart asked: refusing changes, stopping once ${running.length} running task(s) end: ${running.join(', ')}`
            : 'restart asked: no task running',
        );
        stopWhenDrained();
        return { stopping: true, interrupted: [] };
      }
      if (running.length > 0 && !force) {
        const { OperatorError } = await import('../util/errors.ts');
        throw new OperatorError(`${running.length} task(s) running: ${running.join(', ')}`, {
          hint: 'wait for them (`rackpilot tasks`), or `rackpilot runner stop --force`: they stop where they are and show as interrupted, to resume or roll back',
        });
      }
      setImmediate(() => void stop(force ? 'stopped by the operator (--force)' : 'stopped by the operator'));
      return { stopping: true, interrupted: running };
    },
    'inventory.snapshot': async (_p, _caller, request) => {
      // A one-off read (`rackpilot hosts`): fresh unless a dashboard keeps the rows followed. One
      // step, one deadline: a failed list is the answer, never followed by a second try.
      const deadline = peerDeadline(request, config.maasTimeoutMs, 'RACKPILOT_MAAS_TIMEOUT');
      try {
        if (inventory.subscriberCount === 0 || !inventory.follower.ready)
          await inventory.refresh(deadline.signal);
      } catch (err) {
        throw stillWaiting(err, waits);
      } finally {
        deadline.dispose();
      }
      return inventory.current();
    },
    'inventory.subscribe': async (_p, caller) => {
      caller.subscription.inventory?.();
      caller.subscription.inventory = inventory.subscribe((d) =>
        caller.notify(INVENTORY_NOTIFICATION, {
          version: d.version,
          upsert: d.upsert.map((r) => ({ ...r, ports: [...r.ports], macs: [...r.macs] })),
          remove: d.remove,
          refreshedAt: d.refreshedAt,
          error: d.error,
          notice: d.notice,
        }),
      );
      return inventory.snapshot();
    },
    'inventory.unsubscribe': async (_p, caller) => {
      caller.subscription.inventory?.();
      caller.subscription.inventory = undefined;
      return {};
    },
    'inventory.refresh': async () => {
      await inventory.refresh();
      return {};
    },
  };
  const runningTasks = () =>
    openedWb.store.tasks
      .list()
      .filter(inFlight)
      // With etcd the list holds the other jump hosts' tasks too: only this runner's count here.
      .filter((t) => !openedWb.etcd || openedWb.etcd.holds(t.id))
      .map((t) => t.id);
  const stopWhenDrained = () => {
    if (!server.draining || stopping) return;
    if (runningTasks().length === 0 && busy() === 0)
      setImmediate(() => void stop('restarted by the operator (its tasks had ended)'));
  };
  const ctx = { site: openedSite, wb: openedWb };
  const consoles = createConsoleHub(openedWb, paths.store, config.consoleScrollbackBytes, log);
  // Power from the BMCs: RACKPILOT_POWER_SWEEP_MS sets the sweep's period (0 turns it off;
  // unset, it is paced to the number of BMCs).
  const sweepMs = config.powerSweepMs;
  const powerSweep =
    sweepMs === 0
      ? undefined
      : createPowerSweep(openedSite, openedWb, {
          ...(sweepMs !== undefined && { intervalMs: sweepMs }),
          log,
        });
  const server = new RunnerServer({
    socketPath: paths.socket,
    cookie,
    site: siteIdentity(config),
    lab: config.lab,
    settingsDrift: driftOf,
    handlers: {
      ...catalogHandlers(ctx),
      ...taskHandlers(ctx),
      ...taskReadHandlers(ctx),
      ...troubleshootHandlers(ctx, powerSweep, {
        // The inventory's rows once it has listed MaaS: one follow step (events since the last
        // poll, the machines they name) instead of listing 10,000 machines for each triage.
        rows: async () => {
          if (!inventory.follower.ready) return null;
          await inventory.follower.step();
          return [...inventory.follower.state().rows];
        },
      }),
      ...siteCheckHandlers(ctx),
      ...liveReadHandlers(ctx),
      ...consoleHandlers(consoles.hub),
      ...runnerHandlers,
    },
    onClients: () => armIdle(),
    describeWaits: () => waits.describe(),
    log,
  });

  // Catalog changes reach the dashboards as one notice per burst, naming the collections.
  const changed = new Set<string>();
  let catalogTimer: NodeJS.Timeout | null = null;
  const offStore = openedWb.store.subscribe((collection) => {
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
    openedWb.etcd?.onRemoteTask((before, after) => {
      for (const e of remoteTaskEvents(before, after)) server.publish(e);
      if (after?.state === 'interrupted' && before?.state !== 'interrupted')
        log(`task ${after.id}: interrupted (${after.error ?? 'its runner went away'})`);
    }) ?? (() => undefined);
  const unsubscribe = openedWb.engine.subscribe((e) => {
    server.publish(e);
    if (e.type === 'task-created' || e.type === 'task-started') log(`task ${e.taskId}: ${e.type}`);
    else if (e.type.startsWith('task-')) {
      log(`task ${e.taskId}: ${e.type}${'error' in e ? ` — ${e.error}` : ''}`);
      // The engine frees the task's slot just after its final event.
      setImmediate(() => {
        armIdle();
        stopWhenDrained();
      });
      // The screen follows the gear: the rows the task touched read again now, not at the next poll.
      const host = openedWb.engine.get(e.taskId)?.target.hostname;
      if (host) {
        inventory.nudge();
        void powerSweep?.recheck(host).catch(() => undefined);
      }
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

  const status = (): Result<'runner.status'> => {
    const load = openedWb.engine.load();
    return {
      pid: process.pid,
      version: PROTOCOL_VERSION,
      startedAt: startedAt.toISOString(),
      uptimeMs: Date.now() - startedAt.getTime(),
      site:
        openedSite.label === 'lab'
          ? `lab (${openedSite.maas.baseUrl.replace(/api\/2\.0\/$/, '')})`
          : openedSite.label,
      store: paths.store,
      socket: paths.socket,
      log: paths.log,
      lab: config.lab,
      clients: server.clientCount,
      tasksRunning: load.running,
      tasksQueued: load.queued,
      idleExitMs: idleMs,
      draining: server.draining,
      rackFile: rack ? { path: rack.path, loadedAt: rack.loadedAt.toISOString() } : null,
      notices: [...notices],
      ...(openedWb.etcd && { coordination: openedWb.etcd.describe() }),
    };
  };

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      log(`stopping: ${reason}`);
      if (idleTimer) clearTimeout(idleTimer);
      clearInterval(watchdog);
      rack?.close();
      powerSweep?.dispose();
      consoles.dispose();
      await consoles.hub.close().catch(() => undefined);
      unsubscribe();
      offRemote();
      offStore();
      inventory.close();
      if (catalogTimer) clearTimeout(catalogTimer);
      await server.close(reason).catch(() => undefined);
      await openedWb.close().catch((err) => log(`closing the store: ${describeError(err)}`));
      await openedSite.close().catch(() => undefined);
      lock.release();
      resolveClosed(reason);
    })();
    return stopping;
  };

  await server.listen();
  const socketIno = statSync(paths.socket).ino;
  const watchdog = setInterval(() => {
    try {
      if (statSync(paths.socket).ino !== socketIno) void stop('its socket was replaced');
    } catch {
      void stop('its socket file was removed');
    }
  }, opts.watchdogMs ?? 5_000);
  watchdog.unref();
  log(
    `runner ${process.pid} serving ${status().site} on ${paths.socket} (store ${paths.store}, idle exit ${idleMs > 0 ? `${Math.round(idleMs / 1000)} s` : 'off'})`,
  );
  armIdle();
  return { paths, site: openedSite, wb: openedWb, server, closed, stop };
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
