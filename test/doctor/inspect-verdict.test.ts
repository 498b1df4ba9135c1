import { describe, expect, it } from 'vitest';
import { inspect, type InspectFacts } from '../../src/runner/doctor/inspect.ts';
import { inspectionExitCode, renderInspection } from '../../components/inspect-text.ts';
import type { InspectNode } from '../../src/protocol/doctor.ts';

/** `inspect`'s summary and exit code say what its tree shows: a value not read is unknown, not drift. */
const nic = (mac: string, port: string, actual: InspectFacts['nics'][number]['actual']) => ({
  mac,
  switch: 'tor-r01',
  port,
  pxeVlan: 10,
  actual,
  learnedOn: port,
});
const facts = (nics: InspectFacts['nics']): InspectFacts => ({
  hostname: 'r01-n001',
  now: 0,
  interfaces: nics.map((n, i) => ({
    id: i + 1,
    name: `eno${i + 1}`,
    type: 'physical',
    mac: n.mac,
    parents: [],
    bondMode: null,
    vlan: null,
    linkConnected: true,
  })),
  nics,
  instance: null,
});

function treeValues(n: InspectNode): { drift: number; unknown: number } {
  const own = Object.values(n.values);
  return n.children
    .map(treeValues)
    .reduce((a, b) => ({ drift: a.drift + b.drift, unknown: a.unknown + b.unknown }), {
      drift: own.filter((v) => v.drift).length,
      unknown: own.filter((v) => v.unknown).length,
    });
}

describe('the inspection verdict', () => {
  it('calls a port it could not read unknown, in the tree, the summary and the exit code', () => {
    const i = inspect(facts([nic('00:18:8b:52:79:80', '1/1/1', { error: 'switch tor-r01: timed out' })]));
    const text = renderInspection({ ...i, plan: [] }).join('\n');
    expect(text).toContain('read switch tor-r01: timed out  UNKNOWN');
    expect(text).not.toContain('DRIFT');
    expect(text).not.toContain('no drift:');
    expect(text).toMatch(/^unknown \(1\): no drift in what was read, but not everything could be read:$/m);
    expect(text).toContain('  ? tor-r01 1/1/1: VLANs not read (switch tor-r01: timed out)');
    expect(i.drift).toEqual([]);
    expect(inspectionExitCode(i)).toBe(3);
  });

  it('reports drift first, then what it could not read; exit 1', () => {
    const i = inspect(
      facts([
        nic('00:18:8b:52:79:80', '1/1/1', { untagged: 200, tagged: [] }),
        nic('00:18:8b:52:79:81', '1/1/2', { error: 'refused' }),
      ]),
    );
    const text = renderInspection({ ...i, plan: [] }).join('\n');
    expect(text).toMatch(/^drift \(\d+\):$/m);
    expect(text).toMatch(/^unknown \(1\):$/m);
    expect(inspectionExitCode(i)).toBe(1);
  });

  it('says no drift and exits 0 only when everything was read and matches', () => {
    const i = inspect(facts([nic('00:18:8b:52:79:80', '1/1/1', { untagged: 10, tagged: [] })]));
    expect(renderInspection({ ...i, plan: [] })).toContain(
      'no drift: MaaS and the switches match the rack file and the store',
    );
    expect(inspectionExitCode(i)).toBe(0);
  });

  it('lists in the summary every DRIFT and UNKNOWN its tree shows', () => {
    const cases: InspectFacts[] = [
      facts([nic('00:18:8b:52:79:80', '1/1/1', { untagged: 10, tagged: [] })]),
      facts([nic('00:18:8b:52:79:80', '1/1/1', { untagged: 200, tagged: [300] })]),
      facts([nic('00:18:8b:52:79:80', '1/1/1', { error: 'x' })]),
      { ...facts([nic('00:18:8b:52:79:80', '1/1/1', { untagged: 10, tagged: [] })]), interfaces: [] },
      {
        ...facts([nic('00:18:8b:52:79:80', '1/1/1', { untagged: 10, tagged: [] })]),
        nics: [
          { ...nic('00:18:8b:52:79:80', '1/1/1', { untagged: 10, tagged: [] }), learnedOn: { error: 'y' } },
        ],
      },
      {
        ...facts([nic('00:18:8b:52:79:80', '1/1/1', { untagged: 200, tagged: [] })]),
        instance: { name: 'vm-a', access: 200, tagged: [], state: 'running' },
        bmc: { power: { error: 'timeout' }, boot: { device: 'disk', valid: true } },
      },
      {
        ...facts([nic('00:18:8b:52:79:80', '1/1/1', { untagged: 200, tagged: [] })]),
        instance: { name: 'vm-a', access: 200, tagged: [], state: 'running' },
        bmc: { power: 'off', boot: { error: 'timeout' } },
      },
    ];
    for (const f of cases) {
      const i = inspect(f);
      const t = treeValues(i.tree);
      expect(t.drift > 0, JSON.stringify(i)).toBe(i.drift.length > 0);
      expect(t.unknown).toBe(i.unknown.length);
    }
  });
});
