import type { Cabling, Inspection, InspectNode, InspectValue } from '../../protocol/doctor.ts';

/**
 * Bond and VLAN inspection and the cabling check, without I/O: what MaaS, the switches and the rack
 * file say go in; a tree with expected values and drift (or one verdict per NIC) comes out.
 */

export interface InspectFacts {
  hostname: string;
  now: number;
  /** MaaS's interface_set of the machine. */
  interfaces: {
    id: number;
    name: string;
    type: string;
    mac: string;
    parents: string[];
    bondMode: string | null;
    vlan: number | null;
    linkConnected: boolean;
  }[];
  /** The rack file's ToR NICs of the host, with what the switch says about each port. */
  nics: {
    mac: string;
    switch: string;
    port: string;
    pxeVlan: number;
    actual: { untagged: number | null; tagged: number[] } | { error: string };
    learnedOn: string | null | { error: string };
  }[];
  /** The instance on the host: its VLANs (first untagged, the others tagged) and its state. */
  instance: { name: string; access: number; tagged: number[]; state?: string } | null;
  /** What the host's BMC answers (read only for a host with a settled instance). */
  bmc?: {
    power: 'on' | 'off' | { error: string };
    boot: { device: string; valid: boolean } | { error: string };
  } | null;
}

/**
 * What a host's BMC should say for its instance: a running instance's host is on, a stopped one's
 * off, and both boot from disk (the deploy's "Boot from disk" step, persistent). An instance being
 * created or destroyed has a task on it, whose steps decide.
 */
export function expectedBmc(state: string | undefined): { power: 'on' | 'off'; boot: 'disk' } | null {
  if (state === 'running') return { power: 'on', boot: 'disk' };
  if (state === 'stopped') return { power: 'off', boot: 'disk' };
  return null;
}

const BOND_MODE = 'active-backup';

function val(actual: string, expected: string): InspectValue {
  return { actual, expected, drift: actual !== expected };
}

function vlanText(untagged: number | null, tagged: readonly number[]): string {
  return `untagged ${untagged ?? 'none'}, tagged ${tagged.length ? [...tagged].sort((a, b) => a - b).join(' ') : 'none'}`;
}

export function inspect(f: InspectFacts): Omit<Inspection, 'plan'> {
  const found: Findings = { drift: [], unknown: [], ports: [] };
  let bondFix: NonNullable<Inspection['reconcile']>['bond'];
  // The NICs by MAC: a bond carries its first member's MAC, and must not hide that member.
  const byMac: ByMac = new Map(
    f.interfaces.filter((i) => i.type === 'physical').map((i) => [i.mac.toLowerCase(), i]),
  );
  const bonds = f.interfaces.filter((i) => i.type === 'bond');

  const children: InspectNode[] = [];
  const bmc = bmcNode(f);
  if (bmc) {
    children.push(bmc.node);
    found.drift.push(...bmc.drift);
    found.unknown.push(...bmc.unknown);
  }
  const expectBond = f.nics.length >= 2;
  for (const b of bonds) {
    const bond = bondNode(f, b, byMac, found);
    if (bond.fix) bondFix = bond.fix;
    children.push(bond.node);
  }
  const inBond = new Set(
    bonds.flatMap((b) =>
      f.nics.filter((n) => b.parents.includes(byMac.get(n.mac)?.name ?? '\0')).map((n) => n.mac),
    ),
  );
  for (const nic of f.nics) if (!inBond.has(nic.mac)) children.push(nicNode(f, byMac, nic, found));
  if (f.instance && expectBond && bonds.length === 0)
    found.drift.push(`no bond in MaaS; ${f.nics.length} ToR NICs expect bond0 (${BOND_MODE})`);

  const tree: InspectNode = {
    kind: 'machine',
    label: `${f.hostname}${f.instance ? ` (instance ${f.instance.name})` : ' (no instance: PXE VLAN expected)'}`,
    values: {},
    children,
  };
  return {
    hostname: f.hostname,
    tree,
    drift: found.drift,
    unknown: found.unknown,
    reconcile:
      found.ports.length || bondFix || bmc?.fix
        ? { ports: found.ports, ...(bondFix && { bond: bondFix }), ...bmc?.fix }
        : null,
    readAt: f.now,
  };
}

