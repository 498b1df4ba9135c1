import { describe, expect, it } from 'vitest';
import { pickHost } from '../../src/runner/workflows/planner.ts';
import type { OperatorError } from '../../src/util/errors.ts';
import type { Host, Instance, Offering } from '../../src/protocol/records.ts';

/** The seed's BareMetalPlanner: exact dimensions, known to and Ready in MaaS, no instance on it. */
const offering: Offering = { id: 'o1', name: 'c32', cpuCores: 32, cpuMhz: 2600, memoryMb: 131072 };

function host(name: string, over: Partial<Host> = {}): Host {
  return {
    id: `h-${name}`,
    hostname: name,
    mac: '52:54:00:00:00:01',
    macs: ['52:54:00:00:00:01'],
    ipmi: { address: '127.0.0.1', username: 'admin', password: 'x' },
    cpuCores: 32,
    cpuMhz: 2600,
    memoryMb: 131072,
    maasSystemId: `sys-${name}`,
    addedAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

function instanceOn(h: Host): Instance {
  return {
    id: `i-${h.hostname}`,
    name: `vm-${h.hostname}`,
    hostId: h.id,
    offeringId: 'o1',
    templateId: 't1',
    networkIds: ['n1'],
    mac: '02:00:00:00:00:01',
    state: 'running',
    createdAt: '2026-01-01T00:00:00Z',
  };
}

const allReady = { readyInMaas: () => true };

describe('pickHost', () => {
  it('takes only an exact match of cores, MHz and memory', () => {
    const hosts = [
      host('a-more-cores', { cpuCores: 64 }),
      host('b-slower', { cpuMhz: 2400 }),
      host('c-less-memory', { memoryMb: 65536 }),
      host('d-exact'),
    ];
    expect(pickHost({ hosts, instances: [] }, offering, allReady).hostname).toBe('d-exact');
  });

  it('never picks a busy host, one unknown to MaaS, or one MaaS does not report Ready', () => {
    const busy = host('a-busy');
    const unknown = host('b-unknown', { maasSystemId: undefined });
    const deployed = host('c-deployed');
    const free = host('d-free');
    const data = { hosts: [busy, unknown, deployed, free], instances: [instanceOn(busy)] };
    const ready = { readyInMaas: (h: Host) => h.hostname !== 'c-deployed' };
    expect(pickHost(data, offering, ready).hostname).toBe('d-free');
    expect(() => pickHost({ ...data, hosts: [busy, unknown, deployed] }, offering, ready)).toThrow(
      /no free host matches offering c32/,
    );
  });

  it('is deterministic: the first free match by hostname', () => {
    const hosts = [host('r02-n001'), host('r01-n002'), host('r01-n001')];
    expect(pickHost({ hosts, instances: [] }, offering, allReady).hostname).toBe('r01-n001');
    expect(pickHost({ hosts, instances: [instanceOn(hosts[2]!)] }, offering, allReady).hostname).toBe(
      'r01-n002',
    );
  });

  it('a host asked for by name must be free, matching, known to MaaS and Ready', () => {
    const h = host('r01-n001');
    const data = { hosts: [h], instances: [] };
    expect(pickHost(data, offering, { ...allReady, hostName: 'r01-n001' }).id).toBe(h.id);
    expect(pickHost(data, offering, { ...allReady, hostName: h.id }).id).toBe(h.id);
    expect(() => pickHost(data, offering, { ...allReady, hostName: 'nope' })).toThrow(
      /no host nope in the local store/,
    );
    expect(() =>
      pickHost({ hosts: [h], instances: [instanceOn(h)] }, offering, { ...allReady, hostName: 'r01-n001' }),
    ).toThrow(/host r01-n001 is taken by instance /);
    expect(() =>
      pickHost({ hosts: [host('r01-n001', { memoryMb: 1024 })], instances: [] }, offering, {
        ...allReady,
        hostName: 'r01-n001',
      }),
    ).toThrow(/does not match offering c32/);
    expect(() =>
      pickHost({ hosts: [host('r01-n001', { maasSystemId: undefined })], instances: [] }, offering, {
        ...allReady,
        hostName: 'r01-n001',
      }),
    ).toThrow(/not in MaaS yet/);
    expect(() => pickHost(data, offering, { readyInMaas: () => false, hostName: 'r01-n001' })).toThrow(
      /not Ready in MaaS/,
    );
  });

  it('names the instance, the task, its state and the jump host when a race is lost', () => {
    const h = host('r01-n004');
    const inst = { ...instanceOn(h), name: 'vm-a', state: 'creating' as const };
    const holder = {
      taskId: 't-1a2b3c4d',
      kind: 'instance.create',
      state: 'running' as const,
      owner: 'jump-b/pid-4242-a1b2c3',
    };
    const err = (() => {
      try {
        pickHost({ hosts: [h], instances: [inst] }, offering, {
          ...allReady,
          hostName: 'r01-n004',
          holderOf: () => holder,
        });
      } catch (e) {
        return e as OperatorError;
      }
      throw new Error('not refused');
    })();
    expect(err.message).toBe(
      'host r01-n004 is taken by instance vm-a (being created): task t-1a2b3c4d (instance.create) is running on it at jump host jump-b',
    );
    expect(err.hint).toMatch(/another deploy got there first; pick another host, or follow task t-1a2b3c4d/);
    const done = { ...inst, state: 'running' as const };
    expect(() =>
      pickHost({ hosts: [h], instances: [done] }, offering, { ...allReady, hostName: 'r01-n004' }),
    ).toThrow('host r01-n004 is taken by instance vm-a (running)');
  });
});
