import type { Store } from '../store/store.ts';
import type { Task, TaskTarget } from '../../protocol/records.ts';
import type { JournalWrite } from './coordination.ts';
import { ParkedTasks } from './parked-tasks.ts';

/** Keys naming what a target touches: the host by id and by name, the instance, the instance's host. */
export function keysForTarget(store: Pick<Store, 'hosts' | 'instances'>, target: TaskTarget): string[] {
  const keys = new Set<string>();
  const hosts = store.hosts;
  const addHost = (hostId?: string, hostname?: string) => {
    const h =
      (hostId !== undefined ? hosts.peekBy('id', hostId) : undefined) ??
      (hostname !== undefined ? hosts.peekBy('hostname', hostname) : undefined);
    if (hostId ?? h?.id) keys.add(`host:${hostId ?? h!.id}`);
    if (hostname ?? h?.hostname) keys.add(`hostname:${hostname ?? h!.hostname}`);
    if (h) {
      keys.add(`host:${h.id}`);
      keys.add(`hostname:${h.hostname}`);
    }
  };
  addHost(target.hostId, target.hostname);
  if (target.instanceId) {
    keys.add(`instance:${target.instanceId}`);
    const inst = store.instances.peekBy('id', target.instanceId);
    if (inst) addHost(inst.hostId, undefined);
  }
  return [...keys];
}

/**
 * The journal half of a coordinator, over the Store API (a local file or etcd behind it): task
 * reads and writes, and the index of interrupted tasks by the keys they hold, kept current on
 * every write that moves a task into or out of 'interrupted'.
 */
export abstract class StoreJournal {
  protected readonly parked = new ParkedTasks();

  constructor(readonly store: Store) {
    for (const t of store.tasks.peekAll()) if (t.state === 'interrupted') this.park(t);
  }

  keysFor(target: TaskTarget): string[] {
    return keysForTarget(this.store, target);
  }

  protected park(t: Readonly<Task>): void {
    if (!this.parked.has(t.id)) this.parked.park(t.id, this.keysFor(t.target));
  }

  protected unpark(id: string): void {
    this.parked.unpark(id);
  }

  async insertTask(task: Task): Promise<void> {
    await this.store.tasks.insert(task);
    if (task.state === 'interrupted') this.park(task);
  }

  mutateTask(id: string, fn: (task: Task) => void, opts: JournalWrite = {}): Promise<void> {
    return this.store.tasks.mutate(
      id,
      (t) => {
        const was = t.state;
        fn(t);
        if (t.state === was) return;
        if (t.state === 'interrupted') this.park(t);
        else if (was === 'interrupted') this.unpark(t.id);
      },
      opts,
    );
  }

  task(id: string): Readonly<Task> | undefined {
    return this.store.tasks.peek(id);
  }

  tasks(): readonly Readonly<Task>[] {
    return this.store.tasks.peekAll();
  }

  async removeTasks(ids: ReadonlySet<string>): Promise<number> {
    if (ids.size === 0) return 0;
    for (const id of ids) this.unpark(id);
    return this.store.tasks.removeWhere((t) => ids.has(t.id));
  }

  flush(): Promise<void> {
    return this.store.flush();
  }
}
