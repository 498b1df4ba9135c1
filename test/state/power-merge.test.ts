import { describe, expect, it } from 'vitest';
import { mergePowerRows, mergePowerSnapshot, powerCell, type PowerReading } from '../../state/power-merge.ts';
import type { HostRow, InventorySnapshot } from '../../state/live.ts';

const row = (hostname: string, powerState: string): HostRow => ({
  key: hostname,
  hostname,
  rack: 'r01',
  switchName: 'tor-r01',
  ports: [],
  macs: [],
  systemId: 'abc',
  status: 9,
  statusName: 'Deploying',
  statusMessage: '',
  powerState,
  since: 0,
  sinceExact: true,
});

describe('POWER from the BMCs', () => {
  it("shows the BMC's answer, MaaS's beside it when they differ, and flags out-of-band changes", () => {
    expect(powerCell('on', { power: 'on', answer: 'ok' })).toBe('on');
    expect(powerCell('on', { power: 'off', answer: 'ok' })).toBe('off≠on');
    // MaaS with no view of its own (a host it does not know, a power driver error): the BMC's alone.
    expect(powerCell('unknown', { power: 'off', answer: 'ok' })).toBe('off');
    expect(
      powerCell('error', { power: 'on', answer: 'ok', outOfBand: { at: 1, from: 'off', to: 'on' } }),
    ).toBe('!on');
    for (const maas of ['on', 'off', 'unknown', 'error'])
      for (const power of ['on', 'off', 'unknown'] as const)
        for (const oob of [false, true])
          expect(
            powerCell(maas, {
              power,
              answer: 'ok',
              ...(oob && { outOfBand: { at: 1, from: 'on', to: 'off' } }),
            }).length,
          ).toBeLessThanOrEqual(7);
    expect(powerCell('on', { power: 'off', answer: 'ok', outOfBand: { at: 1, from: 'on', to: 'off' } })).toBe(
      '!off≠on',
    );
    expect(powerCell('on', { power: 'unknown', answer: 'unreachable' })).toBe('unreach');
    expect(powerCell('off', { power: 'unknown', answer: 'auth' })).toBe('badauth');
    expect(powerCell('off', undefined)).toBe('off');
    for (const c of ['!off≠on', 'unreach', 'badauth']) expect(c.length).toBeLessThanOrEqual(7);
  });

  it('merges rows (untouched rows stay the same objects) and counts BMC trouble in the header', () => {
    const rows = [row('a', 'on'), row('b', 'on'), row('c', 'off')];
    const power = new Map<string, PowerReading>([
      ['a', { power: 'on', answer: 'ok' }],
      ['b', { power: 'off', answer: 'ok', outOfBand: { at: 1, from: 'on', to: 'off' } }],
      ['c', { power: 'unknown', answer: 'unreachable' }],
    ]);
    const merged = mergePowerRows(rows, power);
    expect(merged.map((r) => r.powerState)).toEqual(['on', '!off≠on', 'unreach']);
    expect(merged[0]).toBe(rows[0]);
    const snap: InventorySnapshot = {
      endpoint: 'x',
      rows,
      racks: [],
      counts: new Map([['Deploying', 3]]),
      refreshedAt: 1,
      error: null,
      refreshing: false,
    };
    const s = mergePowerSnapshot(snap, power);
    expect([...s.counts]).toEqual([
      ['Deploying', 3],
      ['power out of band', 1],
      ['BMC unreachable', 1],
    ]);
  });
});
