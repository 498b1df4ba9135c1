/**
 * 48 port VLAN changes on one lab switch (Dell OS9 dialect, over real SSH on loopback):
 * batched into one session with one save, versus one session per change (connect, login, change,
 * save, exit — how networking-generic-switch drives switches by default).
 */
import { generateLabSpec } from '../src/lab/spec.ts';
import { startLabSwitches } from '../src/lab/switch-server.ts';
import { LabWorld } from '../src/lab/world.ts';
import { SwitchService } from '../src/gear/switch/service.ts';
import type { PortChange, SwitchTargetInput } from '../src/gear/switch/target.ts';

const CHANGES = 48;

export async function run(): Promise<void> {
  const spec = generateLabSpec({ racks: 1, hosts: 24, dialects: ['force10'] });
  const world = new LabWorld(spec);
  const lab = await startLabSwitches(world);
  const sw = spec.switches[0]!;
  const ep = lab.switches[0]!;
  const target: SwitchTargetInput = {
    name: sw.name,
    host: ep.host,
    port: ep.port,
    username: sw.username,
    password: sw.password,
    dialect: sw.dialect,
    pxeVlan: sw.pxeVlan,
    hostKeyFingerprint: ep.hostKeyFingerprint,
  };
  const changes = (vlan: number): PortChange[] =>
    sw.ports.slice(0, CHANGES).map((port) => ({ port, op: 'access', vlan }));

  try {
    // Warm-up: JIT, key exchange code paths.
    const warm = new SwitchService({ idleMs: 0 });
    await warm.apply(target, [{ port: sw.ports[0]!, op: 'access', vlan: 99 }]);
    await warm.apply(target, [{ port: sw.ports[0]!, op: 'resetPxe' }]);
    await warm.close();

    const loginsBefore = lab.logins(sw.name);
    const savesBefore = lab.state(sw.name).saves;
    const batched = new SwitchService({ idleMs: 0 });
    let t0 = performance.now();
    await Promise.all(changes(100).map((c) => batched.apply(target, [c])));
    const batchedMs = performance.now() - t0;
    await batched.close();
    const batchedLogins = lab.logins(sw.name) - loginsBefore;
    const batchedSaves = lab.state(sw.name).saves - savesBefore;

    const single = new SwitchService({ idleMs: 0 });
    t0 = performance.now();
    for (const c of changes(200)) await single.apply(target, [c]);
    const singleMs = performance.now() - t0;
    await single.close();

    const onVlan = sw.ports.slice(0, CHANGES).filter((p) => world.port(sw.name, p).untagged === 200).length;
    console.log(`switch: ${CHANGES} port VLAN changes on one lab switch (${sw.dialect}, SSH on loopback)`);
    console.log(
      `  batched, one session + one save : ${batchedMs.toFixed(0)} ms (${batchedLogins} login, ${batchedSaves} save)`,
    );
    console.log(
      `  one session per change (NGS)    : ${singleMs.toFixed(0)} ms (${CHANGES} logins, ${CHANGES} saves)`,
    );
    console.log(`  ratio                           : ${(singleMs / batchedMs).toFixed(1)}x (goal >= 5x)`);
    if (onVlan !== CHANGES) console.log(`  WARNING: only ${onVlan}/${CHANGES} ports ended on the VLAN`);
  } finally {
    await lab.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
