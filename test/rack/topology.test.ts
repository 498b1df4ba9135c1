import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseRackFile } from '../../src/config/rack/parse.ts';
import {
  missingPasswordEnv,
  resolveBmcPassword,
  resolveSwitchPassword,
} from '../../src/config/rack/passwords.ts';
import { Topology } from '../../src/config/rack/topology.ts';
import type { Rack } from '../../src/config/rack/types.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { clearSecretsForTest, redact } from '../../src/util/redact.ts';

function load(name: string): Rack {
  const r = parseRackFile(readFileSync(new URL(`../fixtures/rack/${name}`, import.meta.url), 'utf8'));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.rack;
}

beforeEach(() => clearSecretsForTest());

describe('Topology', () => {
  const topo = new Topology(load('extended.json'));

  it('finds the switch ports of a machine by its MACs, in any notation, skipping unknown and repeated ones', () => {
    const nics = topo.nicsForMacs([
      '00188B527981',
      'aa:bb:cc:dd:ee:ff',
      '00:18:8b:52:79:80',
      '00-18-8b-52-79-81',
      'junk',
    ]);
    expect(nics.map(({ switch: s, port, mac }) => ({ switch: s, port, mac }))).toEqual([
      { switch: 'tor-r01', port: 'Te 1/1/2', mac: '00:18:8b:52:79:81' },
      { switch: 'tor-r01', port: '1/1/1', mac: '00:18:8b:52:79:80' },
    ]);
    expect(nics[0]!.nic.interfaceName).toBe('TenGigabitEthernet 1/1/2');
  });

  it('bonds only with two or more ToR-connected NICs', () => {
    expect(topo.canBond(['00:18:8b:52:79:80', '00:18:8b:52:79:81'])).toBe(true);
    // Two MACs, but only one is cabled to a listed switch: single NIC, as the seed says.
    expect(topo.canBond(['00:18:8b:52:79:82', 'aa:bb:cc:dd:ee:01'])).toBe(false);
    expect(topo.canBond(['00:18:8b:52:79:80', '00:18:8B:52:79:80'])).toBe(false);
    expect(topo.canBond([])).toBe(false);
    // NICs on two different switches still bond (active-backup needs no switch support).
    expect(topo.canBond(['00:18:8b:52:79:80', '52:54:00:00:02:01'])).toBe(true);
  });

  it('answers which switch a MAC is on', () => {
    expect(topo.switchFor('52:54:00:00:02:03')?.name).toBe('tor-r02');
    expect(topo.switchFor('52:54:00:00:02:03')?.dialect).toBe('nxos');
    expect(topo.switchFor('52:54:00:00:09:09')).toBeUndefined();
    expect(topo.switchFor('not a mac')).toBeUndefined();
    expect(topo.switches().map((s) => s.name)).toEqual(['tor-r01', 'tor-r02']);
    expect(topo.switch('tor-r02')?.ip).toBe('172.31.0.110');
  });

  it('groups NIC entries by hostname and gives each host its BMC', () => {
    const byName = topo.hostsByName();
    expect([...byName.keys()]).toEqual(['r01-n001', 'r01-n002', 'r02-n001', 'r02-n002']);
    expect(byName.get('r01-n001')!.map((n) => n.mac)).toEqual(['00:18:8b:52:79:80', '00:18:8b:52:79:81']);
    expect(topo.host('R01-N001')).toMatchObject({
      hostname: 'r01-n001',
      bmc: { address: '10.0.0.11', port: 623 },
    });
    expect(topo.host('r02-n001')!.bmc).toBeUndefined();
    expect(topo.host('nope')).toBeUndefined();
    expect(topo.nicsOnSwitch('tor-r02')).toHaveLength(3);
  });

  it('finds a whole machine from any one of its MACs', () => {
    expect(topo.nicsOfMachineWith('00-18-8B-52-79-81').map((n) => n.port)).toEqual(['1/1/1', 'Te 1/1/2']);
    expect(topo.nicsOfMachineWith('00:18:8b:52:79:83').map((n) => n.mac)).toEqual(['00:18:8b:52:79:83']);
    expect(topo.nicsOfMachineWith('aa:bb:cc:dd:ee:ff')).toEqual([]);
    expect(topo.hostForMac('52:54:00:00:02:02')?.hostname).toBe('r02-n001');
    expect(topo.hostForMac('00:18:8b:52:79:83')).toBeUndefined();
  });

  it('checks tenant VLANs against allowedVlans', () => {
    expect(topo.vlanAllowed('tor-r01', 100)).toBe(true);
    expect(topo.vlanAllowed('tor-r01', 199)).toBe(true);
    expect(topo.vlanAllowed('tor-r01', 200)).toBe(false);
    expect(topo.vlanAllowed('tor-r01', 300)).toBe(true);
    expect(topo.vlanAllowed('tor-r02', 3999)).toBe(true);
    expect(topo.vlanAllowed('tor-r99', 100)).toBe(false);
  });

  it('summarises', () => {
    expect(topo.summary()).toEqual({
      racks: 2,
      switches: 2,
      hosts: 5,
      namedHosts: 4,
      unnamedNics: 1,
      nics: 7,
      bondableHosts: 2,
    });
  });
});

