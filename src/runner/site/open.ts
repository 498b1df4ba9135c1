import { OperatorError } from '../../util/errors.ts';
import type { Config } from '../../config/index.ts';
import { MaasClient } from '../../gear/maas/client.ts';
import { emptyRack, loadRackFile, validateRackObject } from '../../config/rack/index.ts';
import { Topology } from '../../config/rack/topology.ts';
import type { Rack } from '../../config/rack/types.ts';
import { SwitchService } from '../../gear/switch/service.ts';
import { IpmiClient, type IpmiClientOptions } from '../../gear/ipmi/index.ts';
import { RedfishClient } from '../../gear/redfish/client.ts';
import { knownCertsPathFor } from '../../gear/redfish/known-certs.ts';
import { BmcService } from '../../gear/bmc/service.ts';
import { startSiteLab, type Lab, type SiteLab } from '../lab-host.ts';
import type { RackLayout } from '../../protocol/inventory.ts';
import type { InventorySource } from '../inventory/merge.ts';

/**
 * A site: the MaaS region, the rack file and the clients for switches and BMCs, either real or the
 * built-in lab started in this process. Everything a command or the dashboard talks to.
 */
export interface Site {
  /** "lab" or the MaaS host, for the header. */
  label: string;
  config: Config;
  maas: MaasClient;
  topology: Topology;
  /** The rack file's text as it was read and validated here, until the runner's reloader takes it. */
  rackText?: string;
  /** Environment for the rack file's passwordEnv references (the lab adds its own). */
  env: Readonly<Record<string, string | undefined>>;
  switches: SwitchService;
  ipmi: IpmiClient;
  redfish: RedfishClient;
  /** Both BMC protocols behind one interface: what everything but `rackpilot ipmi` uses. */
  bmc: BmcService;
  lab: Lab | undefined;
  close(): Promise<void>;
}

export async function openSite(
  config: Config,
  opts: { log?: (line: string) => void; demo?: boolean; ipmi?: IpmiClientOptions } = {},
): Promise<Site> {
  let lab: Lab | undefined;
  let siteLab: SiteLab | undefined;
  let maasUrl: string;
  let apiKey;
  let rack: Rack;
  let rackText: string | undefined;
  let env: Record<string, string | undefined> = { ...process.env, ...config.env };
  if (config.lab) {
    siteLab = await startSiteLab(config, opts.demo === true);
    lab = siteLab.lab;
    env = { ...env, ...lab.env };
    maasUrl = lab.maas.url;
    apiKey = lab.maas.apiKeyParts;
    const parsed = validateRackObject(lab.rackFile, { source: 'lab' });
    if (!parsed.ok)
      throw new Error(
        `lab rack file invalid: ${parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      );
    rack = parsed.rack;
  } else {
    if (!config.maas) {
      throw new OperatorError('no MaaS is configured and the lab is off (RACKPILOT_LAB=off)', {
        hint: 'set MAAS_URL and MAAS_API_KEY (see .env.example), or RACKPILOT_LAB=auto',
      });
    }
    maasUrl = config.maas.url;
    apiKey = config.maas.apiKey;
    if (config.rackFile) ({ rack, text: rackText } = await readRack(config.rackFile));
    else rack = emptyRack();
  }
  const maas = new MaasClient({
    url: maasUrl,
    apiKey,
    timeoutMs: config.maasTimeoutMs ?? 30_000,
    ...(!lab && { urlSource: config.env['MAAS_URL']?.trim() ? 'MAAS_URL' : 'MAAS_SYSTEM_URL' }),
    ...(opts.log && { log: opts.log }),
  });
  await siteLab?.stageDemo(maas);
  const switches = new SwitchService({
    connectTimeoutMs: config.switchTimeoutMs,
    knownHostsPath: config.knownHosts,
    // Several jump hosts (etcd): the switch lock is held while a step runs, so the session closes
    // with the batch; an idle session kept for the next burst would overlap another runner's.
    ...(config.etcd && { idleMs: 0 }),
    ...(opts.log && { log: opts.log }),
  });
  const ipmi = new IpmiClient({ answerTimeoutMs: config.bmcTimeoutMs, ...opts.ipmi });
  const redfish = new RedfishClient({
    knownCertsPath: knownCertsPathFor(config.knownHosts),
    ...(opts.log && { log: opts.log }),
  });
  const bmc = new BmcService(ipmi, redfish);
  return {
    label: lab ? 'lab' : new URL(maasUrl).host,
    config,
    maas,
    topology: new Topology(rack),
    ...(rackText !== undefined && { rackText }),
    env,
    switches,
    ipmi,
    redfish,
    bmc,
    lab,
    close: async () => {
      await switches.close().catch(() => undefined);
      await bmc.close();
      await lab?.close();
    },
  };
}

async function readRack(path: string): Promise<{ rack: Rack; text: string }> {
  const result = await loadRackFile(path);
  if (!result.ok) {
    const lines = result.errors.slice(0, 20).map((e) => `  ${e.path}: ${e.message}`);
    throw new OperatorError(`rack file ${path} is invalid:\n${lines.join('\n')}`, {
      hint: `check it with \`rackpilot rack validate ${path}\``,
    });
  }
  return result;
}

/** The inventory's view of a site: one MaaS list call per refresh, the rack file's cabling. */
export function inventorySource(site: Site): InventorySource {
  return {
    endpoint: site.maas.baseUrl.replace(/\/api\/2\.0\/$/, ''),
    listMachines: () => site.maas.listMachineSummaries(),
  };
}

export function rackLayout(topology: Topology): RackLayout {
  return {
    racks: topology.rack.racks.map((r, i) => ({
      name: r.name ?? `rack${i + 1}`,
      switchName: r.switch.name,
      nics: r.nics.map((n) => ({ mac: n.mac, port: n.port, ...(n.hostname && { hostname: n.hostname }) })),
    })),
  };
}
