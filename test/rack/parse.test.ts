import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  loadRackFile,
  loadRackFileOrThrow,
  parseRackFile,
  RackFileError,
  validateRackObject,
} from '../../src/config/rack/parse.ts';
import { describeError } from '../../src/util/errors.ts';
import type { Rack, RackError } from '../../src/config/rack/types.ts';
import { clearSecretsForTest, redact } from '../../src/util/redact.ts';

const fixture = (name: string) => new URL(`../fixtures/rack/${name}`, import.meta.url).pathname;
const read = (name: string) => readFileSync(fixture(name), 'utf8');

function ok(text: string): Rack {
  const r = parseRackFile(text);
  if (!r.ok)
    throw new Error(
      'expected a valid rack file, got:\n' + r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'),
    );
  return r.rack;
}

function errorsOf(input: unknown): RackError[] {
  const r = typeof input === 'string' ? parseRackFile(input) : validateRackObject(input);
  if (r.ok) throw new Error('expected errors, the file was accepted');
  return r.errors;
}

/** A valid one-rack file to break one field at a time. */
function base(): any {
  return {
    racks: [
      {
        l2Switch: { ip: '172.31.0.109', username: 'admin', password: 'password', type: 'Force10' },
        hosts: [
          { mac: '00:18:8b:52:79:80', port: '1/1/1', hostname: 'r01-n001' },
          { mac: '00:18:8b:52:79:81', port: '1/1/2', hostname: 'r01-n001' },
        ],
      },
    ],
  };
}

beforeEach(() => clearSecretsForTest());

