import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { labBmcPasswordEnv, labEnv, labRackFile, labSwitchPasswordEnv } from '../../src/lab/rack-file.ts';
import { generateLabSpec, type LabSpec } from '../../src/lab/spec.ts';
import { parseRackFile } from '../../src/config/rack/parse.ts';
import {
  missingPasswordEnv,
  resolveBmcPassword,
  resolveSwitchPassword,
} from '../../src/config/rack/passwords.ts';
import { Topology } from '../../src/config/rack/topology.ts';
import type { Rack } from '../../src/config/rack/types.ts';
import { switchTargetInput } from '../../src/config/rack/switch-target.ts';
import { parseSwitchTarget } from '../../src/gear/switch/target.ts';

/** Endpoints as the lab peers report them: loopback, OS-chosen ports, base64 fingerprints with padding. */
function endpoints(spec: LabSpec) {
  const switches = spec.switches.map((s, i) => ({
    name: s.name,
    host: '127.0.0.1',
    port: 40000 + i,
    hostKeyFingerprint: 'SHA256:' + createHash('sha256').update(s.name).digest('base64'),
  }));
  const bmcs = spec.hosts.map((h, i) => ({ hostname: h.hostname, host: '127.0.0.1', port: 50000 + i }));
  return { switches, bmcs };
}

function build(spec: LabSpec): { text: string; rack: Rack } {
  const { switches, bmcs } = endpoints(spec);
  const text = JSON.stringify(labRackFile(spec, switches, bmcs), null, 2);
  const r = parseRackFile(text, { source: 'lab' });
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return { text, rack: r.rack };
}

describe('labRackFile', () => {
  it('gives a big lab enough racks for a valid rack file, and refuses too few racks naming the least', () => {
    const big = generateLabSpec({ hosts: 10_000 });
    expect(big.switches).toHaveLength(63);
    expect(build(big).rack.switches).toHaveLength(63);
    const biggest = generateLabSpec({ hosts: 20_000 });
    expect(biggest.switches).toHaveLength(64);
    expect(biggest.switches.every((s) => s.ports.length <= 999)).toBe(true);
    expect(generateLabSpec({ hosts: 40 }).switches).toHaveLength(3);
    expect(() => generateLabSpec({ hosts: 10_000, racks: 3 })).toThrow(
      /10000 lab hosts do not fit in 3 racks: a ToR switch has at most 999 ports/,
    );
  });

  it('produces a valid rack file for the default lab with every NIC, switch and BMC', () => {
    const spec = generateLabSpec();
    const { rack } = build(spec);
    expect(rack.switches.map((s) => [s.name, s.dialect, s.sshPort, s.pxeVlan])).toEqual(
      spec.switches.map((s, i) => [s.name, s.dialect, 40000 + i, s.pxeVlan]),
    );
    expect(rack.switches.every((s) => /^SHA256:[A-Za-z0-9+/]{43}$/.test(s.hostKey!))).toBe(true);
    const specNics = spec.hosts.flatMap((h) =>
      h.nics.map((n) => `${h.hostname} ${n.mac} ${n.switch} ${n.port}`),
    );
    expect(rack.nics.map((n) => `${n.hostname} ${n.mac} ${n.switch} ${n.port}`).sort()).toEqual(
      specNics.sort(),
    );
    const topo = new Topology(rack);
    for (const [i, h] of spec.hosts.entries()) {
      expect(topo.host(h.hostname)!.bmc).toEqual({
        protocol: 'ipmi',
        address: '127.0.0.1',
        port: 50000 + i,
        username: h.bmc.user,
        passwordEnv: labBmcPasswordEnv(h.hostname),
      });
      expect(topo.canBond(h.nics.map((n) => n.mac))).toBe(h.nics.length >= 2);
    }
  });

  it.each([
    { racks: 1, hosts: 5, seed: 7 },
    { racks: 4, hosts: 100, seed: 3 },
    { racks: 2, hosts: 10, seed: 2, dialects: ['eos'] as const },
    { racks: 2, hosts: 10, seed: 2, dialects: ['os10', 'nxos'] as const },
  ])('is valid for lab %o', (opts) => {
    const spec = generateLabSpec(opts);
    expect(build(spec).rack.nics).toHaveLength(spec.hosts.reduce((n, h) => n + h.nics.length, 0));
  });

  it('keeps passwords out of the file and in labEnv', () => {
    const spec = generateLabSpec();
    const { text, rack } = build(spec);
    for (const s of spec.switches) expect(text).not.toContain(s.password);
    for (const h of spec.hosts) expect(text).not.toContain(h.bmc.password);
    const env = labEnv(spec);
    expect(missingPasswordEnv(rack, env)).toEqual([]);
    expect(Object.keys(env).every((k) => /^[A-Z_][A-Z0-9_]*$/.test(k))).toBe(true);
    for (const sw of rack.switches) {
      expect(resolveSwitchPassword(sw, env)).toBe(spec.switches.find((s) => s.name === sw.name)!.password);
    }
    const topo = new Topology(rack);
    for (const h of spec.hosts)
      expect(resolveBmcPassword(topo.host(h.hostname)!.bmc!, h.hostname, env)).toBe(h.bmc.password);
    expect(labSwitchPasswordEnv('tor-r01')).toBe('RACKPILOT_SWITCH_PASS_TOR_R01');
  });

  it('refuses to write a rack file for a switch the lab did not start', () => {
    const spec = generateLabSpec({ racks: 2, hosts: 4 });
    const { switches, bmcs } = endpoints(spec);
    expect(() => labRackFile(spec, switches.slice(1), bmcs)).toThrow(/tor-r01 has no SSH endpoint/);
  });

  it('leaves out the BMC of a host whose BMC is not running', () => {
    const spec = generateLabSpec({ racks: 1, hosts: 3 });
    const { switches, bmcs } = endpoints(spec);
    const r = parseRackFile(JSON.stringify(labRackFile(spec, switches, bmcs.slice(1))));
    expect(r.ok).toBe(true);
    if (r.ok) expect(new Topology(r.rack).host(spec.hosts[0]!.hostname)!.bmc).toBeUndefined();
  });
});

