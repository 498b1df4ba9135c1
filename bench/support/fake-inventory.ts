import type { RackLayout } from '../../src/protocol/inventory.ts';
import type { InventorySource, MachineRecord } from '../../src/runner/inventory/merge.ts';

/** A deterministic site for UI tests: racks of hosts in a spread of MaaS states. */
export const STATUSES: readonly [number, string, string][] = [
  [4, 'Ready', 'off'],
  [6, 'Deployed', 'on'],
  [9, 'Deploying', 'on'],
  [11, 'Failed deployment', 'off'],
  [14, 'Disk erasing', 'on'],
  [10, 'Allocated', 'off'],
];

export function fakeSite(
  hostCount: number,
  racks = 3,
): { source: InventorySource & { calls: number }; layout: RackLayout } {
  const machines: MachineRecord[] = [];
  const layout: { name: string; switchName: string; nics: { mac: string; port: string }[] }[] = [];
  for (let r = 0; r < racks; r++) layout.push({ name: `r0${r + 1}`, switchName: `tor-r0${r + 1}`, nics: [] });
  for (let i = 0; i < hostCount; i++) {
    const r = i % racks;
    const [status, statusName, power] = STATUSES[i % STATUSES.length]!;
    const macs = [0, 1].map(
      (n) =>
        `52:54:0${r}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}:0${n}`,
    );
    machines.push({
      system_id: `sys${i.toString(36).padStart(4, '0')}`,
      hostname: `r0${r + 1}-n${String(Math.floor(i / racks) + 1).padStart(3, '0')}`,
      status,
      status_name: statusName,
      status_message: status === 11 ? "Node operation 'Deploying' timed out after 30 minutes." : 'Deployed',
      power_state: power,
      interface_set: macs.map((mac, n) => ({ mac_address: mac, name: `eth${n}`, type: 'physical' })),
    });
    macs.forEach((mac, n) => layout[r]!.nics.push({ mac, port: `1/1/${Math.floor(i / racks) * 2 + n + 1}` }));
  }
  const source = {
    endpoint: 'http://127.0.0.1:5240/MAAS',
    calls: 0,
    async listMachines() {
      source.calls++;
      return machines;
    },
  };
  return { source, layout: { racks: layout } };
}
