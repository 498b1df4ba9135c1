import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completions, siteValues } from '../../src/cli/complete.ts';
import type { CommandContext } from '../../src/cli/context.ts';
import { helpText, usageLine, usageLines } from '../../src/cli/help.ts';
import { main } from '../../src/cli/main.ts';
import { manPage } from '../../src/cli/man.ts';
import { COMMANDS } from '../../src/cli/registry.ts';
import { resolveCommand } from '../../src/cli/resolve.ts';
import { walk, type CommandSpec } from '../../src/cli/spec.ts';
import { capture } from './capture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const RACK_FILE = join(ROOT, 'test/fixtures/rack/extended.json');
const home = mkdtempSync(join(tmpdir(), 'rackpilot-registry-'));
// No MaaS, no runner: a store of its own that nothing serves, and the fixture rack file.
const env = {
  HOME: home,
  PATH: process.env.PATH,
  RACKPILOT_ENV_FILE: '',
  RACKPILOT_STORE: join(home, 'store.json'),
  RACKPILOT_RACK_FILE: RACK_FILE,
};
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The words that name a command on a line: its names, with a host where a command wants one first. */
const wordsOf = (path: readonly CommandSpec[]) =>
  path.flatMap((s) => [s.name, ...(s.lead ?? []).map(() => 'r01-n001')]);
const PATHS = [...walk(COMMANDS)];
const noValues = async () => [];

describe('the command registry', () => {
  it('has every command with a summary, and every command and subcommand with an example', () => {
    expect(PATHS.length).toBeGreaterThan(40);
    for (const path of PATHS) {
      const leaf = path.at(-1)!;
      expect(leaf.summary, usageLine(path)).not.toBe('');
      const examples = leaf.examples ?? (leaf.subcommands ?? []).flatMap((s) => s.examples ?? []);
      expect(examples.length, `${usageLine(path)} has an example`).toBeGreaterThan(0);
    }
  });

  it.each(PATHS.map((p) => [wordsOf(p).join(' '), p] as const))(
    '`rackpilot %s --help` answers with exit 0, its usage, flags and examples',
    async (_name, path) => {
      const io = capture();
      expect(await main([...wordsOf(path), '--help'], io, env)).toBe(0);
      expect(io.err()).toBe('');
      expect(io.out()).toBe(helpText(path) + '\n');
      expect(io.out()).toContain(`usage: ${usageLines(path)[0]}`);
      expect(io.out()).toContain('examples:');
      for (const f of path.at(-1)!.flags ?? []) expect(io.out()).toContain(`--${f.name}`);
      const viaHelp = capture();
      expect(await main(['help', ...path.map((s) => s.name)], viaHelp, env)).toBe(0);
      expect(viaHelp.out()).toBe(io.out());
    },
  );

  it('puts every command and subcommand, with its flags, in the man page', () => {
    const page = manPage();
    for (const path of PATHS) {
      const roff = usageLine(path).replace(/\\/g, '\\e').replace(/-/g, '\\-');
      expect(page.split('\n'), usageLine(path)).toContain(`.SS ${roff}`);
      for (const f of path.at(-1)!.flags ?? [])
        expect(page).toContain(`\\fB\\-\\-${f.name.replace(/-/g, '\\-')}\\fR`);
    }
  });

  it('completes every command, subcommand and flag', async () => {
    const top = await completions([''], noValues);
    for (const c of COMMANDS.filter((c) => !c.hidden)) expect(top.candidates).toContain(c.name);
    expect(top.candidates).not.toContain('__complete');
    for (const path of PATHS) {
      const words = wordsOf(path);
      const parent = await completions(
        [...words.slice(0, -1 - (path.at(-1)!.lead?.length ?? 0)), ''],
        noValues,
      );
      expect(parent.candidates, words.join(' ')).toContain(path.at(-1)!.name);
      const flags = await completions([...words, '--'], noValues);
      for (const f of path.at(-1)!.flags ?? [])
        expect(flags.candidates, words.join(' ')).toContain(`--${f.name}`);
    }
  });

  it('completes values from the site, choices and files', async () => {
    const source = async (kind: string) =>
      kind === 'host' ? ['r01-n001', 'r02-n001'] : kind === 'offering' ? ['big'] : [];
    expect((await completions(['ipmi', 'r02'], source)).candidates).toEqual(['r02-n001']);
    expect((await completions(['ipmi', 'r01-n001', 'power', 'o'], source)).candidates).toEqual(['off', 'on']);
    expect((await completions(['deploy', 'vm1', '--offering', ''], source)).candidates).toEqual(['big']);
    expect(await completions(['deploy', 'vm1', '--user-data', ''], source)).toEqual({
      candidates: [],
      files: true,
    });
    expect((await completions(['task', 'fo'], source)).candidates).toEqual(['follow']);
  });

  it('asks the runner with a deadline and falls back to the rack file', async () => {
    const ctx = {
      runnerIfRunning: () => new Promise(() => {}),
      config: () => ({ rackFile: RACK_FILE }),
    } as unknown as CommandContext;
    const started = Date.now();
    const hosts = await siteValues(ctx, 200)('host');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(hosts).toContain('r01-n001');
    expect(await siteValues(ctx, 200)('switch')).toContain('tor-r01');
  });
});

