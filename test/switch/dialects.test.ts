import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkChanges, planPorts, sessionScript, transition } from '../../src/gear/switch/changes.ts';
import { DIALECT_MODULES, dialectFor } from '../../src/gear/switch/dialects/index.ts';
import { expandPortNumbers, formatVlanList, parseVlanList } from '../../src/gear/switch/ranges.ts';
import { parseSwitchTarget, type PortVlans } from '../../src/gear/switch/target.ts';
import { assertSafeCliLine, normalizeMac, parsePort } from '../../src/gear/switch/validate.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('ranges', () => {
  it('parses and formats VLAN lists', () => {
    expect(parseVlanList('100-103,200, 7')).toEqual([7, 100, 101, 102, 103, 200]);
    expect(formatVlanList([5, 1, 2, 3, 9, 10])).toBe('1-3,5,9-10');
    expect(() => parseVlanList('0-3')).toThrow();
    expect(() => parseVlanList('4090-4095')).toThrow();
    expect(() => parseVlanList('1;reload')).toThrow();
  });

  it('merges overlapping, repeated and unordered ranges into one sorted list', () => {
    expect(parseVlanList('200,100-103, 101-105 ,5,5')).toEqual([5, 100, 101, 102, 103, 104, 105, 200]);
    expect(parseVlanList('10-20,12-14')).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(parseVlanList('none')).toEqual([]);
    const all = parseVlanList('1-4094');
    expect(all).toHaveLength(4094);
    expect(all.every((v, i) => v === i + 1)).toBe(true);
  });

  it('expands OS9 and OS10 port ranges', () => {
    expect(expandPortNumbers('1/1/2-4,8')).toEqual(['1/1/2', '1/1/3', '1/1/4', '1/1/8']);
    expect(expandPortNumbers('1/1/3-1/1/5,1/1/9')).toEqual(['1/1/3', '1/1/4', '1/1/5', '1/1/9']);
    expect(expandPortNumbers('1/49')).toEqual(['1/49']);
  });
});

describe('validation', () => {
  it('accepts the port forms rack files use', () => {
    expect(parsePort('1/1/1')).toEqual({ number: '1/1/1' });
    expect(parsePort('TenGigabitEthernet 1/1/1')).toEqual({ type: 'TenGigabitEthernet', number: '1/1/1' });
    expect(parsePort('tengigabitethernet:1/3')).toEqual({ type: 'tengigabitethernet', number: '1/3' });
    expect(parsePort('Eth1/5')).toEqual({ type: 'Eth', number: '1/5' });
    expect(parsePort('1/1/1:2')).toEqual({ number: '1/1/1:2' });
  });

  it.each([
    '1/1/1\nreload',
    '1/1/1\r\nwrite erase',
    '1/1/1; reload',
    '1/1/1 | include x',
    'Te 1/1/1 extra',
    '../1',
    '',
    '1/1/1\u0000',
    'Te$(reboot) 1/1/1',
  ])('refuses port %j', (port) => {
    expect(() => parsePort(port)).toThrow(/not a (valid switch )?port/);
  });

  it('refuses unsafe CLI lines whatever built them', () => {
    expect(() => assertSafeCliLine('interface vlan 100\nreload')).toThrow();
    expect(() => assertSafeCliLine('show vlan | no-more')).toThrow();
    expect(assertSafeCliLine('untagged TenGigabitEthernet 1/1/1')).toBe('untagged TenGigabitEthernet 1/1/1');
  });

  it('normalizes MACs', () => {
    expect(normalizeMac('5254.0000.00AB')).toBe('52:54:00:00:00:ab');
    expect(normalizeMac('52-54-00-00-00-AB')).toBe('52:54:00:00:00:ab');
    expect(() => normalizeMac('52:54:00:00:00')).toThrow();
  });

  it('validates targets and changes (VLAN 1–4094, allowed list)', () => {
    const t = parseSwitchTarget({
      name: 'tor-1',
      host: '10.0.0.1',
      username: 'admin',
      password: 'pw-long',
      dialect: 'force10',
      pxeVlan: 10,
      allowedVlans: '100-199',
    });
    expect(t.port).toBe(22);
    expect(t.allowedVlans).toHaveLength(100);
    const d = dialectFor('force10');
    expect(() => checkChanges(d, t, [{ port: '1/1/1', op: 'access', vlan: 4095 }])).toThrow();
    expect(() => checkChanges(d, t, [{ port: '1/1/1', op: 'access', vlan: 0 }])).toThrow();
    expect(() => checkChanges(d, t, [{ port: '1/1/1', op: 'access', vlan: '100' }])).toThrow();
    expect(() => checkChanges(d, t, [{ port: '1/1/1', op: 'access', vlan: 250 }])).toThrow(/allowed VLANs/);
    expect(() => checkChanges(d, t, [{ port: '1/1/1', op: 'reload' }])).toThrow();
    expect(checkChanges(d, t, [{ port: '1/1/1', op: 'access', vlan: 150 }])[0]!.iface).toBe(
      'TenGigabitEthernet 1/1/1',
    );
    expect(() => parseSwitchTarget({ ...t, name: 'tor\nreload' })).toThrow();
    expect(() => parseSwitchTarget({ ...t, portPrefix: 'Te 1/1/1\nreload' })).toThrow();
    expect(() => parseSwitchTarget({ ...t, hostKeyFingerprint: 'MD5:aa' })).toThrow();
  });
});

