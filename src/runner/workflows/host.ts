import { OperatorError } from '../../util/errors.ts';
import { normaliseMac } from '../../config/rack/mac.ts';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import type { Host } from '../../protocol/records.ts';
import type { WorkflowDeps } from './adapters.ts';
import { cabledNics, hostById, NO_RACK_FILE } from './records.ts';
import type { WorkflowStep } from './steps.ts';
import { waitForStatus } from './wait.ts';
import { bmcAddressLabel } from '../site/bmc-target.ts';
import type { CreateMachineInput } from '../../gear/maas/client.ts';

export interface HostParams {
  hostId: string;
  [key: string]: string;
}

/**
 * The seed's Add Host: the MAC must be in the rack file (and, where the switch answers, learned on
 * the port the rack file says); the machine is adopted when MaaS already has it (by MAC), else
 * created with IPMI power parameters and commissioned through to Ready.
 */
export function addHostSteps(deps: WorkflowDeps, params: HostParams): WorkflowStep<HostParams>[] {
  const host = () => hostById(deps, params.hostId);
  return [
    rackFileStep(deps, params, host),
    cablingStep(deps, host),
    adoptOrCreateStep(deps, host),
    commissionStep(deps, host),
  ];
}

/** The NICs the rack file cables the host to (rolled back: the local record goes). */
function rackFileStep(deps: WorkflowDeps, params: HostParams, host: () => Host): WorkflowStep<HostParams> {
  return {
    title: 'Check the MAC against the rack file',
    async run(ctx) {
      if (!deps.rack.configured) {
        ctx.log(`${NO_RACK_FILE}; ${host().mac} not checked`, 'warn');
        return { nics: [] };
      }
      const nics = cabledNics(deps, host());
      ctx.log(nics.map((n) => `${n.mac} on ${n.switch} ${n.port}`).join('; '));
      return { nics: nics.map((n) => ({ ...n })) };
    },
    // Rolled back to the start: the local record goes; MaaS keeps whatever it has (never deleted).
    async undo() {
      if (!deps.store.instances.find((i) => i.hostId === params.hostId))
        await deps.store.hosts.remove(params.hostId);
    },
    plan: () => [deps.rack.configured ? `rack file: find ${host().mac}` : NO_RACK_FILE],
  };
}

/** Where the switches learned those MACs: a MAC on another port than the rack file says stops the add. */
function cablingStep(deps: WorkflowDeps, host: () => Host): WorkflowStep<HostParams> {
  return {
    title: 'Check the cabling on the ToR switch',
    async run(ctx) {
      const nics = cabledNics(deps, host());
      for (const nic of nics) {
        let learned: string | null;
        try {
          learned = await deps.switches.findMac(nic.switch, nic.mac, ctx.signal);
        } catch (err) {
          ctx.log(
            `switch ${nic.switch} did not answer (${(err as Error).message}); cabling not checked`,
            'warn',
            'switch',
          );
          continue;
        }
        if (learned === null) {
          ctx.log(
            `${nic.mac} not in the MAC table of ${nic.switch} (host off?); cabling not checked`,
            'warn',
            'switch',
          );
        } else {
          ctx.log(`switch ${nic.switch}: ${nic.mac} learned on ${learned}`, 'info', 'switch');
        }
        if (learned !== null && !samePort(learned, nic.port)) {
          throw new OperatorError(
            `${host().hostname}: MAC ${nic.mac} is on ${nic.switch} ${learned}, but the rack file says ${nic.port}`,
            {
              target: `${nic.switch} ${nic.port}`,
              hint: 'fix the cabling or the rack file; VLAN changes would otherwise hit the wrong server',
            },
          );
        }
      }
    },
    plan: () =>
      cabledNicsOrEmpty(deps, host()).map(
        (n) => `switch ${n.switch}: show mac-address-table address ${n.mac}`,
      ),
  };
}