/** What the tree finds as it is built, in the order it is built: drift, reads that failed, ports to set. */
interface Findings {
  drift: string[];
  unknown: string[];
  ports: NonNullable<Inspection['reconcile']>['ports'];
}

type Iface = InspectFacts['interfaces'][number];
type ByMac = Map<string, Iface>;
type Nic = InspectFacts['nics'][number];

function bondNode(
  f: InspectFacts,
  b: Iface,
  byMac: ByMac,
  found: Findings,
): { node: InspectNode; fix?: NonNullable<Inspection['reconcile']>['bond'] } {
  const members = f.nics.filter((n) => b.parents.includes(byMac.get(n.mac)?.name ?? '\0'));
  const modeValue = val(b.bondMode ?? 'none', BOND_MODE);
  let fix: NonNullable<Inspection['reconcile']>['bond'];
  if (modeValue.drift) {
    found.drift.push(`${b.name}: bond_mode ${b.bondMode ?? 'none'} in MaaS; expected ${BOND_MODE}`);
    fix = { interfaceId: b.id, name: b.name, mode: BOND_MODE };
  }
  const node: InspectNode = {
    kind: 'bond',
    label: `${b.name} ${b.mac} (members ${b.parents.join(', ') || 'none'})`,
    values: {
      mode: modeValue,
      members: val(String(b.parents.length), String(f.nics.length)),
    },
    children: members.map((n) => nicNode(f, byMac, n, found)),
  };
  if (b.parents.length !== f.nics.length)
    found.drift.push(
      `${b.name}: ${b.parents.length} member(s); the rack file cables ${f.nics.length} NIC(s)`,
    );
  return { node, ...(fix && { fix }) };
}

function nicNode(f: InspectFacts, byMac: ByMac, nic: Nic, found: Findings): InspectNode {
  const iface = byMac.get(nic.mac) ?? f.interfaces.find((i) => i.type === 'physical' && i.mac === nic.mac);
  const where = `${nic.switch} ${nic.port}`;
  const portValues: Record<string, InspectValue> = {
    ...vlanValues(f, nic, where, found),
    learned: learnedValue(nic, found),
  };
  const vlans: InspectNode = {
    kind: 'vlans',
    label:
      'error' in nic.actual
        ? 'VLANs: not read'
        : `VLANs: ${vlanText(nic.actual.untagged, nic.actual.tagged)}`,
    values: {},
    children: [],
  };
  const link = val(
    iface ? (iface.linkConnected ? 'connected' : 'disconnected') : 'unknown to MaaS',
    'connected',
  );
  // Every DRIFT the tree shows is in the summary too.
  if (link.drift) found.drift.push(`${nic.mac}: link ${link.actual} in MaaS; expected connected`);
  return {
    kind: 'nic',
    label: `${iface?.name ?? '?'} ${nic.mac}`,
    values: { link },
    children: [{ kind: 'port', label: `ToR ${where}`, values: portValues, children: [vlans] }],
  };
}

/** The port's VLANs against the instance's networks (the PXE VLAN without one). */
function vlanValues(f: InspectFacts, nic: Nic, where: string, found: Findings): Record<string, InspectValue> {
  const expected = f.instance
    ? { untagged: f.instance.access, tagged: f.instance.tagged }
    : { untagged: nic.pxeVlan, tagged: [] as number[] };
  if ('error' in nic.actual) {
    found.unknown.push(`${where}: VLANs not read (${nic.actual.error})`);
    return { read: { actual: nic.actual.error, expected: 'readable', drift: false, unknown: true } };
  }
  const a = nic.actual;
  const untagged = val(String(a.untagged ?? 'none'), String(expected.untagged));
  const sortedA = [...a.tagged].sort((x, y) => x - y).join(' ') || 'none';
  const sortedE = [...expected.tagged].sort((x, y) => x - y).join(' ') || 'none';
  const tagged = val(sortedA, sortedE);
  if (untagged.drift || tagged.drift) {
    found.drift.push(
      `${where}: ${vlanText(a.untagged, a.tagged)}; expected ${vlanText(expected.untagged, expected.tagged)}`,
    );
    found.ports.push({
      switch: nic.switch,
      port: nic.port,
      untagged: expected.untagged,
      tagged: [...expected.tagged],
    });
  }
  return { untagged, tagged };
}

