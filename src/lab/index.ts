import { generateLabSpec, type LabSpec, type LabSpecOptions } from './spec.ts';
import { LabWorld } from './world.ts';
import { startLabSwitches, type LabSwitches } from './switch-server.ts';
import { startLabBmcs, type LabBmcs } from './bmc-server.ts';
import { startLabMaas, type LabMaas, type LabMaasOptions } from './maas-server.ts';
import { labEnv, labRackFile } from './rack-file.ts';
import { ipmiMaasPowerDriver, targetFromPowerParameters } from './bmc-maas-power.ts';
import { IpmiClient } from '../ipmi/index.ts';
import { registerSecret } from '../util/redact.ts';
import { LabConsoles } from './host-console.ts';

/**
 * A whole datacenter on loopback: the MaaS region (HTTP), one SSH ToR switch per rack and one
 * RMCP+ BMC per host, sharing one LabWorld so power, boot order and VLANs couple as on real gear.
 */
export interface LabOptions extends LabSpecOptions {
  /** Real-MaaS seconds × timeScale (1 = real timings, 0 = no waiting). */
  timeScale: number;
  /** The lab MaaS powers hosts through the lab BMCs over IPMI (default), or directly. */
  maasPower?: 'ipmi' | 'world';
  maas?: Omit<LabMaasOptions, 'timeScale' | 'powerDriver'>;
}

export interface Lab {
  spec: LabSpec;
  world: LabWorld;
  maas: LabMaas;
  switches: LabSwitches;
  bmcs: LabBmcs;
  /** The hosts' serial consoles (the BMCs serve them over SOL). */
  consoles: LabConsoles;
  /** The rack file describing this lab, as an operator would write it. */
  rackFile: { racks: unknown[] };
  /** Environment a second rackpilot process needs to use this lab (MaaS URL and key, passwords). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  const spec = generateLabSpec(opts);
  for (const sw of spec.switches) registerSecret(sw.password);
  for (const h of spec.hosts) registerSecret(h.bmc.password);
  const world = new LabWorld(spec);
  const closers: (() => Promise<void>)[] = [];
  try {
    const switches = await startLabSwitches(world);
    closers.push(() => switches.close());
    const consoles = new LabConsoles(world, { timeScale: opts.timeScale });
    closers.push(async () => consoles.dispose());
    const bmcs = await startLabBmcs(world, { consoles });
    closers.push(() => bmcs.close());
    const bmcPort = new Map(bmcs.bmcs.map((b) => [b.hostname, b]));
    // MaaS's own IPMI driver session pool: short timeouts, as freeipmi's.
    const maasIpmi = new IpmiClient({ timeoutMs: 500, retries: 3 });
    closers.push(() => maasIpmi.close());
    const maas = await startLabMaas(world, {
      ...opts.maas,
      timeScale: opts.timeScale,
      ...((opts.maasPower ?? 'ipmi') === 'ipmi' && {
        powerDriver: ipmiMaasPowerDriver(maasIpmi, targetFromPowerParameters),
      }),
      powerParameters: (h) => {
        const b = bmcPort.get(h.hostname);
        return {
          power_address: b ? `${b.host}:${b.port}` : '',
          power_user: h.bmc.user,
          power_pass: h.bmc.password,
          power_driver: 'LAN_2_0',
          cipher_suite_id: '3',
          privilege_level: 'ADMIN',
        };
      },
    });
    closers.push(() => maas.close());
    consoles.followMaas(maas.machines.core.progressListeners);
    registerSecret(maas.apiKeyParts.tokenSecret);
    const rackFile = labRackFile(spec, switches.switches, bmcs.bmcs);
    const env = { ...labEnv(spec), MAAS_URL: maas.url, MAAS_API_KEY: maas.apiKey };
    return {
      spec,
      world,
      maas,
      switches,
      bmcs,
      consoles,
      rackFile,
      env,
      close: async () => {
        for (const c of closers.reverse()) await c().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    throw err;
  }
}
