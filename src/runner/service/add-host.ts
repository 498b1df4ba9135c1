import { OperatorError, describeError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import { resolveBmcPassword } from '../../config/rack/passwords.ts';
import { hostBmcFields, type BmcFields } from '../site/bmc-target.ts';
import { maasBmc } from '../site/bmc-resolve.ts';
import { planWorkflowLive, type PlannedStep } from '../workflows/index.ts';
import { machinesWithMacs } from '../workflows/host.ts';
import type { Host } from '../../protocol/records.ts';
import type { ActionPlan, HostAddRequest } from '../../protocol/messages.ts';
import { withDraft } from './draft.ts';
import type { ServiceContext } from './context.ts';

/**
 * Adding a host, planned like every change: the record the rack file and the flags make (its MAC
 * a NIC of the host, its BMC and password found), then the task's own steps planned on a draft of
 * that record, with what MaaS says of its MACs read just before. The confirmed plan is the one that
 * runs: the start plans again and refuses when MaaS or the rack file moved meanwhile.
 */
export type HostDraft = Omit<Host, 'id' | 'addedAt'>;

type AddRequest = Omit<HostAddRequest, 'plan' | 'confirmed'>;

/**
 * The store record a `host add` would insert, or a refusal naming the missing piece. With no BMC in
 * the rack file and none given, MaaS's power parameters for the machine of that name give it.
 */
export async function addHostRecord(
  { site }: Pick<ServiceContext, 'site'>,
  p: AddRequest,
): Promise<HostDraft> {
  const name = p.hostname.toLowerCase();
  const maas = !p.ipmi && !site.topology.host(name)?.bmc ? await maasBmc(site, name) : undefined;
  if (maas && 'error' in maas)
    throw new OperatorError(`no bmc for ${name} in the rack file, and MaaS's cannot be used: ${maas.error}`, {
      target: name,
      hint: 'add a bmc entry to the rack file, or pass --ipmi HOST[:PORT] and --ipmi-user USER',
    });
  return hostRecordFrom({ site }, p, maas?.fields);
}

/** The record from the rack file, the flags and (when given) the BMC MaaS has for the machine. */
function hostRecordFrom(
  { site }: Pick<ServiceContext, 'site'>,
  p: AddRequest,
  fromMaas: BmcFields | undefined,
): HostDraft {
  const hostname = p.hostname.toLowerCase();
  const rackHost = site.topology.host(hostname);
  const rackMacs = rackHost?.nics.map((n) => n.mac) ?? [];
  const mac = p.mac ?? rackMacs[0];
  if (!mac) {
    throw new OperatorError(
      `no MAC given for ${hostname}, and the rack file has no entry with that hostname`,
      {
        hint: 'pass --mac MAC (the host MAC, as the seed asks)',
      },
    );
  }
  if (rackHost && !rackMacs.includes(mac)) {
    throw new OperatorError(
      `MAC ${mac} is not a NIC of ${hostname} in the rack file (it lists ${rackMacs.join(', ')})`,
      {
        hint: "give one of the rack file's MACs for this host, or correct the rack file",
        target: hostname,
      },
    );
  }
  const macs = [...new Set([mac, ...site.topology.nicsForMacs([mac]).map((n) => n.mac), ...rackMacs])];
  const bmc = rackHost?.bmc;
  const address = p.ipmi?.address ?? bmc?.address ?? fromMaas?.address;
  const port = p.ipmi ? p.ipmi.port : (bmc?.port ?? fromMaas?.port);
  if (!address)
    throw new OperatorError(`no BMC address for ${hostname}`, {
      hint: 'pass --ipmi HOST[:PORT] or add a bmc entry to the rack file (MaaS has no machine of that name)',
    });
  const username = p.ipmiUser ?? bmc?.username ?? fromMaas?.username;
  if (username === undefined)
    throw new OperatorError(`no IPMI user for ${hostname}`, { hint: 'pass --ipmi-user USER' });
  const password =
    p.ipmiPassword ?? (bmc ? resolveBmcPassword(bmc, hostname, site.env) : undefined) ?? fromMaas?.password;
  if (!password) {
    throw new OperatorError(`no IPMI password for ${hostname}`, {
      hint: 'set RACKPILOT_IPMI_PASSWORD, pipe it with --ipmi-password-stdin, or reference it from the rack file (bmc.passwordEnv); never on the command line',
    });
  }
  registerSecret(password);
  return {
    hostname,
    mac,
    macs,
    ipmi: {
      address,
      ...(port !== undefined && { port }),
      username,
      password,
      // The rack file's protocol and its Redfish fields, unless --ipmi named another BMC.
      ...(!p.ipmi && bmc && hostBmcFields(bmc)),
      // MaaS's protocol, Redfish fields and IPMI session settings.
      ...(fromMaas && maasRecordFields(fromMaas)),
      source: p.ipmi ? ('command line' as const) : bmc ? ('rack file' as const) : ('MaaS' as const),
    },
    cpuCores: p.cores,
    cpuMhz: p.mhz,
    memoryMb: p.memory,
    ...(p.rack && { rack: p.rack }),
  };
}

/** The store record's fields of a BMC MaaS gave, beside address, port, user and password. */
function maasRecordFields(f: BmcFields) {
  return {
    ...(f.protocol === 'redfish' && { protocol: 'redfish' as const, scheme: f.scheme ?? 'https' }),
    ...(f.systemId !== undefined && { systemId: f.systemId }),
    ...(f.cipherSuite !== undefined && { cipherSuite: f.cipherSuite }),
    ...(f.privilege !== undefined && { privilege: f.privilege }),
  };
}

/** A host already in the store (by name or MAC) is not added twice. */
export function refuseKnown({ wb }: Pick<ServiceContext, 'wb'>, record: HostDraft): void {
  if (wb.store.hosts.find((h) => h.hostname === record.hostname || h.mac === record.mac)) {
    throw new OperatorError(`host ${record.hostname} (or MAC ${record.mac}) is already in the local store`, {
      hint: '`rackpilot host ls`',
      target: record.hostname,
    });
  }
}

/** The add task's steps as they would run for this record, touching nothing. */
export function addHostSteps({ wb }: Pick<ServiceContext, 'wb'>, record: HostDraft): Promise<PlannedStep[]> {
  const draft = { ...record, id: 'host-planned', addedAt: new Date().toISOString() };
  return planWorkflowLive(withDraft(wb.deps, 'hosts', draft), 'host.add', { hostId: draft.id });
}

/** What MaaS says of the host's MACs now: whether the task adopts a machine or creates one. */
async function maasState({ wb }: Pick<ServiceContext, 'wb'>, record: HostDraft): Promise<string[]> {
  const macs = [...new Set([record.mac, ...record.macs])];
  try {
    const found = machinesWithMacs(await wb.deps.maas.listMachines({ mac_address: macs }), macs);
    if (found.length === 0)
      return [`MaaS has no machine with ${macs.join(', ')}: it is created, then commissioned`];
    return found.map((m) => `MaaS has ${m.hostname} (${m.system_id}) with one of its MACs, ${m.status_name}`);
  } catch (err) {
    return [`MaaS not read (${describeError(err)})`];
  }
}

/** The plan the operator confirms before a host is added (its digest is made by the planner). */
export async function addHostPlan(ctx: ServiceContext, p: AddRequest): Promise<Omit<ActionPlan, 'digest'>> {
  const record = await addHostRecord(ctx, p);
  refuseKnown(ctx, record);
  const [steps, maas] = await Promise.all([addHostSteps(ctx, record), maasState(ctx, record)]);
  const bmc = `${record.ipmi.address}${record.ipmi.port ? `:${record.ipmi.port}` : ''}`;
  return {
    title: `Add ${record.hostname} to rackpilot and MaaS`,
    target: record.hostname,
    state: [
      `${record.hostname} is not in rackpilot's store`,
      `MACs ${record.macs.join(', ')}; BMC ${bmc} as ${record.ipmi.username}; ${record.cpuCores} cores, ${record.cpuMhz} MHz, ${record.memoryMb} MB`,
      ...maas,
    ],
    steps: steps.map((s) => ({ step: s.step, actions: s.actions })),
    destroys: null,
    typed: null,
  };
}