/** Where the switch learned the NIC's MAC against the port the rack file says. */
function learnedValue(nic: Nic, found: Findings): InspectValue {
  if (nic.learnedOn !== null && typeof nic.learnedOn === 'object') {
    found.unknown.push(`${nic.mac}: ${nic.switch}'s MAC table not read (${nic.learnedOn.error})`);
    return { actual: `not read (${nic.learnedOn.error})`, expected: nic.port, drift: false, unknown: true };
  }
  const learned = nic.learnedOn === null ? 'not seen' : nic.learnedOn;
  const ok = nic.learnedOn === null || samePort(nic.learnedOn, nic.port);
  if (!ok)
    found.drift.push(`${nic.mac}: learned on ${nic.switch} ${learned}, the rack file says ${nic.port}`);
  return { actual: learned, expected: nic.port, drift: !ok };
}

/** The BMC's power and boot device against the instance's state: a node, its drift and the fix. */
function bmcNode(f: InspectFacts): {
  node: InspectNode;
  drift: string[];
  unknown: string[];
  fix?: { power?: 'on' | 'off'; boot?: 'disk' };
} | null {
  const want = expectedBmc(f.instance?.state);
  if (!want || !f.bmc) return null;
  const drift: string[] = [];
  const unknown: string[] = [];
  const fix: { power?: 'on' | 'off'; boot?: 'disk' } = {};
  const values: Record<string, InspectValue> = {};
  const { power, boot } = f.bmc;
  if (typeof power === 'object') {
    values['power'] = {
      actual: `not read (${power.error})`,
      expected: want.power,
      drift: false,
      unknown: true,
    };
    unknown.push(`BMC: power not read (${power.error})`);
  } else {
    values['power'] = val(power, want.power);
    if (power !== want.power) {
      drift.push(
        `BMC: power ${power}; instance ${f.instance!.name} is ${f.instance!.state}, so ${want.power} is expected`,
      );
      fix.power = want.power;
    }
  }
  if ('error' in boot) {
    values['boot'] = { actual: `not read (${boot.error})`, expected: want.boot, drift: false, unknown: true };
    unknown.push(`BMC: boot device not read (${boot.error})`);
  } else {
    const actual = boot.valid ? boot.device : 'BIOS order (no override)';
    values['boot'] = val(actual, want.boot);
    if (actual !== want.boot) {
      drift.push(`BMC: boot device ${actual}; a deployed host boots from ${want.boot}`);
      fix.boot = want.boot;
    }
  }
  return {
    node: { kind: 'bmc', label: 'BMC', values, children: [] },
    drift,
    unknown,
    ...((fix.power || fix.boot) && { fix }),
  };
}

export interface CablingFacts {
  rack: string;
  now: number;
  nics: { hostname: string | null; mac: string; switch: string; port: string }[];
  /** Each switch's MAC table (one read each), or why it could not be read. */
  tables: Map<string, { mac: string; port: string; vlan: number }[] | { error: string }>;
}

export function checkCabling(f: CablingFacts): Cabling {
  const index = new Map<string, Map<string, { port: string; vlan: number }>>();
  for (const [sw, t] of f.tables) {
    if ('error' in t) continue;
    index.set(sw, new Map(t.map((e) => [e.mac.toLowerCase(), { port: e.port, vlan: e.vlan }])));
  }
  return {
    rack: f.rack,
    switches: [...f.tables].map(([name, t]) => ({
      name,
      entries: 'error' in t ? 0 : t.length,
      error: 'error' in t ? t.error : null,
    })),
    nics: f.nics.map((n) => {
      const table = index.get(n.switch);
      if (!table) return { ...n, state: 'error' as const, seenOn: null, vlan: null };
      const e = table.get(n.mac.toLowerCase());
      if (!e) return { ...n, state: 'not-seen' as const, seenOn: null, vlan: null };
      const ok = samePort(e.port, n.port);
      return {
        ...n,
        state: ok ? ('ok' as const) : ('other-port' as const),
        seenOn: ok ? null : e.port,
        vlan: e.vlan,
      };
    }),
    readAt: f.now,
  };
}

export function samePort(learned: string, rackPort: string): boolean {
  const num = (s: string) => /(\d+(?:\/\d+)*)\s*$/.exec(s)?.[1] ?? s;
  return num(learned) === num(rackPort);
}
