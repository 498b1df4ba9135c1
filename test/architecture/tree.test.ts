import { describe, expect, it } from 'vitest';
import { circles, filesUnder, importGraph, roomOf, violations } from './tree.ts';

describe('the tree, read by its imports', () => {
  const graph = importGraph();

  it('has no upward import: each room imports only the rooms below it, the lab only through its seam', () => {
    expect(violations(graph).map((v) => `${v.from} -> ${v.to}: ${v.why}`)).toEqual([]);
  });

  it('has no import circle between files', () => {
    expect(circles(importGraph(undefined, { dynamic: false }))).toEqual([]);
  });

  it('places every product file in a room', () => {
    const loose = [...graph.keys()].filter((f) => roomOf(f) === null);
    expect(loose).toEqual([]);
  });

  it('keeps the views and the client model away from the gear, the runner and the lab', () => {
    const bad = [...graph]
      .filter(([f]) => /^(components|state)\//.test(f))
      .flatMap(([f, to]) => to.filter((t) => /^src\/(gear|runner|lab)\//.test(t)).map((t) => `${f} -> ${t}`));
    expect(bad).toEqual([]);
  });

  it('keeps the bench off the tests', () => {
    const bench = importGraph(filesUnder('bench'));
    expect(
      [...bench].flatMap(([f, to]) => to.filter((t) => t.startsWith('test/')).map((t) => `${f} -> ${t}`)),
    ).toEqual([]);
  });

  // The checks can fail: a planted upward import and circle are found.
  it('finds a planted upward import and a planted circle', () => {
    const planted = new Map([
      ['src/gear/maas/a.ts', ['src/runner/b.ts']],
      ['src/runner/b.ts', ['src/gear/maas/a.ts']],
    ]);
    expect(violations(planted)).toHaveLength(1);
    expect(circles(planted)).toEqual([['src/gear/maas/a.ts', 'src/runner/b.ts']]);
  });
});
