import { StageHistoryFile } from '../doctor/history-file.ts';
import { estimateOf } from '../doctor/history.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../store/store.ts';
import type { EtcdSite } from '../coord/etcd-site.ts';
import type { EtcdCoordinator } from '../tasks/etcd-coordinator.ts';
import { TaskJournal } from '../tasks/journal.ts';
import { pruneFinished } from '../tasks/recovery.ts';
import { TaskEngine, realClock, scaledClock, type Clock } from '../tasks/index.ts';
import { DEFAULT_SETTINGS, type WorkflowDeps, type WorkflowSettings } from '../workflows/adapters.ts';
import { registerWorkflows } from '../workflows/index.ts';
import { bmcPort, rackPort, switchPort } from './adapters.ts';
import type { Site } from './open.ts';

/**
 * The site plus what provisioning needs: the local store, the task engine and the workflows wired
 * to the site's clients. Interrupted tasks are marked at open, ready for resume or rollback.
 */
export interface Workbench {
  store: Store;
  engine: TaskEngine;
  deps: WorkflowDeps;
  /** This site's stage durations: the doctor adds to it, the waits' estimates come from it. */
  history: StageHistoryFile;
  /** Task ids found running at start (a previous process died): now `interrupted`. */
  interrupted: string[];
  /** Set when the site's runners coordinate through etcd (RACKPILOT_ETCD). */
  etcd?: EtcdCoordinator;
  close(): Promise<void>;
}

export interface WorkbenchOptions {
  concurrency?: number;
  /** Overrides for tests and benchmarks. */
  settings?: Partial<WorkflowSettings>;
  storePath?: string;
  onNotice?: (text: string) => void;
  /** Lines for the runner's log (etcd health, takeovers). */
  log?: (line: string) => void;
}

/** Timings scaled like the lab's MaaS, so a demo lab is not kept waiting by real-world polls. */
export function settingsFor(site: Site, overrides: Partial<WorkflowSettings> = {}): WorkflowSettings {
  const base: WorkflowSettings = { ...DEFAULT_SETTINGS, eraseMode: site.config.eraseMode };
  if (site.lab) {
    const s = site.config.timeScale;
    base.pollMs = Math.max(20, Math.round(DEFAULT_SETTINGS.pollMs * s));
    base.stopTimeoutMs = Math.max(200, Math.round(DEFAULT_SETTINGS.stopTimeoutMs * s));
  }
  if (site.config.pollMs !== undefined) base.pollMs = site.config.pollMs;
  return { ...base, ...overrides };
}

export function clockFor(site: Site): Clock {
  return site.lab ? scaledClock(site.config.timeScale) : realClock;
}

export async function openWorkbench(site: Site, opts: WorkbenchOptions = {}): Promise<Workbench> {
  // A lab started in this process lives only as long as the process: its store must not outlive it.
  const path =
    opts.storePath ??
    (site.lab ? join(mkdtempSync(join(tmpdir(), 'rackpilot-lab-')), 'store.json') : site.config.store);
  const clock = clockFor(site);
  const etcdSettings = site.config.etcd;
  let store: Store;
  let engine: TaskEngine;
  let etcd: { site: EtcdSite; coordinator: EtcdCoordinator } | undefined;
  if (etcdSettings) {
    // Several jump hosts: the records, tasks and locks live in etcd; no store file. The etcd client
    // (gRPC and its protobufs, ~25 MB) is loaded only here, by the runners of an etcd site.
    const [{ EtcdSite }, { EtcdStoreRemote }, { EtcdCoordinator }] = await Promise.all([
      import('../coord/etcd-site.ts'),
      import('../coord/etcd-store.ts'),
      import('../tasks/etcd-coordinator.ts'),
    ]);
    const etcdSite = await EtcdSite.open(etcdSettings, opts.log);
    try {
      const remote = new EtcdStoreRemote(etcdSite);
      store = await openStore(path, { remote, ...(opts.onNotice && { onNotice: opts.onNotice }) });
      const coordinator = new EtcdCoordinator(store, etcdSite, remote);
      etcd = { site: etcdSite, coordinator };
      engine = new TaskEngine({ store, coordinator, concurrency: opts.concurrency ?? 16, clock });
      const e = engine;
      remote.onWaiting = (taskId, waiting) =>
        e.note(
          taskId,
          waiting ? 'warn' : 'info',
          waiting
            ? `waiting for etcd since ${waiting.since} (${waiting.why}): the task goes on at its next step once etcd answers`
            : 'etcd answers again: the task goes on',
        );
    } catch (err) {
      await etcdSite.close();
      throw err;
    }
  } else {
    store = await openStore(path, { ...(opts.onNotice && { onNotice: opts.onNotice }) });
    engine = new TaskEngine({ store, concurrency: opts.concurrency ?? 16, clock });
  }
  // The site's stage history lives beside the store it belongs to (none for an in-memory store):
  // the doctor learns it, the long waits take their estimates from it.
  const history = new StageHistoryFile(store.path ? `${store.path}.stage-history.json` : null);
  const deps: WorkflowDeps = {
    maas: site.maas,
    switches: switchPort(site.switches, site.topology, site.env),
    bmcs: bmcPort(site.bmc),
    rack: rackPort(site.topology),
    store,
    settings: settingsFor(site, opts.settings),
    clock,
    estimate: (operation) => estimateOf(history.get(), operation),
  };
  registerWorkflows(engine, deps);
  // With etcd, only tasks no runner holds any more are interrupted (the others run elsewhere).
  const interrupted = etcd ? await etcd.coordinator.recoverOrphans() : await engine.recover();
  // The oldest finished tasks go, as engine.recover() does for the store file (any runner may).
  if (etcd) {
    const coord = etcd.coordinator;
    await pruneFinished(new TaskJournal(coord, clock), 1_000, (id) => coord.holds(id)).catch(() => undefined);
  }
  return {
    store,
    engine,
    deps,
    history,
    interrupted,
    ...(etcd && { etcd: etcd.coordinator }),
    close: async () => {
      if (!etcd) return store.close();
      etcd.coordinator.close();
      // The last journal writes go to etcd if it answers within seconds (see EtcdStoreRemote.close).
      await store.close();
      await etcd.site.close();
    },
  };
}
