import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO } from '../e2e/helpers.ts';

/**
 * One path to the gear: the dashboard process talks to the runner only. Its module graph (the CLI
 * entry, then the dashboard command, every import that is not type-only) holds no SSH, IPMI, MaaS
 * or lab client, and no code of it asks the command context for the site's clients. The terminal
 * test of the details view checks the same from the outside: the process holds no TCP or UDP socket.
 */

interface Graph {
  /** Repository-relative path → the file that imported it first. */
  files: Map<string, string>;
  packages: Map<string, string>;
  /** Dynamic `import()` specifiers, by the file that holds them. */
  dynamic: { file: string; spec: string }[];
}

function importsOf(file: string): { spec: string; dynamic: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: { spec: string; dynamic: boolean }[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      out.push({ spec: (node.moduleSpecifier as ts.StringLiteral).text, dynamic: false });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      out.push({ spec: (node.moduleSpecifier as ts.StringLiteral).text, dynamic: false });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push({ spec: node.arguments[0].text, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** The modules loaded when these entries load: static imports, followed transitively. */
function staticGraph(entries: string[]): Graph {
  const g: Graph = { files: new Map(), packages: new Map(), dynamic: [] };
  const walk = (file: string, from: string) => {
    const rel = relative(REPO, file);
    if (g.files.has(rel)) return;
    g.files.set(rel, from);
    for (const { spec, dynamic } of importsOf(file)) {
      if (dynamic) {
        g.dynamic.push({ file: rel, spec });
        continue;
      }
      if (!spec.startsWith('.')) {
        if (!g.packages.has(spec)) g.packages.set(spec, rel);
        continue;
      }
      const target = resolve(dirname(file), spec);
      if (!existsSync(target)) throw new Error(`${rel} imports ${spec}, which does not exist`);
      walk(target, rel);
    }
  };
  for (const e of entries) walk(join(REPO, e), '(entry)');
  return g;
}

const GEAR_MODULES = [/^src\/ipmi\//, /^src\/switch\//, /^src\/lab\//, /^src\/site\//, /^src\/maas\/client/];
const GEAR_PACKAGES = ['ssh2', 'node:dgram', 'dgram', 'ky', 'oauth-1.0a', 'etcd3'];

describe('the dashboard process reaches the gear only through the runner', () => {
  const graph = staticGraph(['src/cli.tsx', 'src/commands/dashboard.tsx']);

  it('loads no SSH, IPMI, MaaS or lab client', () => {
    expect(graph.files.size).toBeGreaterThan(20);
    expect(graph.files.has('components/HostDetail.tsx')).toBe(true);
    const gear = [...graph.files].filter(([f]) => GEAR_MODULES.some((re) => re.test(f)));
    expect(gear.map(([f, from]) => `${f} (imported by ${from})`)).toEqual([]);
    const packages = [...graph.packages].filter(([p]) => GEAR_PACKAGES.includes(p));
    expect(packages.map(([p, from]) => `${p} (imported by ${from})`)).toEqual([]);
  });

  it('never asks for the site clients, which the command context would load on demand', () => {
    // The CLI's dispatcher (main.ts) asks for them for the `switch` command; the dashboard's own
    // modules never do.
    const own = staticGraph(['src/commands/dashboard.tsx']);
    const callers = [...own.files.keys()].filter((f) =>
      /\.site\(\)/.test(readFileSync(join(REPO, f), 'utf8')),
    );
    expect(callers).toEqual([]);
    // The one dynamic import of the site's clients is the context's, for CLI commands only.
    const site = graph.dynamic.filter((d) => d.spec.includes('site/open'));
    expect(site).toEqual([{ file: 'src/commands/context.ts', spec: '../site/open.ts' }]);
  });

  it('would see a client if one were imported (the walker follows re-exports and skips type-only imports)', () => {
    const g = staticGraph(['src/runner/service/live-read.ts', 'src/site/open.ts']);
    expect([...g.files.keys()].some((f) => f.startsWith('src/ipmi/'))).toBe(true);
    expect(g.packages.has('ssh2') || [...g.files.keys()].some((f) => f.startsWith('src/switch/'))).toBe(true);
    // live-warnings.ts imports the protocol's types only: none of the runner's modules come with it.
    const warnings = staticGraph(['components/live-warnings.ts']);
    expect([...warnings.files.keys()]).toEqual(['components/live-warnings.ts']);
  });
});
