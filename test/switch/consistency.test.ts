import { describe, expect, it } from 'vitest';
import { generateLabSpec, seededRandom } from '../../src/lab/spec.ts';
import { LabSwitchState, SwitchCli } from '../../src/lab/switch-emulator.ts';
import { LabWorld } from '../../src/lab/world.ts';
import { transition } from '../../src/gear/switch/changes.ts';
import { dialectFor } from '../../src/gear/switch/dialects/index.ts';
import type { PortChange } from '../../src/gear/switch/target.ts';
import { ALL_DIALECTS } from './helpers.ts';

/**
 * Templates, lab emulator and parsers must agree: for random change sequences, the lines a
 * dialect produces are accepted by the lab CLI, and what the CLI then shows parses back to
 * exactly the membership the change asked for.
 */
describe.each(ALL_DIALECTS)('%s: templates, emulator and parser agree', (dialect) => {
  it('over 300 random changes', () => {
    const spec = generateLabSpec({ racks: 1, hosts: 4, dialects: [dialect] });
    const world = new LabWorld(spec);
    const sw = spec.switches[0]!;
    const cli = new SwitchCli(new LabSwitchState(world, sw), { banner: false });
    const d = dialectFor(dialect);
    const send = (line: string) => {
      const out = cli.line(line).output;
      expect(out, `${line} → ${out}`).not.toMatch(/% |ERROR/);
      return out;
    };
    if (dialect === 'eos') send('enable');
    const rand = seededRandom(42);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const ports = sw.ports.slice(0, 4);
    const vlans = [100, 101, 102, 200, 300, sw.pxeVlan];
    const ops: PortChange['op'][] = ['access', 'tagAdd', 'tagAdd', 'tagRemove', 'resetPxe'];
    for (let i = 0; i < 300; i++) {
      const port = pick(ports);
      const iface = d.iface({ number: port });
      const op = pick(ops);
      const change = (op === 'resetPxe' ? { port, op } : { port, op, vlan: pick(vlans) }) as PortChange;
      const from = d.parsePort(send(d.showPort(iface)));
      const to = transition({ untagged: from.untagged, tagged: from.tagged }, change, sw.pxeVlan);
      send(d.configure);
      for (const line of d.changeLines(iface, from, to)) send(line);
      send('end');
      const shown = d.parsePort(send(d.showPort(iface)));
      expect({ untagged: shown.untagged, tagged: shown.tagged }, `${i}: ${JSON.stringify(change)}`).toEqual(
        to,
      );
      const p = world.port(sw.name, port);
      expect({ untagged: p.untagged, tagged: [...p.tagged].sort((a, b) => a - b) }).toEqual(to);
    }
  });
});
