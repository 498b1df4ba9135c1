import { afterEach } from 'vitest';
import { MaasClient } from '../../src/gear/maas/client.ts';
import type { MaasMachine } from '../../src/gear/maas/schemas.ts';
import { startLabMaas, type LabMaas, type LabMaasOptions } from '../../src/lab/maas-server.ts';
import { generateLabSpec, type LabSpecOptions } from '../../src/lab/spec.ts';
import { LabWorld } from '../../src/lab/world.ts';

const open: LabMaas[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

export interface Site {
  world: LabWorld;
  lab: LabMaas;
  client: MaasClient;
  /** system_id of the lab machine for a hostname. */
  id(hostname: string): string;
  hostnames: string[];
  waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string): Promise<T>;
  waitStatus(systemId: string, statusName: string): Promise<MaasMachine>;
}

export async function startSite(
  opts: Partial<LabMaasOptions> & { spec?: LabSpecOptions; clientLog?: (l: string) => void } = {},
): Promise<Site> {
  const world = new LabWorld(generateLabSpec({ racks: 2, hosts: 6, ...opts.spec }));
  const lab = await startLabMaas(world, { timeScale: 0, ...opts });
  open.push(lab);
  const client = new MaasClient({
    url: lab.url,
    apiKey: lab.apiKeyParts,
    retryDelayMs: 1,
    log: opts.clientLog,
  });
  const waitFor: Site['waitFor'] = async (probe, what) => {
    // Generous deadline: this polls for a condition, it does not time anything.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    world,
    lab,
    client,
    hostnames: world.spec.hosts.map((h) => h.hostname),
    id: (h) => lab.machines.byHostname(h)!.systemId,
    waitFor,
    waitStatus: (systemId, statusName) =>
      waitFor(async () => {
        const m = await client.readMachine(systemId);
        return m.status_name === statusName ? m : undefined;
      }, `${systemId} to be ${statusName}`),
  };
}

/** Puts every NIC of a host on a tenant VLAN, as the create-instance workflow does after deploy. */
export function moveToTenantVlan(world: LabWorld, hostname: string, vlan: number): void {
  const host = world.spec.hosts.find((h) => h.hostname === hostname)!;
  for (const nic of host.nics) world.updatePort(nic.switch, nic.port, (p) => (p.untagged = vlan));
}

export function moveToPxeVlan(world: LabWorld, hostname: string): void {
  const host = world.spec.hosts.find((h) => h.hostname === hostname)!;
  for (const nic of host.nics) {
    const sw = world.spec.switches.find((s) => s.name === nic.switch)!;
    world.updatePort(nic.switch, nic.port, (p) => (p.untagged = sw.pxeVlan));
  }
}
