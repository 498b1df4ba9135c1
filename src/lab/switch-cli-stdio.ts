/**
 * A lab switch CLI on stdin/stdout, for use as an OpenSSH ForceCommand or login shell so that a
 * real sshd carries the same dialect emulator the lab's own SSH server does:
 *
 *   ForceCommand /abs/node_modules/.bin/tsx /abs/src/lab/switch-cli-stdio.ts --switch tor-r01 --state /tmp/s.json
 *
 * Each SSH login is a new process, so `--state` keeps VLAN state in a JSON file between logins.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DIALECTS, type DialectName } from '../gear/switch/dialect-names.ts';
import { generateLabSpec } from './spec.ts';
import { LabSwitchState, SwitchCli } from './switch-emulator.ts';
import { CliTerminal } from './switch-terminal.ts';
import { LabWorld } from './world.ts';

interface SavedState {
  ports: Record<string, { untagged: number; tagged: number[]; layer2: boolean }>;
  vlans: [number, string][];
}

function main(): void {
  const { values } = parseArgs({
    options: {
      switch: { type: 'string', default: 'tor-r01' },
      racks: { type: 'string', default: '4' },
      hosts: { type: 'string', default: '16' },
      seed: { type: 'string', default: '1' },
      dialect: { type: 'string' },
      state: { type: 'string' },
      banner: { type: 'string' },
    },
  });
  const dialects: readonly DialectName[] = values.dialect ? [values.dialect as DialectName] : DIALECTS;
  const spec = generateLabSpec({
    racks: Number(values.racks),
    hosts: Number(values.hosts),
    seed: Number(values.seed),
    dialects,
  });
  const sw = spec.switches.find((s) => s.name === values.switch);
  if (!sw) {
    process.stderr.write(`no lab switch ${values.switch}\n`);
    process.exit(2);
  }
  const world = new LabWorld(spec);
  const statePath = values.state;
  let saved: SavedState | undefined;
  if (statePath) {
    try {
      saved = JSON.parse(readFileSync(statePath, 'utf8')) as SavedState;
    } catch {
      saved = undefined;
    }
  }
  if (saved) {
    for (const [port, p] of Object.entries(saved.ports)) {
      if (!sw.ports.includes(port)) continue;
      world.updatePort(sw.name, port, (s) => {
        s.untagged = p.untagged;
        s.tagged = new Set(p.tagged);
        s.layer2 = p.layer2;
      });
    }
  }
  const state = new LabSwitchState(world, sw);
  for (const [id, name] of saved?.vlans ?? []) state.vlans.set(id, name);

  const persist = () => {
    if (!statePath) return;
    const out: SavedState = { ports: {}, vlans: [...state.vlans] };
    for (const port of sw.ports) {
      const p = world.port(sw.name, port);
      out.ports[port] = { untagged: p.untagged, tagged: [...p.tagged], layer2: p.layer2 };
    }
    writeFileSync(`${statePath}.tmp`, JSON.stringify(out));
    renameSync(`${statePath}.tmp`, statePath);
  };
  world.on((e) => {
    if (e.kind === 'port') persist();
  });

  const cli = new SwitchCli(state, values.banner === undefined ? {} : { banner: values.banner === 'yes' });
  const term = new CliTerminal(cli, {
    // Node's raw mode keeps the tty's ONLCR, which would turn our CRLF into CR CR LF.
    write: (t) => process.stdout.write(process.stdout.isTTY ? t.replace(/\r\n/g, '\n') : t),
    close: () => {
      persist();
      process.stdout.write('', () => process.exit(0));
    },
    drop: () => process.exit(1),
  });
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.on('data', (d: Buffer) => term.input(d.toString('latin1')));
  process.stdin.on('end', () => process.exit(0));
  term.start();
}

main();
