import { describe, expect, it } from 'vitest';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { machinesWithMacs } from '../../src/runner/workflows/host.ts';
import { addHost, labOperatorForFile } from '../e2e/helpers.ts';

/**
 * `host add` adopts a MaaS machine only when its interfaces hold one of the host's MACs: a MaaS
 * that ignores the `mac_address` filter (and answers with every machine) must not get the wrong
 * machine adopted.
 */
const SPEC = { hosts: 2, racks: 1, seed: 21 };
const [known, added] = generateLabSpec(SPEC).hosts.map((h) => h.hostname) as [string, string];
const asked: unknown[] = [];
const lab = labOperatorForFile({ ...SPEC, maas: { unregistered: [added] } }, (_tl, op) => {
  // A MaaS that ignores the filter: every machine, whatever was asked.
  const list = op.site.maas.listMachines.bind(op.site.maas);
  op.site.maas.listMachines = async (filter = {}, signal) => {
    asked.push(filter);
    return list({}, signal);
  };
});

describe('host add against a MaaS that ignores the mac_address filter', () => {
  it('does not adopt the one machine MaaS answers with: it has none of the MACs', async () => {
    const [tl, op] = [lab.tl(), lab.op()];
    const knownId = (await op.site.maas.listMachines()).find((m) => m.hostname === known)!.system_id;
    const h = tl.lab.spec.hosts.find((x) => x.hostname === added)!;
    const host = await addHost(op, tl, h);
    expect(asked.some((f) => JSON.stringify(f).includes('mac_address'))).toBe(true);
    expect(host.maasSystemId).toBeDefined();
    expect(host.maasSystemId).not.toBe(knownId);
    const machine = (await op.site.maas.listMachines()).find((m) => m.system_id === host.maasSystemId)!;
    expect(machine.hostname).toBe(added);
    const task = op.wb.store.tasks.list().find((t) => t.kind === 'host.add')!;
    const log = task.log.map((l) => l.text).join('\n');
    expect(log).toMatch(
      new RegExp(
        `MaaS answered the mac_address filter with 1 machine\\(s\\) having none of .*\\(${known}\\): ignored`,
      ),
    );
    expect(log).toContain(`created ${added}`);
  }, 60_000);

  it('matches MACs in any notation and case', () => {
    const m = (hostname: string, mac: string) => ({ hostname, interface_set: [{ mac_address: mac }] });
    const all = [m('a', '52:54:00:AA:BB:01'), m('b', '52:54:00:aa:bb:02')];
    expect(machinesWithMacs(all, ['52-54-00-aa-bb-01']).map((x) => x.hostname)).toEqual(['a']);
    expect(machinesWithMacs(all, ['52:54:00:aa:bb:03'])).toEqual([]);
  });
});
