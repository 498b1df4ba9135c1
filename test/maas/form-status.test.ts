import { describe, expect, it } from 'vitest';
import { encodeForm } from '../../src/gear/maas/form.ts';
import {
  ALL_NODE_STATUS_CODES,
  FAILURE_OF,
  NODE_STATUS,
  NODE_STATUS_NAME,
  isFailed,
  isTransitional,
  nodeStatusFromName,
  nodeStatusKind,
} from '../../src/gear/maas/node-status.ts';

describe('form encoding', () => {
  it('repeats list fields, drops undefined/null, writes booleans as Django reads them', () => {
    const f = encodeForm({
      mac_addresses: ['52:54:00:00:00:01', '52:54:00:00:00:02'],
      hostname: 'r01-n001',
      commission: false,
      erase: true,
      comment: undefined,
      vlan: null,
      bond_miimon: 100,
    });
    expect(f.toString()).toBe(
      'mac_addresses=52%3A54%3A00%3A00%3A00%3A01&mac_addresses=52%3A54%3A00%3A00%3A00%3A02&hostname=r01-n001&commission=false&erase=true&bond_miimon=100',
    );
    expect(f.getAll('mac_addresses')).toHaveLength(2);
  });
});

describe('NODE_STATUS', () => {
  it('has the 23 codes with MaaS names', () => {
    expect(ALL_NODE_STATUS_CODES).toHaveLength(23);
    expect(ALL_NODE_STATUS_CODES).toEqual([...Array(23).keys()]);
    expect(NODE_STATUS_NAME[NODE_STATUS.FAILED_RELEASING]).toBe('Releasing failed');
    expect(NODE_STATUS_NAME[NODE_STATUS.DISK_ERASING]).toBe('Disk erasing');
    expect(NODE_STATUS_NAME[NODE_STATUS.FAILED_ENTERING_RESCUE_MODE]).toBe('Failed to enter rescue mode');
    expect(new Set(Object.values(NODE_STATUS_NAME)).size).toBe(23);
  });

  it('maps names back, case-insensitively', () => {
    for (const c of ALL_NODE_STATUS_CODES)
      expect(nodeStatusFromName(NODE_STATUS_NAME[c].toUpperCase())).toBe(c);
    expect(nodeStatusFromName('Installed')).toBeUndefined();
  });

  it('classifies transitional and failed states, each transitional with its failure', () => {
    expect(ALL_NODE_STATUS_CODES.filter(isTransitional).map((c) => NODE_STATUS_NAME[c])).toEqual([
      'Commissioning',
      'Deploying',
      'Releasing',
      'Disk erasing',
      'Entering rescue mode',
      'Exiting rescue mode',
      'Testing',
    ]);
    expect(ALL_NODE_STATUS_CODES.filter(isFailed)).toHaveLength(7);
    for (const c of ALL_NODE_STATUS_CODES.filter(isTransitional)) expect(isFailed(FAILURE_OF[c]!)).toBe(true);
    expect(nodeStatusKind(NODE_STATUS.BROKEN)).toBe('attention');
    expect(nodeStatusKind(NODE_STATUS.READY)).toBe('stable');
  });
});
