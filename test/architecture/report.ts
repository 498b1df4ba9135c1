/**
 * The tree's figures for the README: imports against the layers, circles, and the ten largest
 * files and functions. `npx tsx test/architecture/report.ts [DIR]` (DIR: another checkout).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { circles, filesUnder, importGraph, REPO, violations } from './tree.ts';

const root = process.argv[2] ?? REPO;
const files = ['src', 'state', 'components'].flatMap((d) => filesUnder(d, [], root));
const lines = (f: string) => readFileSync(join(root, f), 'utf8').split('\n').length;

function functionSizes(file: string): { name: string; lines: number }[] {
  const text = readFileSync(join(root, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: { name: string; lines: number }[] = [];
  const nameOf = (n: ts.Node): string => {
    const named = (n as { name?: ts.Node }).name;
    if (named && ts.isIdentifier(named)) return named.text;
    if (ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)) return n.parent.name.text;
    if (ts.isPropertyAssignment(n.parent) && ts.isIdentifier(n.parent.name)) return n.parent.name.text;
    return '(anonymous)';
  };
  const visit = (n: ts.Node) => {
    if (ts.isFunctionLike(n) && (n as { body?: ts.Node }).body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart()).line;
      const end = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      out.push({ name: `${file}: ${nameOf(n)}`, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const graph = importGraph(files, { dynamic: true }, root);
const up = violations(graph);
const loops = circles(importGraph(files, { dynamic: false }, root));
console.log(`imports against the layers: ${up.length}`);
for (const v of up) console.log(`  ${v.from} -> ${v.to} (${v.why})`);
console.log(`circles: ${loops.length}`);
for (const c of loops) console.log(`  ${c.join(' ↔ ')}`);
console.log('\nlargest files:');
for (const f of files
  .map((f) => ({ f, n: lines(f) }))
  .sort((a, b) => b.n - a.n)
  .slice(0, 10))
  console.log(`  ${String(f.n).padStart(5)}  ${f.f}`);
console.log('\nlargest functions:');
for (const f of files
  .flatMap(functionSizes)
  .sort((a, b) => b.lines - a.lines)
  .slice(0, 10))
  console.log(`  ${String(f.lines).padStart(5)}  ${f.name}`);
