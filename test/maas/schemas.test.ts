import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NODE_STATUS_NAME } from '../../src/gear/maas/node-status.ts';
import {
  BootResourceListSchema,
  BootResourceSchema,
  EventsPageSchema,
  InterfaceSchema,
  MachineSchema,
  SubnetSchema,
  VersionSchema,
  formatEventTime,
  parseEventTime,
} from '../../src/gear/maas/schemas.ts';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/maas/${name}.json`, import.meta.url), 'utf8'));
}

const machines = fixture('machines');
const events = fixture('events');
const bootResources = fixture('boot-resources');
const subnets = fixture('subnets');
const version = fixture('version');

describe('MaaS example machines', () => {
  const keys = Object.keys(machines).filter((k) => k !== 'machines-placeholder');

  it('covers every machine example key', () => {
    expect(keys.length).toBe(19);
    expect(Object.keys(machines)).toContain('machines-placeholder');
  });

  for (const key of keys) {
    it(`parses ${key}`, () => {
      const raw = machines[key] as Record<string, any>;
      const m = MachineSchema.parse(raw);
      expect(m.system_id).toBe(raw.system_id);
      expect(m.hostname).toBe(raw.hostname);
      expect(m.status).toBe(raw.status);
      // status_name agrees with our NODE_STATUS table for every example.
      expect(NODE_STATUS_NAME[m.status]).toBe(raw.status_name);
      expect(m.power_state).toBe(raw.power_state);
      expect(m.interface_set.map((i) => i.mac_address)).toEqual(
        raw.interface_set.map((i: any) => i.mac_address),
      );
      expect(m.boot_interface?.id ?? null).toBe(raw.boot_interface?.id ?? null);
      expect(m.status_message).toBe(raw.status_message);
    });
  }

  it('parses every interface, including bonds and VLAN interfaces with subnet links', () => {
    const types = new Set<string>();
    let links = 0;
    for (const key of keys) {
      for (const raw of (machines[key] as any).interface_set) {
        const i = InterfaceSchema.parse(raw);
        types.add(i.type);
        links += i.links.length;
        if (i.type === 'bond') expect(i.parents.length).toBeGreaterThan(0);
      }
    }
    expect([...types].sort()).toEqual(['bond', 'physical', 'vlan']);
    expect(links).toBeGreaterThan(0);
  });

  it('rejects the placeholder (not a machine) and machines missing what rackpilot uses', () => {
    expect(MachineSchema.safeParse(machines['machines-placeholder']).success).toBe(false);
    const good = structuredClone(machines['machines-deploy']) as Record<string, unknown>;
    expect(MachineSchema.safeParse({ ...good, brand_new_field: { x: 1 } }).success).toBe(true);
    const { status: _s, ...noStatus } = good;
    expect(MachineSchema.safeParse(noStatus).success).toBe(false);
    expect(MachineSchema.safeParse({ ...good, status: 23 }).success).toBe(false);
    expect(MachineSchema.safeParse({ ...good, power_state: 'sideways' }).success).toBe(false);
    expect(MachineSchema.safeParse({ ...good, cpu_count: '8' }).success).toBe(false);
  });

  it('accepts bond params as an object (real regions) as well as "" (the examples)', () => {
    const bond = structuredClone((machines['machines-update'] as any).interface_set[3]);
    bond.params = { bond_mode: 'active-backup', bond_miimon: 100 };
    expect(InterfaceSchema.parse(bond).params).toEqual({ bond_mode: 'active-backup', bond_miimon: 100 });
  });
});

describe('MaaS example events, boot resources, subnets, version', () => {
  it('covers every example key of each file', () => {
    expect(Object.keys(events)).toEqual(['events-query']);
    expect(Object.keys(bootResources).sort()).toEqual([
      'boot-res-create',
      'boot-res-read',
      'boot-res-read-by-id',
    ]);
    expect(Object.keys(version)).toEqual(['version']);
  });

  it('parses the events page', () => {
    const page = EventsPageSchema.parse(events['events-query']);
    expect(page.count).toBe(5);
    expect(page.events.map((e) => e.id)).toEqual([1667, 1666, 1665, 1664, 1663]);
    expect(page.events[0]!.level).toBe('WARNING');
    expect(page.next_uri).toContain('after=1667');
    expect(parseEventTime(page.events[0]!.created)).toBe(Date.UTC(2018, 11, 7, 20, 11, 8));
  });

  it('formats event times as MaaS does and parses them back', () => {
    for (const month of [0, 2, 4, 5, 8, 11]) {
      const t = Date.UTC(2024, month, 3, 4, 5, 6);
      expect(parseEventTime(formatEventTime(t))).toBe(t);
    }
    expect(formatEventTime(Date.UTC(2018, 11, 7, 20, 11, 8))).toBe('Fri, 07 Dec. 2018 20:11:08');
  });

  it('parses every boot resource example', () => {
    const list = BootResourceListSchema.parse(bootResources['boot-res-read']);
    expect(list.map((r) => r.name)).toContain('ubuntu/bionic');
    expect(BootResourceSchema.parse(bootResources['boot-res-create']).type).toBe('Uploaded');
    expect(BootResourceSchema.parse(bootResources['boot-res-read-by-id']).id).toBe(7);
    expect(
      BootResourceSchema.safeParse({ id: 1, type: 'Magic', name: 'x', architecture: 'a', resource_uri: '/' })
        .success,
    ).toBe(false);
  });

  it('parses every subnet example that is a subnet', () => {
    const list = SubnetSchema.array().parse(subnets['subnets-read']);
    expect(list.length).toBeGreaterThan(0);
    for (const k of ['subnets-create', 'subnets-read-by-id', 'subnets-update']) {
      expect(SubnetSchema.parse(subnets[k]).cidr).toMatch(/\//);
    }
  });

  it('parses the version', () => {
    expect(VersionSchema.parse(version['version']).version).toMatch(/^2\.5/);
  });
});
