import { describe, expect, it } from 'vitest';
import { imageMatches } from '../../src/runner/workflows/instance-create.ts';
import { samePort } from '../../src/runner/workflows/host.ts';
import { formatDuration, pollDelay } from '../../src/runner/workflows/wait.ts';
import { describeOp, sameMembership } from '../../src/runner/workflows/steps.ts';
import { allocateMac } from '../../src/runner/site/provision.ts';

describe('imageMatches: template URL field vs MaaS boot resource names', () => {
  it.each([
    ['ubuntu/jammy', 'ubuntu/jammy', true],
    ['ubuntu/jammy', 'jammy', true],
    ['centos/centos70', 'centos7', true],
    ['centos/centos70', 'centos70', true],
    ['centos/7', 'centos7', true],
    ['ubuntu/jammy', 'ubuntu/noble', false],
    ['ubuntu/jammy', 'noble', false],
    ['centos/centos70', 'centos8', false],
  ])('%s ~ %s → %s', (resource, image, want) => {
    expect(imageMatches(resource, image)).toBe(want);
  });
});

describe('samePort: what a switch prints vs what the rack file says', () => {
  it.each([
    ['Te 1/1/1', '1/1/1', true],
    ['TenGigabitEthernet 1/1/1', '1/1/1', true],
    ['ethernet1/1/3', '1/1/3', true],
    ['Ethernet1/3', '1/3', true],
    ['Eth1/3', '1/4', false],
    ['Te 1/1/10', '1/1/1', false],
  ])('%s ~ %s → %s', (learned, rack, want) => {
    expect(samePort(learned, rack)).toBe(want);
  });
});

describe('polling', () => {
  it('starts at 100 ms, doubles, and never exceeds the poll interval', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => pollDelay(5_000, n))).toEqual([
      100, 200, 400, 800, 1600, 3200, 5000,
    ]);
    expect(pollDelay(20, 0)).toBe(20);
    expect(pollDelay(5_000, 10_000)).toBe(5_000);
  });

  it('timeouts read as the operator set them', () => {
    expect(formatDuration(40 * 60_000)).toBe('40 min');
    expect(formatDuration(90_000)).toBe('90 s');
    expect(formatDuration(300)).toBe('300 ms');
  });
});

describe('port memberships and ops', () => {
  it('compares tagged lists as sets, untagged exactly', () => {
    expect(sameMembership({ untagged: 200, tagged: [202, 201] }, { untagged: 200, tagged: [201, 202] })).toBe(
      true,
    );
    expect(sameMembership({ untagged: 10, tagged: [] }, { untagged: 200, tagged: [] })).toBe(false);
    expect(sameMembership({ untagged: 200, tagged: [201] }, { untagged: 200, tagged: [] })).toBe(false);
  });

  it('describes each op for the task log', () => {
    expect(describeOp({ port: '1/1/1', op: 'access', vlan: 200 })).toBe('1/1/1 untagged 200');
    expect(describeOp({ port: '1/1/1', op: 'tagAdd', vlan: 201 })).toBe('1/1/1 +tagged 201');
    expect(describeOp({ port: '1/1/1', op: 'tagRemove', vlan: 201 })).toBe('1/1/1 -tagged 201');
    expect(describeOp({ port: '1/1/1', op: 'resetPxe' })).toBe('1/1/1 back to PXE VLAN');
  });
});

describe('allocateMac', () => {
  it('gives a locally administered unicast MAC not already taken', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const mac = allocateMac(taken);
      expect(mac).toMatch(/^02:00(:[0-9a-f]{2}){4}$/);
      expect(taken.has(mac)).toBe(false);
      taken.add(mac);
    }
  });
});