describe('transitions', () => {
  const pxe: PortVlans = { untagged: 10, tagged: [] };
  it('models access, tag add/remove, reset', () => {
    const a = transition(pxe, { port: 'x', op: 'access', vlan: 100 }, 10);
    expect(a).toEqual({ untagged: 100, tagged: [] });
    const b = transition(a, { port: 'x', op: 'tagAdd', vlan: 200 }, 10);
    expect(b).toEqual({ untagged: 100, tagged: [200] });
    expect(transition(b, { port: 'x', op: 'tagAdd', vlan: 100 }, 10)).toEqual(b);
    expect(transition(b, { port: 'x', op: 'access', vlan: 200 }, 10)).toEqual({ untagged: 200, tagged: [] });
    expect(transition(b, { port: 'x', op: 'tagRemove', vlan: 200 }, 10)).toEqual(a);
    expect(transition(b, { port: 'x', op: 'resetPxe' }, 10)).toEqual(pxe);
  });
});

describe('parsers', () => {
  it('Force10 show vlan: ranges, continuation lines, several interface types', () => {
    const vlans = dialectFor('force10').parseVlans(fixture('force10-show-vlan.txt'));
    expect(vlans.map((v) => v.id)).toEqual([1, 10, 100, 200, 300]);
    const v10 = vlans.find((v) => v.id === 10)!;
    expect(v10.name).toBe('pxe');
    expect(v10.ports.map((p) => p.port)).toEqual([
      '1/1/1',
      '1/1/5',
      '1/1/6',
      '1/1/7',
      '1/1/10',
      '1/1/11',
      '1/1/12',
    ]);
    const v100 = vlans.find((v) => v.id === 100)!;
    expect(v100.ports).toEqual([
      { port: '1/1/2', mode: 'untagged' },
      { port: '1/1/3', mode: 'untagged' },
      { port: '1/1/4', mode: 'untagged' },
      { port: '1/1/8', mode: 'untagged' },
      { port: '1/1/9', mode: 'tagged' },
      { port: '1/49', mode: 'tagged' },
    ]);
    const v200 = vlans.find((v) => v.id === 200)!;
    expect(v200.name).toBe('storage net');
    expect(v200.ports.every((p) => p.mode === 'tagged')).toBe(true);
    expect(v200.ports).toHaveLength(4);
    expect(vlans.find((v) => v.id === 300)).toMatchObject({ name: 'spare', status: 'Inactive', ports: [] });
  });

  it('OS10 show vlan: full ranges and continuation lines', () => {
    const vlans = dialectFor('os10').parseVlans(fixture('os10-show-vlan.txt'));
    expect(vlans.find((v) => v.id === 1)!.ports).toHaveLength(29);
    expect(vlans.find((v) => v.id === 10)!.ports.map((p) => p.port)).toEqual([
      '1/1/1',
      '1/1/2',
      '1/1/3',
      '1/1/5',
      '1/1/7',
    ]);
    expect(vlans.find((v) => v.id === 100)!.ports).toEqual([
      { port: '1/1/4', mode: 'untagged' },
      { port: '1/1/5', mode: 'tagged' },
      { port: '1/1/6', mode: 'tagged' },
    ]);
  });

  it('NX-OS show vlan brief and EOS show vlan', () => {
    const nx = dialectFor('nxos').parseVlans(fixture('nxos-show-vlan-brief.txt'));
    expect(nx.map((v) => v.id)).toEqual([1, 10, 100, 200]);
    expect(nx[0]!.ports.map((p) => p.port)).toEqual(['1/9', '1/10', '1/11', '1/12', '1/13']);
    expect(nx[1]!.ports).toHaveLength(5);
    expect(nx[3]).toMatchObject({ status: 'act/lshut', ports: [] });
    const eos = dialectFor('eos').parseVlans(fixture('eos-show-vlan.txt'));
    expect(eos.find((v) => v.id === 10)!.ports.map((p) => p.port)).toEqual([
      '1/1',
      '1/2',
      '1/3',
      '1/4',
      '1/5',
      '1/6',
    ]);
    expect(eos.find((v) => v.id === 1)!.ports).toHaveLength(2);
    expect(eos.find((v) => v.id === 100)!.name).toBe('tenant-a');
  });

  it('port membership per dialect', () => {
    expect(dialectFor('force10').parsePort(fixture('force10-switchport.txt'))).toEqual({
      layer2: true,
      untagged: 100,
      tagged: [200, 201, 202, 300, 310, 311, 312],
    });
    expect(dialectFor('os10').parsePort(fixture('os10-running-interface.txt'))).toEqual({
      layer2: true,
      untagged: 10,
      tagged: [100, 200, 201],
    });
    const nx = dialectFor('nxos').parsePort(fixture('nxos-switchport.txt'));
    expect(nx.untagged).toBe(100);
    expect(nx.tagged).toEqual([200, 201, 202, 300, 301, 302, 303, 304, 305, 306, 307, 400, 401, 402]);
    expect(dialectFor('eos').parsePort(fixture('eos-switchport.txt'))).toEqual({
      layer2: true,
      untagged: 100,
      tagged: [],
    });
    expect(dialectFor('nxos').parsePort('Name: Ethernet1/5\n  Switchport: Disabled\n').layer2).toBe(false);
  });

  it('MAC tables per dialect', () => {
    expect(
      dialectFor('force10').parseMac(
        'VlanId     Mac Address           Type          Interface        State\n 100      00:18:8b:52:79:80     Dynamic       Te 1/1/1         Active\n',
      ),
    ).toEqual([{ vlan: 100, mac: '00:18:8b:52:79:80', iface: 'Te 1/1/1', port: '1/1/1' }]);
    expect(
      dialectFor('nxos').parseMac(
        '   VLAN     MAC Address      Type      age     Secure NTFY Ports\n---------+-----------------+--------+---------+------+----+------------------\n*   10     5254.0000.00ab   dynamic  0         F      F    Eth1/1\n',
      ),
    ).toEqual([{ vlan: 10, mac: '52:54:00:00:00:ab', iface: 'Eth1/1', port: '1/1' }]);
    expect(
      dialectFor('eos').parseMac(
        'Vlan    Mac Address       Type        Ports      Moves   Last Move\n  10    5254.0000.00ab    DYNAMIC     Et1/3      1       0:00:12 ago\n',
      )[0]!.port,
    ).toBe('1/3');
    expect(
      dialectFor('os10').parseMac('10        52:54:00:00:00:ab   dynamic       ethernet1/1/4\n')[0]!.port,
    ).toBe('1/1/4');
  });
});

