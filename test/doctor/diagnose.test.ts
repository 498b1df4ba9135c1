import { describe, expect, it } from 'vitest';
import { diagnose, type DoctorFacts } from '../../src/runner/doctor/diagnose.ts';

/** A deploying host whose gear all reads right, to vary one fact at a time. */
function facts(over: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    hostname: 'r01-n001',
    now: Date.now(),
    maas: {
      systemId: 'abc123',
      status: 9,
      statusName: 'Deploying',
      statusMessage: '',
      powerState: 'on',
      bootInterfaceMac: '52:54:00:00:00:00',
    },
    events: [],
    curtin: null,
    bmc: { answer: 'ok', power: 'on', boot: { device: 'pxe', valid: true, persistent: false } },
    outOfBand: null,
    ports: [],
    macs: [],
    instanceMac: '02:00:0a:0b:0c:0d',
    task: null,
    ...over,
  };
}

const macCheck = (f: DoctorFacts) => diagnose(f).checks.find((c) => c.id === 'boot-mac')!;

describe('the instance MAC check', () => {
  it('looks at the bond when the NICs are bonded: the instance MAC is set there, members keep theirs', () => {
    const bonded = facts({
      maas: { ...(facts().maas as object), bondMac: '02:00:0a:0b:0c:0d' } as DoctorFacts['maas'],
    });
    expect(macCheck(bonded).state).toBe('pass');
    expect(macCheck(bonded).title).toMatch(/bond/);
  });

  it('fails a single NIC that does not carry the instance MAC, with both MACs as evidence', () => {
    const c = macCheck(facts());
    expect(c.state).toBe('fail');
    expect(c.evidence.join('\n')).toContain('52:54:00:00:00:00');
    expect(c.evidence.join('\n')).toContain('02:00:0a:0b:0c:0d');
  });
});