describe('command lines the registry refuses or routes', () => {
  const refused = async (argv: string[]) => {
    const io = capture();
    expect(await main(argv, io, env)).toBe(2);
    return io.err();
  };

  it('suggests the command, subcommand, flag or value meant', async () => {
    expect(await refused(['dep'])).toContain('unknown command "dep"; did you mean deploy?');
    expect(await refused(['deplyo'])).toContain('did you mean deploy?');
    expect(await refused(['task', 'folow', 't-1'])).toContain(
      'unknown task subcommand "folow"; did you mean follow?',
    );
    expect(await refused(['deploy', 'vm1', '--detatch'])).toContain(
      'no flag --detatch; did you mean --detach?',
    );
    expect(await refused(['runner', 'status', '--follow'])).toContain(
      'no flag --follow (rackpilot runner status)',
    );
    expect(await refused(['ipmi', 'r01-n001', 'power', 'of'])).toContain('did you mean off?');
    expect(await refused(['frobnicate'])).not.toContain('did you mean');
  });

  it('runs `tasks follow ID` as `task follow ID`', () => {
    const r = resolveCommand(['tasks', 'follow', 't-1']);
    expect(r.path.map((s) => s.name)).toEqual(['tasks', 'follow']);
    expect(r.path.at(-1)!.run).toBe(COMMANDS.find((c) => c.name === 'task')!.run);
    expect(r.argv).toEqual(['follow', 't-1']);
    expect(() => resolveCommand(['tasks', 'bogus'])).toThrow(/unknown tasks subcommand "bogus"/);
  });

  it('--version names the version, the commit and how it was built', async () => {
    const io = capture();
    expect(await main(['--version'], io, env)).toBe(0);
    expect(io.out()).toMatch(
      /^rackpilot \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}\S*, (built \d{4}-\d\d-\d\dT|running from the sources)/,
    );
  });
});

