import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { LabWorld } from '../../src/lab/world.ts';
import {
  generateLabCertificate,
  startLabRedfishBmcs,
  type LabRedfishBmcs,
  type LabTlsIdentity,
  type StartLabRedfishOptions,
} from '../../src/lab/redfish-server.ts';
import type { RedfishTarget } from '../../src/gear/redfish/client.ts';

export interface RedfishLab {
  world: LabWorld;
  bmcs: LabRedfishBmcs;
  targets: RedfishTarget[];
  target(hostname: string): RedfishTarget;
  /** A directory of the test's own (known_bmc_certs lives there). */
  dir: string;
  close(): Promise<void>;
}

let shared: Promise<LabTlsIdentity> | undefined;
/** One certificate for a test file: generating RSA keys is the slow part. */
export const labCert = () => (shared ??= generateLabCertificate());

export async function startRedfishLab(hosts: number, opts: StartLabRedfishOptions = {}): Promise<RedfishLab> {
  const spec = generateLabSpec({ hosts, racks: 1, seed: 11 });
  const world = new LabWorld(spec);
  const scheme = opts.scheme ?? 'https';
  const bmcs = await startLabRedfishBmcs(world, {
    ...opts,
    ...(scheme === 'https' && { tls: opts.tls ?? (await labCert()) }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'rackpilot-redfish-'));
  const targets = bmcs.bmcs.map((b): RedfishTarget => {
    const h = spec.hosts.find((x) => x.hostname === b.hostname)!;
    return {
      host: b.host,
      port: b.port,
      scheme: b.scheme,
      username: h.bmc.user,
      password: h.bmc.password,
      name: `BMC of ${b.hostname}`,
    };
  });
  return {
    world,
    bmcs,
    targets,
    dir,
    target: (hostname) => targets.find((t) => t.name === `BMC of ${hostname}`)!,
    close: async () => {
      await bmcs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
