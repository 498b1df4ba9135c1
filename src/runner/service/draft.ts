/** The workflows read records through the store; a plan reads a draft record that is never saved. */
export function withDraft<D extends { store: object }>(
  deps: D,
  collection: 'hosts' | 'instances',
  draft: { id: string },
): D {
  const store = deps.store as unknown as Record<
    string,
    { get(id: string): unknown; peek(id: string): unknown }
  >;
  const real = store[collection]!;
  const overlay = Object.create(real) as { get(id: string): unknown; peek(id: string): unknown };
  overlay.get = (id: string) => (id === draft.id ? structuredClone(draft) : real.get(id));
  overlay.peek = (id: string) => (id === draft.id ? draft : real.peek(id));
  const storeOverlay = Object.create(deps.store) as Record<string, unknown>;
  storeOverlay[collection] = overlay;
  return { ...deps, store: storeOverlay };
}