describe('switchTargetInput', () => {
  it('turns every lab switch into a target the switch client accepts', () => {
    const spec = generateLabSpec();
    const { rack } = build(spec);
    const env = labEnv(spec);
    for (const sw of rack.switches) {
      const t = parseSwitchTarget(switchTargetInput(sw, env));
      const s = spec.switches.find((x) => x.name === sw.name)!;
      expect(t).toMatchObject({
        name: s.name,
        host: '127.0.0.1',
        port: sw.sshPort,
        username: s.username,
        password: s.password,
        dialect: s.dialect,
        pxeVlan: s.pxeVlan,
        hostKeyFingerprint: sw.hostKey,
      });
    }
  });

  it('carries allowedVlans and portPrefix, and asks for a PXE VLAN the file lacks', () => {
    const r = parseRackFile(
      JSON.stringify({
        racks: [
          {
            l2Switch: {
              ip: '10.0.0.1',
              username: 'admin',
              password: 'pw-pw-pw',
              type: 'Force10',
              portPrefix: 'fo',
              allowedVlans: '100-199,300',
            },
            hosts: [],
          },
        ],
      }),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const sw = r.rack.switches[0]!;
    expect(() => switchTargetInput(sw, {})).toThrow(/switch 10\.0\.0\.1 has no PXE VLAN/);
    const t = parseSwitchTarget(switchTargetInput(sw, {}, { defaultPxeVlan: 1 }));
    expect(t).toMatchObject({ pxeVlan: 1, portPrefix: 'fortyGigE', password: 'pw-pw-pw' });
    expect(t.allowedVlans).toEqual(parseSwitchTarget({ ...t, allowedVlans: '100-199,300' }).allowedVlans);
  });
});
