/**
 * Interrupted tasks by the host and instance keys they hold: each is parked once under its keys,
 * so "is an interrupted task on this host?" is a lookup per key, not a scan of every task.
 */
export class ParkedTasks {
  private readonly byKey = new Map<string, Set<string>>();
  private readonly keysOf = new Map<string, string[]>();

  has(id: string): boolean {
    return this.keysOf.has(id);
  }

  park(id: string, keys: readonly string[]): void {
    if (this.keysOf.has(id)) return;
    this.keysOf.set(id, [...keys]);
    for (const k of keys) {
      let ids = this.byKey.get(k);
      if (!ids) this.byKey.set(k, (ids = new Set()));
      ids.add(id);
    }
  }

  unpark(id: string): void {
    const keys = this.keysOf.get(id);
    if (!keys) return;
    this.keysOf.delete(id);
    for (const k of keys) {
      const ids = this.byKey.get(k);
      ids?.delete(id);
      if (ids?.size === 0) this.byKey.delete(k);
    }
  }

  /** The ids parked under this key. */
  on(key: string): Iterable<string> {
    return this.byKey.get(key) ?? [];
  }
}
