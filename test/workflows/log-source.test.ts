import { describe, expect, it } from 'vitest';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { WORKFLOWS } from '../../src/runner/workflows/index.ts';
import { portsStep, powerStep, bootStep } from '../../src/runner/workflows/steps.ts';
import { waitForStatus } from '../../src/runner/workflows/wait.ts';
import type { PortOp, WorkflowDeps } from '../../src/runner/workflows/adapters.ts';
import { ctx, fakes } from './fakes.ts';

/**
 * Every line a workflow writes about real gear says which gear: the dashboard's command log
 * selects by source, never by guessing from the text.
 */
describe('log lines are tagged with the gear they are about', () => {
  it('IPMI: a power command and its undo are ipmi lines', async () => {
    const f = fakes();
    const kind = WORKFLOWS['host.power']!;
    const [s] = kind.steps(f.deps, kind.params.parse({ hostId: 'h1', action: 'on' }) as never);
    const c = ctx({});
    await s!.run(c);
    expect(c.lines).toEqual([
      { text: 'r01-n001: power is off' },
      { text: 'IPMI 10.0.0.11:623: Chassis Control 0x01 power up', level: 'info', source: 'ipmi' },
    ]);
    const u = ctx({}, { before: 'off' });
    await s!.undo!(u);
    expect(u.lines.map((l) => l.source)).toEqual(['ipmi']);
  });

  it('IPMI: power and boot device steps name the BMC and the bytes sent', async () => {
    const f = fakes();
    const c = ctx({});
    await powerStep(f.deps, 'h1', { title: 'Power on', want: 'on' }).run(c);
    await bootStep(f.deps, 'h1', { title: 'Boot from disk', device: 'disk', efi: true, undoable: true }).run(
      c,
    );
    expect(c.lines.map((l) => l.source)).toEqual(['ipmi', 'ipmi']);
    expect(c.lines[0]!.text).toBe('IPMI 10.0.0.11:623: Chassis Control 0x01 power up');
    expect(c.lines[1]!.text).toBe(
      'IPMI 10.0.0.11:623: Set System Boot Options param 5: boot disk, persistent, EFI [05 e0 08 00 00 00] (as asked) (Get System Boot Options 05 00 00 first, for undo)',
    );
  });

  it('switch: the change, the CLI lines the adapter reports sent, and the ports read back', async () => {
    const f = fakes();
    const applied: PortOp[][] = [];
    f.deps.rack = {
      ...f.deps.rack,
      nicsFor: () => [{ mac: '52:54:00:00:00:01', switch: 'tor-r01', port: '1/1/1' }],
    };
    f.deps.switches = {
      apply: async (_sw, ops) => {
        applied.push(ops);
        return { lines: ['interface TenGigabitEthernet 1/1/1', 'switchport access vlan 10'] };
      },
      showPort: async () => ({ untagged: 200, tagged: [201] }),
      findMac: async () => null,
      plan: () => [],
      pxeVlan: () => 10,
    } satisfies WorkflowDeps['switches'];
    const s = portsStep(f.deps, 'h1', {
      title: 'ToR ports to the PXE VLAN',
      ops: (nic) => [{ port: nic.port, op: 'resetPxe' }],
      expect: () => ({ untagged: 10, tagged: [] }),
    });
    const c = ctx({});
    expect(await s.verify!(c)).toBe(false);
    await s.run(c);
    expect(applied).toHaveLength(1);
    expect(c.lines).toEqual([
      { text: 'switch tor-r01 1/1/1: untagged 200, tagged 201', level: 'info', source: 'switch' },
      // What the step asked for is a note; the lines typed are switch lines, as the plan words them.
      { text: 'switch tor-r01: 1/1/1 back to PXE VLAN' },
      { text: 'switch tor-r01: interface TenGigabitEthernet 1/1/1', level: 'info', source: 'switch' },
      { text: 'switch tor-r01: switchport access vlan 10', level: 'info', source: 'switch' },
    ]);
  });

  it('MaaS: the events streamed while waiting are maas lines', async () => {
    const f = fakes();
    f.machines.set('abc123', { status: NODE_STATUS.DEPLOYED, status_name: 'Deployed' });
    (f.deps.maas as unknown as { queryEvents: unknown }).queryEvents = async (q: { after?: number }) => ({
      events:
        q.after === undefined
          ? [{ id: 1, type: 'old', description: '' }]
          : [{ id: 2, type: 'Deployed', description: 'curtin done' }],
    });
    const c = ctx({});
    await waitForStatus(f.deps, {
      systemId: 'abc123',
      hostname: 'r01-n001',
      want: [NODE_STATUS.DEPLOYED],
      via: [NODE_STATUS.DEPLOYING],
      timeoutMs: 1_000,
      what: 'deploying',
      signal: c.signal,
      log: c.log,
    });
    expect(c.lines).toEqual([{ text: 'MaaS: Deployed - curtin done', level: 'info', source: 'maas' }]);
  });
});
