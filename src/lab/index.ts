import { generateLabSpec, type LabSpec, type LabSpecOptions } from './spec.ts';
import { LabWorld } from './world.ts';
import { startLabSwitches, type LabSwitches } from './switch-server.ts';
import { startLabBmcs, type LabBmcs } from './bmc-server.ts';
import { startLabMaas, type LabMaas, type LabMaasOptions } from './maas-server.ts';
import { labEnv, labRackFile } from './rack-file.ts';
import { ipmiMaasPowerDriver, targetFromPowerParameters } from './bmc-maas-power.ts';
import { IpmiClient } from '../gear/ipmi/index.ts';
import { RedfishClient } from '../gear/redfish/client.ts';
import { startLabRedfishBmcs, type LabRedfishBmcs } from './redfish-server.ts';
import { powerDriverByType, redfishMaasPowerDriver } from './redfish-maas-power.ts';
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
  /** Share of the hosts (0–100, default 0) whose BMC speaks Redfish instead of IPMI. */
  redfishPercent?: number;
  /** How the Redfish BMCs serve (default https, with a self-signed certificate generated at start). */
  redfishScheme?: 'https' | 'http';
}

/** Which hosts get a Redfish BMC: `percent` of them, spread evenly over the racks' order. */
export function redfishHostnames(spec: LabSpec, percent: number): Set<string> {
  const out = new Set<string>();
  const p = Math.max(0, Math.min(100, percent));
  spec.hosts.forEach((h, i) => {
    if (Math.floor(((i + 1) * p) / 100) > Math.floor((i * p) / 100)) out.add(h.hostname);
  });
  return out;
}

/** The lab's Redfish BMCs name their system as Dell's do: never `1`, so discovery is exercised. */
export const LAB_REDFISH_SYSTEM_ID = 'System.Embedded.1';

export interface Lab {
  spec: LabSpec;
  world: LabWorld;
  maas: LabMaas;
  switches: LabSwitches;
  bmcs: LabBmcs;
  /** The hosts' serial consoles (the BMCs serve them over SOL). */
  consoles: LabConsoles;
  /** The hosts whose BMC speaks Redfish (none unless redfishPercent was given). */
  redfish: LabRedfishBmcs;
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
    const redfishHosts = redfishHostnames(spec, opts.redfishPercent ?? 0);
    // The Redfish BMCs serve no SOL: their hosts' consoles are IPMI's only.
    const bmcs = await startLabBmcs(world, {
      consoles,
      hostnames: spec.hosts.filter((h) => !redfishHosts.has(h.hostname)).map((h) => h.hostname),
    });
    closers.push(() => bmcs.close());
    const redfish = await startLabRedfishBmcs(world, {
      hostnames: [...redfishHosts],
      scheme: opts.redfishScheme ?? 'https',
      quirks: { systemId: LAB_REDFISH_SYSTEM_ID },
    });
    closers.push(() => redfish.close());
    const bmcPort = new Map(bmcs.bmcs.map((b) => [b.hostname, b]));
    const redfishPort = new Map(redfish.bmcs.map((b) => [b.hostname, b]));
    // MaaS's redfish driver: Basic or session, certificate not verified (MaaS does not check it).
    const maasRedfish = new RedfishClient({ timeoutMs: 10_000, anyCertificate: true });
    closers.push(() => maasRedfish.close());
    // MaaS's own IPMI driver session pool: short timeouts, as freeipmi's.
    const maasIpmi = new IpmiClient({ timeoutMs: 500, retries: 3 });
    closers.push(() => maasIpmi.close());
    const maas = await startLabMaas(world, {
      ...opts.maas,
      timeScale: opts.timeScale,
      ...((opts.maasPower ?? 'ipmi') === 'ipmi' && {
        powerDriver: powerDriverByType(
          { redfish: redfishMaasPowerDriver(maasRedfish) },
          ipmiMaasPowerDriver(maasIpmi, targetFromPowerParameters),
        ),
      }),
      powerType: (h) => (redfishPort.has(h.hostname) ? 'redfish' : 'ipmi'),
      powerParameters: (h): Record<string, string> => {
        const r = redfishPort.get(h.hostname);
        if (r) {
          return {
            power_address: `${r.scheme}://${r.host}:${r.port}`,
            power_user: h.bmc.user,
            power_pass: h.bmc.password,
            node_id: r.systemId,
          };
        }
        const b = bmcPort.get(h.hostname);
        return {
          power_address: b ? `${b.host}:${b.port}` : '',
          power_user: h.bmc.user,
          power_pass: h.bmc.password,
          power_driver: 'LAN_2_0',
          // What MaaS's BMC configuration script leaves after commissioning (drivers/power/ipmi.py's fields).
          power_boot_type: 'auto',
          cipher_suite_id: '3',
          privilege_level: 'ADMIN',
          k_g: '',
        };
      },
    });
    closers.push(() => maas.close());
    consoles.followMaas(maas.machines.core.progressListeners);
    registerSecret(maas.apiKeyParts.tokenSecret);
    const rackFile = labRackFile(spec, switches.switches, bmcs.bmcs, redfish.bmcs);
    const env = { ...labEnv(spec), MAAS_URL: maas.url, MAAS_API_KEY: maas.apiKey };
    return {
      spec,
      world,
      maas,
      switches,
      bmcs,
      consoles,
      redfish,
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
