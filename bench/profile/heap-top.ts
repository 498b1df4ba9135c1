/**
 * What a V8 heap snapshot holds: the retained size summed by kind and constructor, the largest
 * strings, and with `--retainers TEXT` the chains of objects that keep each large string starting
 * with TEXT alive (how the runner was found keeping its rack file's text twice, through slices).
 *
 *   node_modules/.bin/node --max-old-space-size=8000 --import tsx bench/profile/heap-top.ts SNAPSHOT [--top 25] [--retainers TEXT]
 *
 * A snapshot of a running runner: start it with `NODE_OPTIONS=--heapsnapshot-signal=SIGUSR1`
 * (`kill -USR1 PID` writes `Heap.*.heapsnapshot` in its working directory).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** The snapshot's flat arrays, read as nodes (by their offset in `nodes`) and reverse edges. */
class Heap {
  private readonly width: number;
  private readonly at: Record<'type' | 'name' | 'self_size' | 'edge_count', number>;

  constructor(private readonly s: Snapshot) {
    const f = s.snapshot.meta.node_fields;
    this.width = f.length;
    this.at = {
      type: f.indexOf('type'),
      name: f.indexOf('name'),
      self_size: f.indexOf('self_size'),
      edge_count: f.indexOf('edge_count'),
    };
  }

  *nodes(): Generator<number> {
    for (let i = 0; i < this.s.nodes.length; i += this.width) yield i;
  }
  type(n: number): string {
    return this.s.snapshot.meta.node_types[0][this.s.nodes[n + this.at.type]!]!;
  }
  name(n: number): string {
    return this.s.strings[this.s.nodes[n + this.at.name]!]!;
  }
  size(n: number): number {
    return this.s.nodes[n + this.at.self_size]!;
  }
  label(n: number): string {
    return `${this.type(n)} ${JSON.stringify(this.name(n).slice(0, 60))}`;
  }

  /** For each node, the nodes that point at it, with the edge's kind and name. */
  retainers(): Map<number, [from: number, edge: string][]> {
    const { edges, strings } = this.s;
    const ef = this.s.snapshot.meta.edge_fields;
    const kinds = this.s.snapshot.meta.edge_types[0];
    const [ti, ni, to] = [ef.indexOf('type'), ef.indexOf('name_or_index'), ef.indexOf('to_node')];
    const out = new Map<number, [number, string][]>();
    let e = 0;
    for (const n of this.nodes()) {
      for (let k = this.s.nodes[n + this.at.edge_count]!; k > 0; k--, e += ef.length) {
        const kind = kinds[edges[e + ti]!]!;
        const name = kind === 'element' || kind === 'hidden' ? edges[e + ni] : strings[edges[e + ni]!];
        const target = edges[e + to]!;
        const list = out.get(target) ?? [];
        list.push([n, `${kind} ${name}`]);
        out.set(target, list);
      }
    }
    return out;
  }
}

function mb(bytes: number): string {
  return (bytes / 1048576).toFixed(2).padStart(8);
}

function main(argv: string[]): void {
  let top = 25;
  let retain: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else if (argv[i] === '--retainers') retain = argv[++i];
    else files.push(argv[i]!);
  }
  if (files.length !== 1 || !Number.isInteger(top) || top < 1) {
    console.error('usage: bench/profile/heap-top.ts SNAPSHOT [--top N] [--retainers TEXT]');
    process.exit(2);
  }
  const heap = new Heap(JSON.parse(readFileSync(files[0]!, 'utf8')) as Snapshot);
  const byKind = new Map<string, [bytes: number, count: number]>();
  const strings: number[] = [];
  let total = 0;
  for (const n of heap.nodes()) {
    const type = heap.type(n);
    const key = ['object', 'closure', 'native'].includes(type) ? `${type} ${heap.name(n)}` : type;
    const row = byKind.get(key) ?? [0, 0];
    row[0] += heap.size(n);
    row[1] += 1;
    byKind.set(key, row);
    total += heap.size(n);
    if (type.endsWith('string')) strings.push(n);
  }
  console.log(`${mb(total)} MB in all; by kind (MB, count):`);
  for (const [key, [bytes, count]] of [...byKind].sort((a, b) => b[1][0] - a[1][0]).slice(0, top))
    console.log(`${mb(bytes)} ${String(count).padStart(9)}  ${key.slice(0, 70)}`);
  strings.sort((a, b) => heap.size(b) - heap.size(a));
  console.log('\nthe largest strings (MB):');
  for (const n of strings.slice(0, 10)) console.log(`${mb(heap.size(n))}  ${heap.label(n)}`);
  if (retain === undefined) return;
  const retainers = heap.retainers();
  for (const n of strings.filter((s) => heap.size(s) > 65536 && heap.name(s).startsWith(retain))) {
    console.log(`\nwhat keeps ${heap.label(n)} (${mb(heap.size(n)).trim()} MB) alive:`);
    const seen = new Set<number>();
    const up = (node: number, depth: number): void => {
      if (depth > 6) return;
      for (const [from, edge] of (retainers.get(node) ?? []).slice(0, 3)) {
        if (seen.has(from)) continue;
        seen.add(from);
        console.log(`${'  '.repeat(depth)}← [${edge}] ${heap.label(from)}`);
        up(from, depth + 1);
      }
    };
    up(n, 1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