describe('rack file: accepted', () => {
  it('takes the seed rack.conf exactly as written', () => {
    const rack = ok(read('seed-rack.conf.json'));
    expect(rack.racks).toHaveLength(1);
    const sw = rack.switches[0]!;
    expect(sw).toMatchObject({
      name: '172.31.0.109',
      ip: '172.31.0.109',
      sshPort: 22,
      username: 'admin',
      password: 'password',
      type: 'Force10',
      dialect: 'force10',
    });
    expect(rack.nics).toEqual([
      expect.objectContaining({
        mac: '00:18:8b:52:79:80',
        port: '1/1/1',
        portId: '1/1/1',
        portType: 'TenGigabitEthernet',
        interfaceName: 'TenGigabitEthernet 1/1/1',
        switch: '172.31.0.109',
        path: 'racks[0].hosts[0]',
      }),
    ]);
  });

  it('takes every optional field and normalises MACs, hostnames, types and ports', () => {
    const rack = ok(read('extended.json'));
    const [tor1, tor2] = rack.switches;
    expect(tor1).toMatchObject({
      name: 'tor-r01',
      sshPort: 2222,
      passwordEnv: 'RACKPILOT_SWITCH_PASS_TOR_R01',
      dialect: 'force10',
      hostKey: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
      pxeVlan: 10,
      portPrefix: 'TenGigabitEthernet',
      allowedVlans: [
        { from: 100, to: 199 },
        { from: 300, to: 300 },
      ],
    });
    expect(tor1!.password).toBeUndefined();
    expect(tor2).toMatchObject({ name: 'tor-r02', dialect: 'nxos', sshPort: 22 });
    expect(rack.racks.map((r) => r.name)).toEqual(['r01', 'r02']);
    expect(rack.nics.map((n) => n.mac)).toEqual([
      '00:18:8b:52:79:80',
      '00:18:8b:52:79:81',
      '00:18:8b:52:79:82',
      '00:18:8b:52:79:83',
      '52:54:00:00:02:01',
      '52:54:00:00:02:02',
      '52:54:00:00:02:03',
    ]);
    expect(rack.nics.map((n) => n.interfaceName)).toEqual([
      'TenGigabitEthernet 1/1/1',
      'TenGigabitEthernet 1/1/2',
      'fortyGigE 1/1/49:1',
      'TenGigabitEthernet 1/1/4',
      'Ethernet1/1',
      'Ethernet1/2',
      'Ethernet1/3',
    ]);
    expect(rack.nics[0]!.hostname).toBe('r01-n001');
    // The BMC written on one NIC entry belongs to every entry of that host; the default port is 623.
    expect(rack.nics[1]!.bmc).toEqual({
      protocol: 'ipmi',
      address: '10.0.0.11',
      port: 623,
      username: 'admin',
      passwordEnv: 'RACKPILOT_BMC_PASS_R01_N001',
    });
    expect(rack.nics[2]!.bmc).toMatchObject({ address: 'bmc-r01-n002.example.net', port: 6230 });
    expect(rack.nics[3]!.hostname).toBeUndefined();
  });

  it.each([
    ['Force10', '1/1/1', 'TenGigabitEthernet 1/1/1'],
    ['Force10', '0/12', 'TenGigabitEthernet 0/12'],
    ['Force10', '1/1/1:4', 'TenGigabitEthernet 1/1/1:4'],
    ['Force10', 'Te 1/1/1', 'TenGigabitEthernet 1/1/1'],
    ['Force10', 'te1/1/1', 'TenGigabitEthernet 1/1/1'],
    ['Force10', 'TenGigabitEthernet 1/1/1', 'TenGigabitEthernet 1/1/1'],
    ['Force10', 'tengigabitethernet:1/3', 'TenGigabitEthernet 1/3'],
    ['Force10', 'Gi 0/4', 'GigabitEthernet 0/4'],
    ['Force10', 'hundredGigE 1/1/49', 'hundredGigE 1/1/49'],
    ['DellOS10', '1/1/1', 'ethernet1/1/1'],
    ['DellOS10', 'ethernet1/1/1', 'ethernet1/1/1'],
    ['os10', 'ethernet 1/1/5:2', 'ethernet1/1/5:2'],
    ['NXOS', '1/1', 'Ethernet1/1'],
    ['nx-os', 'Ethernet1/1', 'Ethernet1/1'],
    ['cisco', 'Eth101/1/3', 'Ethernet101/1/3'],
    ['EOS', '7', 'Ethernet7'],
    ['Arista', 'Ethernet1/1', 'Ethernet1/1'],
    ['eos', 'Et3/1/1', 'Ethernet3/1/1'],
  ])('type %s accepts port %s as %s', (type, port, interfaceName) => {
    const f = base();
    f.racks[0].l2Switch.type = type;
    f.racks[0].hosts = [{ mac: '00:18:8b:52:79:80', port }];
    const r = validateRackObject(f);
    expect(r.ok && r.rack.nics[0]!.interfaceName).toBe(interfaceName);
  });

  it.each([
    ['00:18:8B:52:79:80'],
    ['00-18-8b-52-79-80'],
    ['0018.8b52.7980'],
    ['00188B527980'],
    [' 00:18:8b:52:79:80 '],
  ])('normalises MAC %s', (mac) => {
    const f = base();
    f.racks[0].hosts = [{ mac, port: '1/1/1' }];
    const r = validateRackObject(f);
    expect(r.ok && r.rack.nics[0]!.mac).toBe('00:18:8b:52:79:80');
  });

  it("keeps the uuid CloudStack's own rack config class writes on hosts", () => {
    const f = base();
    f.racks[0].hosts[0].uuid = '5c6e3f3e-7b2a-4c1e-9a55-0f6b8d0f2a11';
    const r = validateRackObject(f);
    expect(r.ok && r.rack.nics[0]!.uuid).toBe('5c6e3f3e-7b2a-4c1e-9a55-0f6b8d0f2a11');
  });

  it('ignores a byte order mark', () => {
    expect(ok('\uFEFF' + read('seed-rack.conf.json')).nics).toHaveLength(1);
  });

  it('accepts a rack with no hosts yet', () => {
    const f = base();
    f.racks[0].hosts = [];
    expect(validateRackObject(f).ok).toBe(true);
  });
});

type Mutate = (f: any) => void;