describe('passwords', () => {
  const rack = load('extended.json');
  const [tor1, tor2] = rack.switches;

  it('takes an inline switch password and registers it as a secret', () => {
    expect(resolveSwitchPassword(tor2!, {})).toBe('sw2-password');
    expect(redact('x sw2-password')).toBe('x ***');
  });

  it('reads a switch password from the variable the file names', () => {
    expect(resolveSwitchPassword(tor1!, { RACKPILOT_SWITCH_PASS_TOR_R01: 'from-env-pw' })).toBe(
      'from-env-pw',
    );
    expect(redact('from-env-pw')).toBe('***');
  });

  it('says which variable is missing and where the file names it', () => {
    let err: unknown;
    try {
      resolveSwitchPassword(tor1!, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OperatorError);
    expect((err as OperatorError).message).toBe(
      'no password for switch tor-r01: RACKPILOT_SWITCH_PASS_TOR_R01 is not set',
    );
    expect((err as OperatorError).hint).toContain('racks[0].l2Switch.passwordEnv');
    expect((err as OperatorError).target).toBe('tor-r01');
  });

  it('resolves BMC passwords from the file, the environment, or not at all', () => {
    const topo = new Topology(rack);
    const n1 = topo.host('r01-n001')!.bmc!;
    const n2 = topo.host('r01-n002')!.bmc!;
    expect(resolveBmcPassword(n1, 'r01-n001', { RACKPILOT_BMC_PASS_R01_N001: 'bmc-env-pw' })).toBe(
      'bmc-env-pw',
    );
    expect(resolveBmcPassword(n2, 'r01-n002', {})).toBe('calvin123');
    expect(resolveBmcPassword({ protocol: 'ipmi', address: '10.0.0.9', port: 623 }, 'x', {})).toBeUndefined();
    expect(() => resolveBmcPassword(n1, 'r01-n001', {})).toThrow(/RACKPILOT_BMC_PASS_R01_N001 is not set/);
    expect(redact('bmc-env-pw calvin123')).toBe('*** ***');
  });

  it('lists the password variables the environment lacks', () => {
    expect(missingPasswordEnv(rack, {})).toEqual([
      {
        path: 'racks[0].l2Switch.passwordEnv',
        message: 'RACKPILOT_SWITCH_PASS_TOR_R01 is not set in this environment',
      },
      {
        path: 'racks[0].hosts[0].bmc.passwordEnv',
        message: 'RACKPILOT_BMC_PASS_R01_N001 is not set in this environment',
      },
    ]);
    expect(
      missingPasswordEnv(rack, { RACKPILOT_SWITCH_PASS_TOR_R01: 'a', RACKPILOT_BMC_PASS_R01_N001: 'b' }),
    ).toEqual([]);
  });
});