describe('through a shell', () => {
  const bin = mkdtempSync(join(tmpdir(), 'rackpilot-bin-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(
    join(bin, 'rackpilot'),
    `#!/bin/sh\nexec ${join(ROOT, 'node_modules/.bin/node')} ${join(ROOT, 'src/bin/rackpilot.js')} "$@"\n`,
  );
  chmodSync(join(bin, 'rackpilot'), 0o755);
  const shellEnv = { ...env, PATH: `${bin}:${process.env.PATH}` };

  /** Runs `script` in `shell` with rackpilot on PATH; killed outright (a zpty read that never
   *  matches ignores SIGTERM), which hangs up the interactive zsh on its pty. */
  const inShell = (shell: string, args: string[], script: string) =>
    execFileSync(shell, [...args, '-c', script], {
      env: shellEnv,
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
  /** What every shell must complete: a command, a host by prefix, every host after --host. */
  const expectCommandsAndHosts = (out: string) => {
    expect(out).toContain('1:deploy\n');
    expect(out).toContain('2:r02-n001 r02-n002\n');
    expect(out).toContain('3:r01-n001 r01-n002 r02-n001 r02-n002\n');
  };
  /** Lines typed in zsh and fish, the cursor at the end; the 4th completes the fixture's file name. */
  const LINES = [
    'rackpilot dep',
    'rackpilot ipmi r02-n',
    'rackpilot deploy vm1 --host ',
    `rackpilot deploy vm1 --user-data ${RACK_FILE.replace(/extended\.json$/, 'ext')}`,
  ];

  it('bash completes `rackpilot dep<TAB>` and a host name from the rack file', () => {
    const out = inShell(
      'bash',
      [],
      `source <(rackpilot completion bash)
COMP_WORDS=(rackpilot dep); COMP_CWORD=1; _rackpilot; echo "1:\${COMPREPLY[*]}"
COMP_WORDS=(rackpilot ipmi r02-n); COMP_CWORD=2; _rackpilot; echo "2:\${COMPREPLY[*]}"
COMP_WORDS=(rackpilot deploy vm1 --host ''); COMP_CWORD=4; _rackpilot; echo "3:\${COMPREPLY[*]}"`,
    );
    expectCommandsAndHosts(out);
  }, 90_000);

  // zsh's own completion system: compinit, the script sourced, and TAB typed in an interactive
  // zsh on a pseudo-terminal (zpty). compadd is wrapped to print each match it adds.
  it('zsh completes `rackpilot dep<TAB>`, a host name and a file through compinit', () => {
    const out = inShell(
      'zsh',
      ['-f'],
      `zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1="> "; autoload -Uz compinit && compinit -u -D'
zpty -w z 'source <(rackpilot completion zsh)'
zpty -w z 'compadd() { local -a hits; builtin compadd -O hits "$@"; print -rl -- "H""IT:"\${^hits} >&2; builtin compadd "$@" }'
zpty -w z 'functions[_rackpilot_given]=$functions[_rackpilot]; _rackpilot() { _rackpilot_given "$@"; print -r -- "DO""NE-MARK" >&2 }'
zpty -w z 'echo READ""Y-MARK'
zpty -r z out '*READY-MARK*'
complete() {
  local done
  # Nothing more is typed until the completion has run: typed ahead, the next keys could reach
  # zsh before the TAB's widget starts (the first TAB of a session loads the completion system).
  zpty -w -n z "$1"$'\\t'
  zpty -r z done '*DONE-MARK*'
  zpty -w z $'\\C-u''echo E""ND-MARK'
  zpty -r z out '*END-MARK*'
  print -r -- "$done$out" | grep -ao 'HIT:[^[:space:]]*' | sed 's/^HIT://' | sort -u | paste -sd' '
}
${LINES.map((line, i) => `print "${i + 1}:$(complete '${line}')"`).join('\n')}
zpty -d z`,
    );
    expectCommandsAndHosts(out);
    // _files adds each directory of the path it walks, then the file itself.
    expect(out).toMatch(/^4:(\S+ )*extended\.json( |$)/m);
  }, 90_000);

  it('fish completes `rackpilot dep`, a host name and a file (complete -C)', () => {
    const out = inShell(
      'fish',
      ['--no-config'],
      `rackpilot completion fish | source
${LINES.map((line, i) => `echo "${i + 1}:"(string join ' ' (complete -C '${line}'))`).join('\n')}`,
    );
    expectCommandsAndHosts(out);
    expect(out).toContain(`4:${RACK_FILE}\n`);
  }, 90_000);

  it('refuses --ipmi-password-stdin with empty standard input, before any runner', () => {
    const r = spawnSync(
      'rackpilot',
      'host add --hostname r01-n001 --cores 1 --mhz 1 --memory 1 --ipmi-password-stdin'.split(' '),
      { env: shellEnv, input: '', encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toContain('--ipmi-password-stdin: standard input is empty');
    expect(r.status).toBe(2);
  }, 90_000);
});
