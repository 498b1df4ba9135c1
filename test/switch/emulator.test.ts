import { describe, expect, it } from 'vitest';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { LabSwitchState, SwitchCli } from '../../src/lab/switch-emulator.ts';
import { SwitchFaults } from '../../src/lab/switch-faults.ts';
import { CliTerminal } from '../../src/lab/switch-terminal.ts';
import { LabWorld } from '../../src/lab/world.ts';
import { cleanTerminalText } from '../../src/gear/switch/session.ts';

function rig(dialect: 'force10' | 'os10' | 'nxos' | 'eos', faults?: SwitchFaults) {
  const spec = generateLabSpec({ racks: 1, hosts: 8, dialects: [dialect] });
  const world = new LabWorld(spec);
  const state = new LabSwitchState(world, spec.switches[0]!);
  const cli = new SwitchCli(state, { banner: false, ...(faults ? { faults } : {}) });
  let out = '';
  let closed = false;
  let dropped = false;
  const term = new CliTerminal(cli, {
    write: (t) => (out += t),
    close: () => (closed = true),
    drop: () => (dropped = true),
  });
  term.start();
  return {
    world,
    state,
    sw: spec.switches[0]!,
    type(text: string) {
      out = '';
      term.input(text);
      return out;
    },
    get closed() {
      return closed;
    },
    get dropped() {
      return dropped;
    },
  };
}

describe('lab switch CLI (pure state machine)', () => {
  it('pages long output with --More-- until terminal length 0', () => {
    const r = rig('force10');
    for (let v = 100; v < 140; v++) r.state.vlans.set(v, `t${v}`);
    const first = r.type('show vlan\r');
    expect(first).toMatch(/--More-- $/);
    // The echoed command, 23 lines of output, then the pager prompt.
    expect(first.split('\r\n')).toHaveLength(25);
    let rest = r.type(' ');
    expect(rest).toMatch(/--More-- $/);
    expect(rest).not.toContain('139');
    rest = r.type(' ');
    expect(rest).toContain('139');
    expect(rest.endsWith(`${r.sw.name}#`)).toBe(true);
    r.type('terminal length 0\r');
    const whole = r.type('show vlan\r');
    expect(whole).not.toContain('--More--');
    expect(cleanTerminalText(whole)).toContain('    139    Inactive  t139');
  });

  it('echoes input, handles backspace and CR LF as one Enter', () => {
    const r = rig('eos');
    expect(r.type('enx\x7fable\r\n')).toBe(`enx\b \bable\r\n${r.sw.name}#`);
    expect(r.type('configure terminal\r\n')).toBe(`configure terminal\r\n${r.sw.name}(config)#`);
    expect(r.type('interface Ethernet1/3\n')).toContain(`${r.sw.name}(config-if-Et1/3)#`);
  });

  it('Force10: VLAN-centric membership, and the errors the real CLI gives', () => {
    const r = rig('force10');
    r.type('configure\rinterface vlan 100\r');
    expect(r.type('untagged TenGigabitEthernet 1/1/1\r')).toContain(
      '% Error: Port is untagged in another Vlan 10',
    );
    r.type('exit\rinterface vlan 10\rno untagged Te 1/1/1\rexit\rinterface vlan 100\r');
    expect(r.type('untagged Te 1/1/1\r')).not.toContain('Error');
    expect(r.world.port(r.sw.name, '1/1/1').untagged).toBe(100);
    expect(r.type('tagged Te 1/1/1\r')).toContain('% Error:');
    expect(r.type('untagged Te 9/9/9\r')).toContain('% Error: Invalid input at "^" marker.');
    expect(r.type('bogus\r')).toContain('% Error: Invalid input');
  });

  it('NX-OS: trunk native and allowed VLANs map to untagged/tagged in the world', () => {
    const r = rig('nxos');
    r.type('configure terminal\rinterface Ethernet1/4\rswitchport mode trunk\r');
    r.type('switchport trunk native vlan 100\rswitchport trunk allowed vlan 100,200-201\r');
    const p = r.world.port(r.sw.name, '1/4');
    expect(p.untagged).toBe(100);
    expect([...p.tagged].sort()).toEqual([200, 201]);
    r.type('switchport trunk allowed vlan remove 201\r');
    expect([...r.world.port(r.sw.name, '1/4').tagged]).toEqual([200]);
    r.type('switchport mode access\r');
    expect(r.world.port(r.sw.name, '1/4').tagged.size).toBe(0);
  });

  it('OS10: tagged VLANs need trunk mode and existing VLANs', () => {
    const r = rig('os10');
    r.type('configure terminal\rinterface ethernet1/1/2\r');
    expect(r.type('switchport trunk allowed vlan 300\r')).toContain(
      '% Error: Interface is not in trunk mode.',
    );
    r.type('switchport mode trunk\r');
    expect(r.type('switchport trunk allowed vlan 300\r')).toContain('% Error: vlan300 does not exist.');
    r.type('exit\rinterface vlan 300\rexit\rinterface ethernet1/1/2\rswitchport trunk allowed vlan 300\r');
    expect([...r.world.port(r.sw.name, '1/1/2').tagged]).toEqual([300]);
  });

  it('faults: drop, error, exit closes', () => {
    const faults = new SwitchFaults();
    const r = rig('eos', faults);
    faults.errorOn({ match: 'enable', times: 1 });
    expect(r.type('enable\r')).toContain('% Error: Resource temporarily unavailable.');
    expect(r.type('enable\r')).toContain('#');
    faults.dropMidCommand({ match: /^show/ });
    r.type('show vlan\r');
    expect(r.dropped).toBe(true);
    const r2 = rig('os10');
    r2.type('exit\r');
    expect(r2.closed).toBe(true);
  });
});