// Each: what is broken, how, the JSON path the error must name, and what the message must say.
const BAD: [string, Mutate, string, RegExp][] = [
  ['no racks field', (f) => delete f.racks, 'racks', /missing/],
  ['racks not a list', (f) => (f.racks = {}), 'racks', /must be a list/],
  ['empty racks', (f) => (f.racks = []), 'racks', /no racks/],
  ['unknown top-level field', (f) => (f.rack = 1), 'rack', /unknown field \(known: racks\)/],
  ['rack not an object', (f) => (f.racks[0] = 'r01'), 'racks[0]', /must be an object/],
  ['missing l2Switch', (f) => delete f.racks[0].l2Switch, 'racks[0].l2Switch', /missing/],
  ['missing hosts', (f) => delete f.racks[0].hosts, 'racks[0].hosts', /missing/],
  ['unknown rack field', (f) => (f.racks[0].switch = {}), 'racks[0].switch', /unknown field.*l2Switch/],
  ['bad rack name', (f) => (f.racks[0].name = 'r 01'), 'racks[0].name', /not a rack name/],
  ['missing switch ip', (f) => delete f.racks[0].l2Switch.ip, 'racks[0].l2Switch.ip', /missing/],
  [
    'bad switch ip',
    (f) => (f.racks[0].l2Switch.ip = '172.31.0.300'),
    'racks[0].l2Switch.ip',
    /not an IP address/,
  ],
  ['shell in switch ip', (f) => (f.racks[0].l2Switch.ip = 'a;rm -rf /'), 'racks[0].l2Switch.ip', /not an IP/],
  ['missing username', (f) => delete f.racks[0].l2Switch.username, 'racks[0].l2Switch.username', /missing/],
  [
    'username with space',
    (f) => (f.racks[0].l2Switch.username = 'ad min'),
    'racks[0].l2Switch.username',
    /without spaces/,
  ],
  [
    'no password at all',
    (f) => delete f.racks[0].l2Switch.password,
    'racks[0].l2Switch',
    /needs "password" or "passwordEnv"/,
  ],
  [
    'password and passwordEnv',
    (f) => (f.racks[0].l2Switch.passwordEnv = 'TOR_PASS'),
    'racks[0].l2Switch.passwordEnv',
    /either/,
  ],
  ['empty password', (f) => (f.racks[0].l2Switch.password = ''), 'racks[0].l2Switch.password', /empty/],
  [
    'password a number',
    (f) => (f.racks[0].l2Switch.password = 12345678),
    'racks[0].l2Switch.password',
    /must be a string, not a number/,
  ],
  [
    'bad passwordEnv name',
    (f) => {
      delete f.racks[0].l2Switch.password;
      f.racks[0].l2Switch.passwordEnv = 'tor-pass';
    },
    'racks[0].l2Switch.passwordEnv',
    /not an environment variable name/,
  ],
  ['missing type', (f) => delete f.racks[0].l2Switch.type, 'racks[0].l2Switch.type', /missing/],
  [
    'unknown type',
    (f) => (f.racks[0].l2Switch.type = 'Juniper'),
    'racks[0].l2Switch.type',
    /unknown switch type "Juniper" \(known: Force10, DellOS10, NXOS, EOS\)/,
  ],
  [
    'misspelt field',
    (f) => (f.racks[0].l2Switch.pasword = 'x'),
    'racks[0].l2Switch.pasword',
    /unknown field \(known: ip, username, password/,
  ],
  ['sshPort 0', (f) => (f.racks[0].l2Switch.sshPort = 0), 'racks[0].l2Switch.sshPort', /1 to 65535/],
  ['sshPort 70000', (f) => (f.racks[0].l2Switch.sshPort = 70000), 'racks[0].l2Switch.sshPort', /1 to 65535/],
  [
    'sshPort fraction',
    (f) => (f.racks[0].l2Switch.sshPort = 22.5),
    'racks[0].l2Switch.sshPort',
    /whole number/,
  ],
  [
    'sshPort as string',
    (f) => (f.racks[0].l2Switch.sshPort = '22'),
    'racks[0].l2Switch.sshPort',
    /must be a number, not a string/,
  ],
  [
    'MD5 host key',
    (f) => (f.racks[0].l2Switch.hostKey = 'MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48'),
    'racks[0].l2Switch.hostKey',
    /SHA256/,
  ],
  [
    'short host key',
    (f) => (f.racks[0].l2Switch.hostKey = 'SHA256:abc'),
    'racks[0].l2Switch.hostKey',
    /43 base64/,
  ],
  [
    'pxeVlan 0',
    (f) => (f.racks[0].l2Switch.pxeVlan = 0),
    'racks[0].l2Switch.pxeVlan',
    /not a VLAN id \(1–4094\)/,
  ],
  ['pxeVlan 4095', (f) => (f.racks[0].l2Switch.pxeVlan = 4095), 'racks[0].l2Switch.pxeVlan', /not a VLAN id/],
  [
    'pxeVlan string',
    (f) => (f.racks[0].l2Switch.pxeVlan = '10'),
    'racks[0].l2Switch.pxeVlan',
    /must be a number/,
  ],
  [
    'allowedVlans junk',
    (f) => (f.racks[0].l2Switch.allowedVlans = '100-199;300'),
    'racks[0].l2Switch.allowedVlans',
    /not a VLAN id or range/,
  ],
  [
    'allowedVlans out of range',
    (f) => (f.racks[0].l2Switch.allowedVlans = '100-5000'),
    'racks[0].l2Switch.allowedVlans',
    /1 to 4094/,
  ],
  [
    'allowedVlans backwards',
    (f) => (f.racks[0].l2Switch.allowedVlans = '200-100'),
    'racks[0].l2Switch.allowedVlans',
    /backwards/,
  ],
  [
    'allowedVlans empty',
    (f) => (f.racks[0].l2Switch.allowedVlans = ''),
    'racks[0].l2Switch.allowedVlans',
    /empty/,
  ],
  [
    'portPrefix with space',
    (f) => (f.racks[0].l2Switch.portPrefix = 'Te 1'),
    'racks[0].l2Switch.portPrefix',
    /letters only/,
  ],
  [
    'portPrefix of another dialect',
    (f) => (f.racks[0].l2Switch.portPrefix = 'ethernet'),
    'racks[0].l2Switch.portPrefix',
    /unknown interface type "ethernet" for Force10 \(known: TenGigabitEthernet/,
  ],
  [
    'bad switch name',
    (f) => (f.racks[0].l2Switch.name = 'tor r01'),
    'racks[0].l2Switch.name',
    /not a switch name/,
  ],
  ['hosts not a list', (f) => (f.racks[0].hosts = {}), 'racks[0].hosts', /must be a list/],
  [
    'host not an object',
    (f) => (f.racks[0].hosts[1] = '00:18:8b:52:79:81'),
    'racks[0].hosts[1]',
    /must be an object/,
  ],
  ['missing mac', (f) => delete f.racks[0].hosts[1].mac, 'racks[0].hosts[1].mac', /missing/],
  [
    'mac with bad digit',
    (f) => (f.racks[0].hosts[1].mac = '00:18:8b:52:79:8g'),
    'racks[0].hosts[1].mac',
    /not a MAC address/,
  ],
  [
    'mac too short',
    (f) => (f.racks[0].hosts[1].mac = '00:18:8b:52:79'),
    'racks[0].hosts[1].mac',
    /not a MAC address/,
  ],
  [
    'mixed separators',
    (f) => (f.racks[0].hosts[1].mac = '00:18-8b:52:79:81'),
    'racks[0].hosts[1].mac',
    /not a MAC address/,
  ],
  [
    'broadcast mac',
    (f) => (f.racks[0].hosts[1].mac = 'ff:ff:ff:ff:ff:ff'),
    'racks[0].hosts[1].mac',
    /broadcast/,
  ],
  ['zero mac', (f) => (f.racks[0].hosts[1].mac = '00:00:00:00:00:00'), 'racks[0].hosts[1].mac', /all-zero/],
  [
    'duplicate mac',
    (f) => (f.racks[0].hosts[1].mac = '00-18-8B-52-79-80'),
    'racks[0].hosts[1].mac',
    /00:18:8b:52:79:80 is already used by racks\[0\]\.hosts\[0\]/,
  ],
  ['missing port', (f) => delete f.racks[0].hosts[1].port, 'racks[0].hosts[1].port', /missing/],
  [
    'port with ;',
    (f) => (f.racks[0].hosts[1].port = '1/1/2;reload'),
    'racks[0].hosts[1].port',
    /not a valid port name for Force10/,
  ],
  [
    'port with newline',
    (f) => (f.racks[0].hosts[1].port = '1/1/2\nwrite erase'),
    'racks[0].hosts[1].port',
    /"1\/1\/2\\nwrite erase"/,
  ],
  [
    'port with quote',
    (f) => (f.racks[0].hosts[1].port = 'Te "1/1/2"'),
    'racks[0].hosts[1].port',
    /not a valid port name for Force10/,
  ],
  [
    'port with two spaces',
    (f) => (f.racks[0].hosts[1].port = 'Te  1/1/2'),
    'racks[0].hosts[1].port',
    /not a valid port name for Force10/,
  ],
  [
    'port with trailing space',
    (f) => (f.racks[0].hosts[1].port = '1/1/2 '),
    'racks[0].hosts[1].port',
    /not a valid port name for Force10/,
  ],
  [
    'unknown interface type',
    (f) => (f.racks[0].hosts[1].port = 'Xe 1/1/2'),
    'racks[0].hosts[1].port',
    /unknown interface type "Xe" for Force10/,
  ],
  [
    'NX-OS port on Force10',
    (f) => (f.racks[0].hosts[1].port = 'Ethernet1/2'),
    'racks[0].hosts[1].port',
    /unknown interface type "Ethernet"/,
  ],
  [
    'Force10 port on OS10',
    (f) => {
      f.racks[0].l2Switch.type = 'DellOS10';
      f.racks[0].hosts[1].port = '1/2';
    },
    'racks[0].hosts[1].port',
    /not a valid port name for DellOS10 \(e\.g\. 1\/1\/1/,
  ],
  [
    'Dell port on NX-OS',
    (f) => {
      f.racks[0].l2Switch.type = 'NXOS';
      f.racks[0].hosts[0].port = '1/1';
      f.racks[0].hosts[1].port = '1/1/1:1';
    },
    'racks[0].hosts[1].port',
    /not a valid port name for NXOS/,
  ],
  [
    'duplicate port',
    (f) => (f.racks[0].hosts[1].port = '1/1/1'),
    'racks[0].hosts[1].port',
    /port TenGigabitEthernet 1\/1\/1 of this switch is already used by racks\[0\]\.hosts\[0\]/,
  ],
  [
    'duplicate port, other spelling',
    (f) => (f.racks[0].hosts[1].port = 'Te 1/1/1'),
    'racks[0].hosts[1].port',
    /already used by racks\[0\]\.hosts\[0\]/,
  ],
  ['port as number', (f) => (f.racks[0].hosts[1].port = 1), 'racks[0].hosts[1].port', /must be a string/],
  [
    'bad hostname',
    (f) => (f.racks[0].hosts[1].hostname = 'r01_n001'),
    'racks[0].hosts[1].hostname',
    /not a host name/,
  ],
  [
    'hostname too long',
    (f) => (f.racks[0].hosts[1].hostname = 'a'.repeat(64)),
    'racks[0].hosts[1].hostname',
    /not a host name/,
  ],
  [
    'hostname with dot',
    (f) => (f.racks[0].hosts[1].hostname = 'r01.n001'),
    'racks[0].hosts[1].hostname',
    /not a host name/,
  ],
  [
    'unknown host field',
    (f) => (f.racks[0].hosts[1].vlan = 100),
    'racks[0].hosts[1].vlan',
    /unknown field \(known: mac, port, hostname, bmc, uuid, bootMethod\)/,
  ],
  [
    'bmc not an object',
    (f) => (f.racks[0].hosts[0].bmc = '10.0.0.1'),
    'racks[0].hosts[0].bmc',
    /must be an object/,
  ],
  [
    'bmc without address',
    (f) => (f.racks[0].hosts[0].bmc = { username: 'admin' }),
    'racks[0].hosts[0].bmc.address',
    /missing/,
  ],
  [
    'bmc bad address',
    (f) => (f.racks[0].hosts[0].bmc = { address: '10.0.0.1:623' }),
    'racks[0].hosts[0].bmc.address',
    /not an IP address or DNS name of the BMC/,
  ],
  [
    'bmc bad port',
    (f) => (f.racks[0].hosts[0].bmc = { address: '10.0.0.1', port: 0 }),
    'racks[0].hosts[0].bmc.port',
    /1 to 65535/,
  ],
  [
    'bmc long user',
    (f) => (f.racks[0].hosts[0].bmc = { address: '10.0.0.1', username: 'a'.repeat(17) }),
    'racks[0].hosts[0].bmc.username',
    /IPMI limit/,
  ],
  [
    'bmc long password',
    (f) => (f.racks[0].hosts[0].bmc = { address: '10.0.0.1', password: 'p'.repeat(21) }),
    'racks[0].hosts[0].bmc.password',
    /20 bytes/,
  ],
  [
    'bmc password and passwordEnv',
    (f) => (f.racks[0].hosts[0].bmc = { address: '10.0.0.1', password: 'calvin', passwordEnv: 'BMC_PASS' }),
    'racks[0].hosts[0].bmc.passwordEnv',
    /either/,
  ],
  [
    'bmc unknown field',
    (f) => (f.racks[0].hosts[0].bmc = { address: '10.0.0.1', user: 'admin' }),
    'racks[0].hosts[0].bmc.user',
    /unknown field \(known: protocol, address, port, username, password, passwordEnv, scheme, certSha256, systemId\)/,
  ],
  [
    'two BMCs for one host',
    (f) => {
      f.racks[0].hosts[0].bmc = { address: '10.0.0.1' };
      f.racks[0].hosts[1].bmc = { address: '10.0.0.2' };
    },
    'racks[0].hosts[1].bmc',
    /differs from the BMC given for r01-n001 at racks\[0\]\.hosts\[0\]\.bmc/,
  ],
  [
    'one BMC for two hosts',
    (f) => {
      f.racks[0].hosts[0].bmc = { address: '10.0.0.1' };
      f.racks[0].hosts[1].hostname = 'r01-n002';
      f.racks[0].hosts[1].bmc = { address: '10.0.0.1' };
    },
    'racks[0].hosts[1].bmc.address',
    /10\.0\.0\.1:623 is already the BMC of host r01-n001/,
  ],
  [
    'same switch in two racks',
    (f) => f.racks.push({ l2Switch: { ...f.racks[0].l2Switch }, hosts: [] }),
    'racks[1].l2Switch.ip',
    /"172\.31\.0\.109" port 22 is already racks\[0\]\.l2Switch/,
  ],
  [
    'same switch name in two racks',
    (f) => {
      f.racks[0].l2Switch.name = 'tor';
      f.racks.push({ l2Switch: { ...f.racks[0].l2Switch, ip: '172.31.0.110' }, hosts: [] });
    },
    'racks[1].l2Switch.name',
    /switch name "tor" is already used by racks\[0\]\.l2Switch/,
  ],
  [
    'duplicate MAC across racks',
    (f) =>
      f.racks.push({
        l2Switch: { ip: '172.31.0.110', username: 'admin', password: 'password', type: 'EOS' },
        hosts: [{ mac: '00:18:8b:52:79:81', port: '1' }],
      }),
    'racks[1].hosts[0].mac',
    /already used by racks\[0\]\.hosts\[1\]/,
  ],
  [
    '__proto__ field',
    (f) => Object.defineProperty(f.racks[0], '__proto__', { value: {}, enumerable: true }),
    'racks[0].__proto__',
    /unknown field/,
  ],
];

describe('rack file: refused, each problem at its JSON path', () => {
  it('has at least 25 bad cases', () => expect(BAD.length).toBeGreaterThanOrEqual(25));

  it.each(BAD)('%s', (_name, mutate, path, message) => {
    const f = base();
    mutate(f);
    // Through the text parser too, so paths are the same as for a file on disk.
    for (const errors of [errorsOf(f), errorsOf(JSON.stringify(f))]) {
      const at = errors.filter((e) => e.path === path);
      expect(at, `errors were: ${JSON.stringify(errors)}`).not.toHaveLength(0);
      expect(at.map((e) => e.message).join('\n')).toMatch(message);
    }
  });

  it('reports every problem of a file in one pass, in file order', () => {
    const errors = errorsOf(read('bad-several.json'));
    expect(errors.map((e) => e.path)).toEqual([
      'racks[0].l2Switch.type',
      'racks[0].hosts[0].mac',
      'racks[0].hosts[1].port',
      'racks[0].hosts[2].mac',
    ]);
  });

  it('keeps racks[2] before racks[10]', () => {
    const f = base();
    for (let i = 1; i <= 10; i++) {
      f.racks.push({
        l2Switch: { ip: `10.0.0.${i}`, username: 'admin', password: 'password', type: 'EOS' },
        hosts: [
          { mac: `52:54:00:00:00:${String(i).padStart(2, '0')}`, port: i === 2 || i === 10 ? 'x' : '1' },
        ],
      });
    }
    expect(errorsOf(f).map((e) => e.path)).toEqual(['racks[2].hosts[0].port', 'racks[10].hosts[0].port']);
  });

  it('names a field given twice', () => {
    const errors = errorsOf(
      '{"racks": [{"l2Switch": {"ip": "10.0.0.1", "username": "a", "password": "p",\n "type": "EOS", "type": "NXOS"}, "hosts": []}]}',
    );
    expect(errors).toEqual([
      { path: 'racks[0].l2Switch.type', message: 'field given twice (again at line 2, column 17)' },
    ]);
  });
});

describe('rack file: invalid JSON names line and column', () => {
  it.each([
    ['trailing comma', read('trailing-comma.json'), 7, 7, /trailing comma/],
    [
      'unterminated string',
      '{\n  "racks": [\n    {"l2Switch": "abc\n',
      3,
      22,
      /line break inside a string \(missing closing "\?\)$/,
    ],
    ['single quotes', "{\n  'racks': []\n}", 2, 3, /double quotes/],
    [
      'missing comma',
      '{\n  "racks": []\n  "x": 1\n}',
      3,
      3,
      /expected ',' or '}' after the value of "racks"/,
    ],
    ['empty file', '', 1, 1, /empty/],
    ['only whitespace', '\n\n  ', 3, 3, /empty/],
    ['text after the end', '{"racks": []}\n}', 2, 1, /text after the end/],
    ['unclosed object', '{"racks": [', 1, 12, /expected a value, found the end of the file/],
    ['bare word', '{"racks": nope}', 1, 11, /expected a value, found 'n'/],
    ['bad escape', '{"racks": "\\q"}', 1, 13, /bad escape/],
  ])('%s', (_name, text, line, column, message) => {
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.path).toBe('$');
    expect(errors[0]!.message).toContain(`line ${line}, column ${column}`);
    expect(errors[0]!.message).toMatch(message);
  });

  it('never quotes the file text back, so a password near the error stays unseen', () => {
    const errors = errorsOf(read('trailing-comma.json'));
    expect(JSON.stringify(errors)).not.toContain('hunter2-secret');
    const errors2 = errorsOf('{"racks": [{"l2Switch": {"password": "hunter2-secret" "type": "x"}}]}');
    expect(JSON.stringify(errors2)).not.toContain('hunter2');
  });

  it('does not overflow the stack on deep nesting', () => {
    expect(errorsOf('['.repeat(100000))[0]!.message).toMatch(/nesting deeper than 64/);
  });
});

describe('rack file: secrets', () => {
  it('registers inline passwords as secrets even when the file is refused', () => {
    const f = base();
    f.racks[0].l2Switch.password = 'tor-secret-99';
    f.racks[0].hosts[0].bmc = { address: '10.0.0.1', password: 'bmc-secret-77' };
    f.racks[0].l2Switch.type = 'Juniper';
    errorsOf(f);
    expect(redact('login tor-secret-99 bmc-secret-77')).toBe('login *** ***');
  });

  it('never prints a mistyped password value', () => {
    const f = base();
    f.racks[0].l2Switch.password = 98765432;
    expect(JSON.stringify(errorsOf(f))).not.toContain('98765432');
  });
});

describe('loadRackFile', () => {
  it('reads a file, and gives the text it validated', async () => {
    const r = await loadRackFile(fixture('extended.json'));
    expect(r.ok && r.rack.source).toBe(fixture('extended.json'));
    expect(r.ok && r.text).toBe(read('extended.json'));
  });

  it('reports a missing file and a directory as errors, not exceptions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rack-'));
    expect(await loadRackFile(join(dir, 'none.json'))).toEqual({
      ok: false,
      errors: [{ path: '$', message: `cannot read ${join(dir, 'none.json')}: no such file` }],
    });
    const r = await loadRackFile(dir);
    expect(r.ok ? '' : r.errors[0]!.message).toMatch(/is not a file/);
    writeFileSync(join(dir, 'bad.json'), '{"racks": [}');
    const r2 = await loadRackFile(join(dir, 'bad.json'));
    expect(r2.ok ? '' : r2.errors[0]!.message).toMatch(/line 1, column 12/);
  });
});