/** The machine MaaS already has with one of the MACs, or a new one with the BMC as its power. */
function adoptOrCreateStep(deps: WorkflowDeps, host: () => Host): WorkflowStep<HostParams> {
  return {
    title: 'Adopt the machine from MaaS, or create it',
    async verify() {
      return host().maasSystemId !== undefined;
    },
    async run(ctx) {
      const h = host();
      const macs = [...new Set([h.mac, ...h.macs])];
      const answer = await deps.maas.listMachines({ mac_address: macs }, ctx.signal);
      // MaaS's filter is not trusted: only a machine whose interfaces hold one of the MACs is ours.
      const found = machinesWithMacs(answer, macs);
      if (found.length < answer.length) {
        const others = answer.filter((m) => !found.includes(m));
        ctx.log(
          `MaaS answered the mac_address filter with ${others.length} machine(s) having none of ${macs.join(', ')} ` +
            `(${others
              .slice(0, 5)
              .map((m) => m.hostname)
              .join(', ')}${others.length > 5 ? ', …' : ''}): ignored`,
          'warn',
          'maas',
        );
      }
      if (found.length > 1) {
        throw new OperatorError(
          `MaaS has ${found.length} machines with MACs of ${h.hostname}: ${found.map((m) => m.hostname).join(', ')}`,
          { target: h.hostname, hint: 'delete the duplicate in MaaS, then add the host again' },
        );
      }
      let systemId: string;
      let adopted: boolean;
      if (found[0]) {
        systemId = found[0].system_id;
        adopted = true;
        ctx.log(
          `adopted ${found[0].hostname} (${systemId}), ${found[0].status_name} in MaaS`,
          'info',
          'maas',
        );
        checkDimensions(h, found[0], ctx.log);
      } else {
        const m = await deps.maas.createMachine(
          {
            hostname: h.hostname,
            macAddresses: macs,
            architecture: 'amd64/generic',
            power: maasPowerOf(h),
          },
          ctx.signal,
        );
        systemId = m.system_id;
        adopted = false;
        ctx.log(`created ${m.hostname} (${systemId}) in MaaS; commissioning`, 'info', 'maas');
      }
      await deps.store.hosts.update(h.id, { maasSystemId: systemId });
      return { systemId, adopted };
    },
    plan: () => {
      const h = host();
      const macs = [...new Set([h.mac, ...h.macs])];
      // Every MAC, as the run sends them (one form field each).
      const macFields = macs.map((m) => `mac_addresses=${m}`).join(' ');
      return [
        `MaaS GET machines/?${macs.map((m) => `mac_address=${m}`).join('&')}`,
        h.ipmi.protocol === 'redfish'
          ? `if absent: MaaS POST machines/ hostname=${h.hostname} ${macFields} power_type=redfish ` +
            `power_parameters_power_address=${maasPowerOf(h).address} power_parameters_power_user=${h.ipmi.username} power_parameters_power_pass=***` +
            (h.ipmi.systemId ? ` power_parameters_node_id=${h.ipmi.systemId}` : '')
          : `if absent: MaaS POST machines/ hostname=${h.hostname} ${macFields} power_type=ipmi ` +
            `power_parameters_power_address=${h.ipmi.address} power_parameters_power_user=${h.ipmi.username} power_parameters_power_pass=***`,
      ];
    },
  };
}

/** Commissioning through to Ready, with the dimensions MaaS found checked against the host's. */
function commissionStep(deps: WorkflowDeps, host: () => Host): WorkflowStep<HostParams> {
  return {
    title: 'Wait for commissioning to finish (Ready)',
    timeoutMs: deps.settings.commissionTimeoutMs + 60_000,
    async verify(ctx) {
      const id = host().maasSystemId;
      if (!id) return false;
      const m = await deps.maas.readMachine(id, ctx.signal);
      return m.status !== NODE_STATUS.NEW && m.status !== NODE_STATUS.COMMISSIONING;
    },
    async run(ctx) {
      const h = host();
      const m = await waitForStatus(deps, {
        systemId: h.maasSystemId!,
        hostname: h.hostname,
        want: [NODE_STATUS.READY],
        via: [NODE_STATUS.NEW, NODE_STATUS.COMMISSIONING, NODE_STATUS.TESTING],
        timeoutMs: deps.settings.commissionTimeoutMs,
        what: 'commissioning',
        operation: 'commission',
        signal: ctx.signal,
        log: ctx.log,
        progress: ctx.progress,
      });
      checkDimensions(h, m, ctx.log);
    },
    plan: () => ['MaaS GET machines/<id>/ until Ready'],
  };
}

function cabledNicsOrEmpty(deps: WorkflowDeps, host: Host) {
  try {
    return cabledNics(deps, host);
  } catch {
    return [];
  }
}

/** Switches print `Te 1/1/1` or `Ethernet1/1`; the rack file says `1/1/1` or `1/1`. */
export function samePort(learned: string, rackPort: string): boolean {
  const num = (s: string) => s.replace(/^[A-Za-z-]+\s*/, '');
  return num(learned) === num(rackPort);
}

function checkDimensions(
  h: Host,
  m: { cpu_count: number; cpu_speed: number; memory: number; hostname: string },
  log: (t: string, l?: 'warn') => void,
) {
  const diffs: string[] = [];
  if (m.cpu_count && m.cpu_count !== h.cpuCores)
    diffs.push(`cores ${h.cpuCores} given, MaaS found ${m.cpu_count}`);
  if (m.memory && m.memory !== h.memoryMb)
    diffs.push(`memory ${h.memoryMb} MB given, MaaS found ${m.memory}`);
  if (diffs.length) log(`${h.hostname}: ${diffs.join('; ')} — offerings match the values given`, 'warn');
}

/** The machines among MaaS's answer that have one of the MACs on an interface (any notation, any case). */
export function machinesWithMacs<M extends { interface_set: readonly { mac_address: string }[] }>(
  machines: readonly M[],
  macs: readonly string[],
): M[] {
  const wanted = new Set(macs.map((m) => normaliseMac(m) ?? m.toLowerCase()));
  return machines.filter((m) =>
    m.interface_set.some((i) => wanted.has(normaliseMac(i.mac_address) ?? i.mac_address.toLowerCase())),
  );
}

/** The host's BMC as MaaS's power parameters: its IPMI driver's, or its redfish driver's (a URL). */
function maasPowerOf(h: Host): CreateMachineInput['power'] {
  const b = h.ipmi;
  if (b.protocol === 'redfish') {
    return {
      type: 'redfish',
      address: bmcAddressLabel(b).replace(/^Redfish /, ''),
      user: b.username,
      pass: b.password,
      ...(b.systemId !== undefined && { nodeId: b.systemId }),
    };
  }
  return {
    address: b.port ? `${b.address}:${b.port}` : b.address,
    user: b.username,
    pass: b.password,
    ...(b.cipherSuite !== undefined && { cipherSuiteId: b.cipherSuite }),
    ...(b.privilege !== undefined && { privilegeLevel: b.privilege === 'operator' ? 'OPERATOR' : 'ADMIN' }),
  };
}
