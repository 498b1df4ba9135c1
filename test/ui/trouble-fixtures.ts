import type { Triage } from '../../src/protocol/doctor.ts';
import type { Cabling, Diagnosis, Inspection } from '../../src/protocol/doctor.ts';

/** What the runner answers for a deploy stuck on a tenant VLAN, read at `readAt`. */
export function fakeDiagnosis(readAt: number, hostname = 'r01-n001'): Diagnosis {
  return {
    hostname,
    systemId: 'abc123',
    statusName: 'Deploying',
    status: 9,
    timer: { enteredAt: readAt - 600_000, inStateS: 600, timeoutS: 1800, remainingS: 1200 },
    events: [
      {
        id: 42,
        created: 'Thu, 01 Jan. 2026 00:10:00',
        level: 'DEBUG',
        type: 'TFTP Request',
        description: 'pxelinux.0',
      },
      { id: 41, created: 'Thu, 01 Jan. 2026 00:00:00', level: 'INFO', type: 'Deploying', description: '' },
    ],
    curtin: {
      status: 'running',
      tail: ['start: cmd-install/stage-partitioning', 'finish: cmd-install: FAIL'],
    },
    checks: [
      {
        id: 'bmc',
        title: 'BMC reachable, power on',
        state: 'pass',
        evidence: ['BMC 127.0.0.1:6230: power on'],
      },
      {
        id: 'pxe-vlan',
        title: 'ToR ports on the PXE VLAN',
        state: 'fail',
        evidence: ['tor-r01 1/1/1: untagged 200, expected 10 (PXE)'],
      },
      { id: 'mac', title: 'boot MAC = instance MAC', state: 'unknown', evidence: ['no instance MAC'] },
    ],
    timeline: {
      operation: 'deploy',
      startedAt: readAt - 600_000,
      outcome: 'running',
      waitingFor: 'PXE request (installation)',
      stalled: true,
      stages: [
        {
          id: 'requested',
          label: 'deployment requested',
          at: readAt - 600_000,
          endAt: readAt - 590_000,
          durationS: 10,
          typicalS: null,
          patienceS: 180,
          patienceFrom: 'default',
          evidence: "00:00:00 Node changed status - From 'Allocated' to 'Deploying'",
        },
        {
          id: 'powered-on',
          label: 'powered on',
          at: readAt - 590_000,
          endAt: null,
          durationS: 590,
          typicalS: 60,
          patienceS: 180,
          patienceFrom: 'site history',
          evidence: '00:00:10 Node powered on',
        },
      ],
      failure: null,
      erase: null,
    },
    summary: 'Deploying: deploy stopped after "powered on"',
    cause: {
      id: 'tenant-vlan',
      title: 'ToR port off the PXE VLAN',
      stage: 'powered on',
      sentence: 'Its ToR port 1/1/1 is on VLAN 200, not the PXE VLAN 10.',
      evidence: ['tor-r01 1/1/1: untagged 200, expected 10 (PXE)'],
      hints: [],
    },
    unchecked: [],
    installLog: null,
    fixes: [
      { id: 'ports-pxe', label: 'ToR ports back to the PXE VLAN', kind: 'host.ports-pxe' },
      {
        id: 'resume',
        label: 'resume task t-9 (instance.create) from its first unfinished step',
        kind: 'task.resume',
        taskId: 't-9',
      },
    ],
    task: { id: 't-9', kind: 'instance.create', state: 'running', step: 'Wait for Deployed', error: null },
    readAt,
  };
}

export function fakeInspection(readAt: number, hostname = 'r01-n001'): Inspection {
  const v = (actual: string, expected = actual) => ({ actual, expected, drift: actual !== expected });
  return {
    hostname,
    tree: {
      kind: 'machine',
      label: `${hostname} (abc123) Deployed`,
      values: {},
      children: [
        {
          kind: 'bond',
          label: 'bond0',
          values: { mode: v('balance-rr', 'active-backup'), mac: v('52:54:00:aa:00:01') },
          children: [
            {
              kind: 'nic',
              label: 'eth0 52:54:00:00:00:00',
              values: {},
              children: [
                {
                  kind: 'port',
                  label: 'tor-r01 1/1/1',
                  values: { learned: v('52:54:00:00:00:00') },
                  children: [
                    {
                      kind: 'vlans',
                      label: 'VLANs',
                      values: { untagged: v('200'), tagged: v('201') },
                      children: [],
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
    unknown: [],
    drift: ['bond0 mode balance-rr, expected active-backup'],
    plan: [{ step: 'Bond mode active-backup', actions: ['PUT /MAAS/api/2.0/nodes/abc123/interfaces/7/'] }],
    reconcile: { ports: [], bond: { interfaceId: 7, name: 'bond0', mode: 'active-backup' } },
    readAt,
  };
}

export function fakeCabling(readAt: number, rack = 'r01'): Cabling {
  return {
    rack,
    switches: [{ name: 'tor-r01', entries: 28, error: null }],
    nics: [
      {
        hostname: 'r01-n001',
        mac: '52:54:00:00:00:00',
        switch: 'tor-r01',
        port: '1/1/1',
        state: 'ok',
        seenOn: null,
        vlan: 10,
      },
      {
        hostname: 'r01-n002',
        mac: '52:54:00:00:03:00',
        switch: 'tor-r01',
        port: '1/1/3',
        state: 'other-port',
        seenOn: 'Te 1/1/9',
        vlan: 10,
      },
      {
        hostname: 'r01-n003',
        mac: '52:54:00:00:06:00',
        switch: 'tor-r01',
        port: '1/1/5',
        state: 'not-seen',
        seenOn: null,
        vlan: null,
      },
    ],
    readAt,
  };
}

/** One host's triage row: urgency 0 stuck and running, 1 failed, 2 on time. */
export function triageRow(
  hostname: string,
  statusName: string,
  urgency: number,
  remainingS: number | null,
): Triage['rows'][number] {
  return {
    hostname,
    systemId: `sys-${hostname}`,
    statusName,
    operation: 'deploy',
    stage: urgency === 1 ? 'curtin: partitioning' : 'installed, rebooting to disk',
    stageS: 600,
    cause:
      urgency === 2
        ? null
        : {
            id: urgency === 0 ? 'never-came-back' : 'curtin-failed',
            title: urgency === 0 ? 'rebooted and never came back' : 'curtin failed in partitioning',
          },
    summary: '',
    remainingS,
    urgency,
  };
}

/** A triage of these rows, as the runner's `site.triage` answers. */
export function triageOf(rows: Triage['rows'], readAt: number): Triage {
  return { rows, scanned: 40, readAt, tookMs: 12, errors: [] };
}

/** Three hosts in trouble, most urgent first, as the runner's `site.triage` answers. */
export function fakeTriage(readAt: number): Triage {
  return triageOf(
    [
      triageRow('r01-n004', 'Deploying', 0, 420),
      triageRow('r02-n007', 'Failed deployment', 1, null),
      triageRow('r03-n002', 'Deploying', 2, 1500),
    ],
    readAt,
  );
}