describe('rack file: odd values', () => {
  it('names a number too large for JSON doubles', () => {
    const errors = errorsOf(
      '{"racks":[{"l2Switch":{"ip":"10.0.0.1","username":"a","password":"pppp","type":"EOS","sshPort":1e400},"hosts":[]}]}',
    );
    expect(errors).toEqual([
      { path: 'racks[0].l2Switch.sshPort', message: 'must be a number, not a number too large to use' },
    ]);
  });

  it('shows terminal escape sequences in a bad value as text, not as escapes', () => {
    const errors = errorsOf(
      '{"racks":[{"l2Switch":{"ip":"10.0.0.1","username":"a","password":"pppp","type":"EOS"},"hosts":[{"mac":"52:54:00:00:00:01","port":"\\u001b[2J1"}]}]}',
    );
    expect(errors[0]!.message).toMatch(/^"\\u001b\[2J1" is not a valid port name for EOS/);
    expect(errors[0]!.message).not.toContain('\u001b');
  });

  it('refuses a top-level list', () => {
    expect(errorsOf('[]')).toEqual([{ path: '$', message: 'must be an object ({…}), not a list' }]);
  });
});

describe('loadRackFileOrThrow', () => {
  it('returns the rack, or throws an operator error listing every problem', async () => {
    expect((await loadRackFileOrThrow(fixture('seed-rack.conf.json'))).nics).toHaveLength(1);
    const err = await loadRackFileOrThrow(fixture('bad-several.json')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RackFileError);
    const text = describeError(err);
    expect(text.split('\n')[0]).toBe(`rack file ${fixture('bad-several.json')}: 4 problems`);
    expect(text).toContain('  racks[0].hosts[1].port: "1/1/2; reload" is not a port name');
    expect(text).toContain(
      `→ fix the file, then check it with: rackpilot rack validate ${fixture('bad-several.json')}`,
    );
    expect((err as RackFileError).errors).toHaveLength(4);
  });
});

describe('rack file: memory', () => {
  it("keeps none of the file's text alive through the values it read", () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    // 32 MB of blank space in the text: a value that were a slice of it (a MAC address, 17
    // characters, is one in V8) would keep all of it for as long as the rack lives.
    const parsePadded = () => ok(read('extended.json').replace('{', `{${' '.repeat(32 << 20)}`));
    gc();
    const before = process.memoryUsage().heapUsed;
    const rack = parsePadded();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(rack.nics.some((n) => n.mac.length >= 13)).toBe(true);
    expect(grown).toBeLessThan(4 << 20);
  });
});