describe('plans: exact lines per dialect', () => {
  const target = (dialect: 'force10' | 'os10' | 'nxos' | 'eos') =>
    parseSwitchTarget({
      name: 'tor',
      host: '127.0.0.1',
      username: 'a',
      password: 'secret-pw',
      dialect,
      pxeVlan: 10,
    });
  const plan = (dialect: 'force10' | 'os10' | 'nxos' | 'eos', port: string) => {
    const t = target(dialect);
    const d = dialectFor(dialect);
    const changes = checkChanges(d, t, [
      { port, op: 'access', vlan: 100 },
      { port, op: 'tagAdd', vlan: 200 },
    ]);
    return sessionScript(
      d,
      planPorts(d, t, changes, () => ({ untagged: 10, tagged: [] })),
    );
  };

  it('Force10 is VLAN-centric', () => {
    expect(plan('force10', '1/1/1')).toEqual([
      'configure',
      'interface vlan 10',
      'no untagged TenGigabitEthernet 1/1/1',
      'exit',
      'interface vlan 100',
      'untagged TenGigabitEthernet 1/1/1',
      'exit',
      'interface vlan 200',
      'tagged TenGigabitEthernet 1/1/1',
      'exit',
      'end',
      'write memory',
    ]);
  });

  it('OS10, NX-OS and EOS are port-centric', () => {
    expect(plan('os10', '1/1/1')).toEqual([
      'configure terminal',
      'interface vlan 100',
      'exit',
      'interface vlan 200',
      'exit',
      'interface ethernet1/1/1',
      'switchport mode trunk',
      'switchport access vlan 100',
      'switchport trunk allowed vlan 200',
      'exit',
      'end',
      'copy running-configuration startup-configuration',
    ]);
    const nx = plan('nxos', '1/1');
    expect(nx).toContain('interface Ethernet1/1');
    expect(nx).toContain('switchport trunk native vlan 100');
    expect(nx).toContain('switchport trunk allowed vlan 100,200');
    expect(nx.at(-1)).toBe('copy running-config startup-config');
    expect(plan('eos', '1/1')).toContain('vlan 200');
  });

  it('every dialect has the same operations', () => {
    for (const d of Object.values(DIALECT_MODULES)) {
      expect(d.changeLines('X1', { untagged: 10, tagged: [] }, { untagged: 10, tagged: [] })).toEqual([]);
      expect(d.save).toMatch(/write memory|copy/);
      expect(d.pagingOff).toBe('terminal length 0');
    }
  });
});
