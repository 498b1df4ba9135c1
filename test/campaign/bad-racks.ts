/** Bad rack files the campaign and `rackpilot check`'s tests both try. */

export function base(): any {
  return {
    racks: [
      {
        name: 'r01',
        l2Switch: {
          name: 'tor-r01',
          ip: '172.31.0.109',
          username: 'admin',
          passwordEnv: 'RACKPILOT_SWITCH_PASS_TOR_R01',
          type: 'force10',
          pxeVlan: 10,
        },
        hosts: [
          { mac: '00:18:8b:52:79:80', port: '1/1/1', hostname: 'r01-n001' },
          { mac: '00:18:8b:52:79:81', port: '1/1/2', hostname: 'r01-n001' },
        ],
      },
    ],
  };
}

export type Mut = [label: string, mutate: (r: any) => unknown, path: RegExp];
const sw = (k: string, v: unknown): Mut => [
  `l2Switch.${k}=${JSON.stringify(v)}`,
  (r) => void (r.racks[0].l2Switch[k] = v),
  new RegExp(`racks\\[0\\]\\.l2Switch`),
];
const host = (k: string, v: unknown): Mut => [
  `hosts[0].${k}=${JSON.stringify(v)}`,
  (r) => void (r.racks[0].hosts[0][k] = v),
  /racks\[0\]\.hosts\[0\]/,
];

export const MUTATIONS: Mut[] = [
  ['racks missing', (r) => void delete r.racks, /racks|\$/],
  ['racks not an array', (r) => void (r.racks = {}), /racks/],
  ['racks a string', (r) => void (r.racks = 'r01'), /racks/],
  ['rack null', (r) => void (r.racks[0] = null), /racks\[0\]/],
  ['rack without l2Switch', (r) => void delete r.racks[0].l2Switch, /racks\[0\]/],
  ['rack without hosts', (r) => void delete r.racks[0].hosts, /racks\[0\]/],
  ['hosts not an array', (r) => void (r.racks[0].hosts = 'x'), /racks\[0\]\.hosts/],
  sw('ip', ''),
  sw('ip', 42),
  sw('ip', 'not an address!'),
  sw('type', 'Juniper'),
  sw('type', 7),
  sw('username', ''),
  sw('username', null),
  sw('sshPort', 0),
  sw('sshPort', 70000),
  sw('sshPort', '22'),
  sw('pxeVlan', 0),
  sw('pxeVlan', 4095),
  sw('pxeVlan', 'ten'),
  sw('passwordEnv', 'lower case'),
  sw('passwordEnv', 5),
  sw('hostKey', 'not-a-fingerprint'),
  sw('allowedVlans', '100-'),
  sw('allowedVlans', 'a-b'),
  sw('allowedVlans', '5000'),
  sw('portPrefix', 7),
  [
    'switch with password and passwordEnv',
    (r) => void (r.racks[0].l2Switch.password = 'x'),
    /racks\[0\]\.l2Switch/,
  ],
  ['switch without any password', (r) => void delete r.racks[0].l2Switch.passwordEnv, /racks\[0\]\.l2Switch/],
  host('mac', '00:18:8b:52:79:8g'),
  host('mac', ''),
  host('mac', 12),
  host('mac', '00:18:8b:52:79'),
  host('mac', '00:18:8b:52:79:80:00'),
  host('port', '1/1/2; reload'),
  host('port', ''),
  host('port', 3),
  host('port', 'eth0 && rm -rf /'),
  host('hostname', 'has space'),
  host('hostname', '-leading'),
  host('hostname', 'x'.repeat(70)),
  host('hostname', 5),
  host('bmc', 'not an object'),
  host('bmc', { address: '', username: 'admin', passwordEnv: 'BMC_PW' }),
  host('bmc', { address: '10.0.0.11', port: 0, username: 'admin', passwordEnv: 'BMC_PW' }),
  host('bmc', { address: '10.0.0.11', username: 5, passwordEnv: 'BMC_PW' }),
  [
    'duplicate MAC',
    (r) => void (r.racks[0].hosts[1].mac = r.racks[0].hosts[0].mac),
    /racks\[0\]\.hosts\[1\]|mac/i,
  ],
  [
    'duplicate port',
    (r) => void (r.racks[0].hosts[1].port = r.racks[0].hosts[0].port),
    /racks\[0\]\.hosts\[1\]|port/i,
  ],
  [
    'duplicate switch name',
    (r) => void r.racks.push({ ...base().racks[0], hosts: [{ mac: '00:18:8b:52:79:90', port: '1/1/9' }] }),
    /racks\[1\]/,
  ],
];

export const TEXTS: [string, string][] = [
  ['empty file', ''],
  ['not JSON', 'racks: []'],
  ['trailing comma', '{"racks": [],}'],
  ['truncated', '{"racks": [{"name": "r01"'],
  ['a JSON string', '"racks"'],
  ['a JSON array', '[]'],
  ['null', 'null'],
  ['binary', '\u0000\u0001\u0002'],
  ['duplicate key', '{"racks": [], "racks": []}'],
  ['comments', '// rack\n{"racks": []}'],
];
