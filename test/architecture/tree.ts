import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/**
 * The tree read by its imports: which room each file lives in, which rooms each may import, and
 * the file-level import graph (static and type-only imports alike; dynamic `import()` too, since
 * it couples the files just the same).
 */
export const REPO = normalize(join(import.meta.dirname, '../..'));

const ROOMS_BELOW_BIN = [
  'src/util',
  'src/gear',
  'src/protocol',
  'src/config',
  'src/runner',
  'src/client',
  'state',
  'components',
  'src/cli',
];

/** Rooms, and the rooms each may import besides itself. The order is the order of the layers. */
export const ALLOWED: Record<string, readonly string[]> = {
  'src/util': [],
  'src/gear': ['src/util'],
  'src/protocol': ['src/util', 'src/gear'],
  'src/config': ['src/util', 'src/gear', 'src/protocol'],
  'src/lab': ['src/util', 'src/gear', 'src/protocol', 'src/config'],
  'src/runner': ['src/util', 'src/gear', 'src/protocol', 'src/config', 'src/lab'],
  'src/client': ['src/util', 'src/protocol', 'src/config'],
  state: ['src/util', 'src/protocol', 'src/config', 'src/client'],
  components: ['src/util', 'src/protocol', 'src/config', 'state'],
  'src/cli': [
    'src/util',
    'src/gear',
    'src/protocol',
    'src/config',
    'src/runner',
    'src/client',
    'state',
    'components',
  ],
  // The build and documentation scripts: above everything.
  'src/bin': [...ROOMS_BELOW_BIN],
};

/** The one file of the product that may start the lab (tests and the bench aside). */
export const LAB_SEAM = 'src/runner/lab-host.ts';

export function roomOf(file: string): string | null {
  const parts = file.split('/');
  if (parts[0] === 'state' || parts[0] === 'components') return parts[0];
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return null;
}

export function filesUnder(dir: string, out: string[] = [], root = REPO): string[] {
  for (const name of readdirSync(join(root, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) filesUnder(rel, out, root);
    else if (/\.(ts|tsx)$/.test(name)) out.push(rel);
  }
  return out;
}

export function productFiles(): string[] {
  return ['src', 'state', 'components'].flatMap((d) => filesUnder(d));
}

const STATIC = /(?:^|\s)(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gms;
const DYNAMIC = /import\(\s*'(\.[^']+)'\s*\)/g;

/**
 * Each file's relative imports, resolved to repository paths: static ones (type-only included),
 * and dynamic `import()` too when asked. Layers count both; circles count static imports only,
 * since a deferred `import()` is how the command registry loads a command on demand.
 */
export function importGraph(
  files: readonly string[] = productFiles(),
  opts: { dynamic: boolean } = { dynamic: true },
  root = REPO,
): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = readFileSync(join(root, file), 'utf8');
    const targets = new Set<string>();
    const specs = [...source.matchAll(STATIC)].map((m) => (m[1] ?? m[2])!);
    if (opts.dynamic) specs.push(...[...source.matchAll(DYNAMIC)].map((m) => m[1]!));
    for (const spec of specs) targets.add(relative(REPO, join(REPO, dirname(file), spec)));
    graph.set(file, [...targets]);
  }
  return graph;
}

export interface Violation {
  from: string;
  to: string;
  why: string;
}

/** Imports that run upward (or sideways between the runner and the client), and lab imports outside its seam. */
export function violations(graph: Map<string, string[]>): Violation[] {
  const out: Violation[] = [];
  for (const [from, targets] of graph) {
    const a = roomOf(from);
    if (!a) continue;
    for (const to of targets) {
      const b = roomOf(to);
      if (!b || a === b) continue;
      if (!ALLOWED[a]?.includes(b)) out.push({ from, to, why: `${a} may not import ${b}` });
      else if (b === 'src/lab' && from !== LAB_SEAM)
        out.push({ from, to, why: `only ${LAB_SEAM} starts the lab` });
    }
  }
  return out;
}

/** Import circles between files: the strongly connected components of more than one file (Tarjan). */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}
