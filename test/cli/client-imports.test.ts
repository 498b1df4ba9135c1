import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

/**
 * What a module loads when it is imported: its static imports, followed through the project's own
 * files (type-only imports and dynamic `import()` load nothing up front). Packages are listed by
 * name, not followed.
 */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [resolve(REPO, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)';/gms)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec));
      else if (!spec.startsWith('node:'))
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return { files, packages };
}

/**
 * Everything the commands can load when run: their static and dynamic imports, followed through
 * the project's files, stopping at the two other processes the binary can become (the runner's
 * entry and the lab's host), which are meant to talk to the gear or serve it. `node:` modules are
 * listed as packages here.
 */
function commandGraph(): { files: Map<string, string>; packages: Map<string, string> } {
  const seams = ['src/runner/runner.ts', 'src/runner/lab-host.ts'].map((f) => resolve(REPO, f));
  const files = new Map<string, string>();
  const packages = new Map<string, string>();
  const todo: [string, string][] = readdirSync(resolve(REPO, 'src/cli'))
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => [resolve(REPO, 'src/cli', f), 'src/cli']);
  while (todo.length) {
    const [file, from] = todo.pop()!;
    if (files.has(file)) continue;
    files.set(file, from);
    if (seams.includes(file)) continue;
    const source = readFileSync(file, 'utf8');
    const specs = [
      ...[...source.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\sfrom\s+'([^']+)';/gms)].map(
        (m) => m[1]!,
      ),
      ...[...source.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!),
    ];
    for (const spec of specs) {
      if (spec.startsWith('.')) todo.push([resolve(dirname(file), spec), file.slice(REPO.length + 1)]);
      else packages.set(spec, file.slice(REPO.length + 1));
    }
  }
  return { files, packages };
}

const relative = (files: Set<string>) => [...files].map((f) => f.slice(REPO.length + 1));

describe('what a client loads', () => {
  // The dashboard sits open for hours on a jump host: the lab, the SSH and IPMI clients and the
  // etcd client cost it tens of megabytes (ssh2 alone allocates 16 MB of WebAssembly memory) and
  // are only needed in the runner, or when a view reads the gear.
  it('the dashboard loads neither the lab, the switch or IPMI clients, the task engine nor etcd', () => {
    const entry = staticGraph('src/cli/index.tsx');
    const dashboard = staticGraph('src/cli/dashboard.tsx');
    for (const g of [entry, dashboard]) {
      expect(
        relative(g.files).filter((f) =>
          /^src\/(lab|gear\/(switch\/(?!dialect-names\.ts)|ipmi|redfish|maas\/client)|runner\/(site|tasks|workflows|coord)\/)/.test(
            f,
          ),
        ),
      ).toEqual([]);
      for (const pkg of ['ssh2', 'etcd3', 'ky', 'oauth-1.0a', 'lowdb']) expect(g.packages).not.toContain(pkg);
    }
    // The walk does follow imports: the dashboard's own modules and Ink are there.
    expect(relative(dashboard.files)).toContain('components/HostTable.tsx');
    expect(dashboard.packages).toContain('ink');
  });

  // One path to the gear: the details view's live reads are runner requests (host.live), so the
  // dashboard never asks the command context for the site's clients (which would load and open
  // SSH and IPMI sessions in this process). The terminal test checks the same from outside: the
  // dashboard process holds no TCP or UDP socket (test/e2e-tty/screen-follows.test.ts).
  it("the dashboard never opens the site's clients: its live reads go through the runner", () => {
    const dashboard = relative(staticGraph('src/cli/dashboard.tsx').files);
    expect(dashboard).toContain('components/HostDetail.tsx');
    expect(dashboard.filter((f) => /\.site\(\)/.test(readFileSync(resolve(REPO, f), 'utf8')))).toEqual([]);
    expect(readFileSync(resolve(REPO, 'src/cli/dashboard.tsx'), 'utf8')).toContain("'host.live'");
    // The walker sees a gear client when one is imported: the runner's live read has them.
    expect(
      relative(staticGraph('src/runner/site/open.ts').files).some((f) => f.startsWith('src/gear/ipmi/')),
    ).toBe(true);
  });

  // One path to the gear: `switch show|mac|plan --live`, `ipmi … power status|bootdev show|info`
  // and every other command read the gear through runner requests. A command that could load a
  // gear client (SSH, IPMI, Redfish, MaaS) or open the site's clients (runner/site/open.ts) in its
  // own process fails here, naming the file and who imports it.
  it('no command loads a gear client or opens the site itself: only the runner and the lab do', () => {
    const { files, packages } = commandGraph();
    const gearClients =
      /^src\/(gear\/(switch\/(service|session)|ipmi\/(index|client|session|transport|sweep|sol)|redfish\/(client|http)|maas\/client|bmc\/service)\.ts|runner\/site\/open\.ts)$/;
    const loaded = [...files].map(([f, from]) => [f.slice(REPO.length + 1), from] as const);
    expect(loaded.filter(([f]) => gearClients.test(f)).map(([f, from]) => `${f} <- ${from}`)).toEqual([]);
    for (const pkg of ['ssh2', 'node:dgram', 'etcd3', 'ky', 'oauth-1.0a'])
      expect([pkg, packages.get(pkg)]).toEqual([pkg, undefined]);
    // The walk reaches what it must: the switch command, its pure planner, and the seams it stops at.
    const names = loaded.map(([f]) => f);
    for (const f of [
      'src/cli/switch.ts',
      'src/cli/ipmi-site.ts',
      'src/gear/switch/changes.ts',
      'src/runner/runner.ts',
    ])
      expect(names).toContain(f);
    // Without the seams, the runner's own clients are there: the check can see one.
    expect(relative(staticGraph('src/runner/runner.ts').files)).toContain('src/runner/site/open.ts');
  });

  it('the command line loads a command only to run it', () => {
    const entry = relative(staticGraph('src/cli/index.tsx').files);
    // The help and the argument checks come from the registry; the commands it names load when run.
    expect(entry).toContain('src/cli/registry.ts');
    const commands = [
      'lab',
      'switch',
      'catalog',
      'instances',
      'troubleshoot',
      'runner',
      'check',
      'complete',
      'man',
    ];
    for (const command of commands) expect(entry).not.toContain(`src/cli/${command}.ts`);
  });
});
