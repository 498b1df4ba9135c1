import { hostname as jumpHostName } from 'node:os';
import { OperatorError } from '../../util/errors.ts';
import { NODE_STATUS } from '../../gear/maas/node-status.ts';
import type { MaasInterface, MaasMachine } from '../../gear/maas/schemas.ts';
import type { DeployInput } from '../../gear/maas/client.ts';
import type { Instance } from '../../protocol/records.ts';
import type { CabledNic, WorkflowDeps } from './adapters.ts';
import { cabledNics, instanceVlans, NO_RACK_FILE, templateById, instanceScope } from './records.ts';
import { bootStep, portsStep, powerStep, storeStep, type WorkflowStep } from './steps.ts';
import { waitForPower, waitForStatus } from './wait.ts';
import { bmcLabel, powerReadText } from './bmc-text.ts';
import { MachineMemo } from './machine-memo.ts';
import {
  BOND_NAME,
  eraseText,
  releaseAndWait,
  releaseLine,
  releasePlan,
  restoreNics,
  restoreNicsPlan,
} from './machine-release.ts';

export { BOND_NAME };

export interface InstanceParams {
  instanceId: string;
  [key: string]: string;
}

/** The keys of a machine's MaaS owner_data that say which task (and jump host) allocated it. */
export const OWNER_DATA_TASK = 'rackpilot_task';
export const OWNER_DATA_JUMP_HOST = 'rackpilot_jump_host';

/**
 * MaaS as the last guard: a machine MaaS has allocated for another task (its owner_data names
 * it) is refused, naming that task, whatever the local records say.
 */
export function refuseForeignAllocation(
  deps: Pick<WorkflowDeps, 'store'>,
  m: Pick<MaasMachine, 'hostname' | 'status' | 'owner_data'>,
  taskId: string,
): void {
  const other = m.owner_data?.[OWNER_DATA_TASK];
  if (!other || other === taskId || m.status === NODE_STATUS.READY) return;
  const where = m.owner_data?.[OWNER_DATA_JUMP_HOST];
  const known = deps.store.tasks.peek(other) !== undefined;
  throw new OperatorError(
    `${m.hostname} is allocated in MaaS by task ${other}${where ? ` (jump host ${where})` : ''}` +
      (known ? '' : ', a task this rackpilot does not know'),
    {
      target: m.hostname,
      hint: known
        ? `that task holds it: \`rackpilot task show ${other}\``
        : 'another rackpilot (another store or etcd prefix) uses this machine; leave it, or release it in MaaS once that is certain to be wrong',
    },
  );
}

/** What every step of one create shares: the records it works on, its MaaS memo and its plan lines. */
interface CreateScope extends ReturnType<typeof instanceScope> {
  deps: WorkflowDeps;
  params: InstanceParams;
  memo: MachineMemo;
}

/**
 * The seed's Create VM workflow, step by step: constraints → ToR ports on the PXE VLAN → allocate
 * → bond (≥ 2 ToR NICs, active-backup) or the single NIC → its MAC set to the instance's MAC →
 * deploy → wait for Deployed → power off → tenant VLANs → boot from disk → power on → confirm.
 * Every gear-touching step verifies before it acts, so resume after a crash is safe.
 */
export function createInstanceSteps(
  deps: WorkflowDeps,
  params: InstanceParams,
): WorkflowStep<InstanceParams>[] {
  const scope: CreateScope = {
    ...instanceScope(deps, params.instanceId, params.hostId),
    deps,
    params,
    memo: new MachineMemo(deps.maas),
  };
  const { hostId, memo } = scope;
  const pxe = (sw: string) => deps.switches.pxeVlan(sw);
  return memo.guard([
    checkConstraintsStep(scope),
    portsStep(deps, hostId, {
      title: 'ToR ports to the PXE VLAN',
      ops: (nic) => [{ port: nic.port, op: 'resetPxe' }],
      expect: (nic) => ({ untagged: pxe(nic.switch), tagged: [] }),
      // A crash mid-session can leave the ports half changed; a rolled-back create leaves them where
      // a free host belongs (MaaS's PXE network), never split between two VLANs.
      undoOps: (nic) => [{ port: nic.port, op: 'resetPxe' }],
    }),
    allocateStep(scope),
    bondOrSingleNicStep(scope),
    instanceMacStep(scope),
    deployStep(scope),
    waitDeployedStep(scope),
    powerStep(deps, hostId, { title: 'Power off before the VLAN change', want: 'off' }),
    tenantVlansStep(scope),
    bootStep(deps, hostId, {
      title: 'Boot from disk',
      device: 'disk',
      undoable: true,
      machine: (id, signal) => memo.machine(id, signal),
    }),
    powerStep(deps, hostId, { title: 'Power on', want: 'on', undo: 'off' }),
    confirmPowerOnStep(scope),
    storeStep(
      'Record the instance as running',
      async () => {
        await deps.store.instances.update(params.instanceId, { state: 'running', lastHostId: hostId });
      },
      `store: instance ${scope.inst().name} state=running`,
    ),
  ]);
}

/** The VLANs are allowed, MaaS holds the machine Ready (or this task's), and has the image. */
function checkConstraintsStep({
  deps,
  params,
  inst,
  host,
  systemId,
  memo,
}: CreateScope): WorkflowStep<InstanceParams> {
  return {
    title: 'Check constraints',
    async run(ctx) {
      const h = host();
      const tpl = templateById(deps, inst().templateId);
      const nics = cabledNics(deps, h);
      checkVlansAllowed(deps, inst(), nics);
      const m = await memo.readMachine(systemId(), ctx.signal);
      refuseForeignAllocation(deps, m, ctx.taskId);
      const okStates: number[] = [
        NODE_STATUS.READY,
        NODE_STATUS.ALLOCATED,
        NODE_STATUS.DEPLOYING,
        NODE_STATUS.DEPLOYED,
      ];
      if (!okStates.includes(m.status)) {
        throw new OperatorError(`${h.hostname} is ${m.status_name} in MaaS; it must be Ready to deploy`, {
          target: h.hostname,
          hint: 'release or commission the machine in MaaS first, or pick another host',
        });
      }
      const images = await deps.maas.listBootResources(ctx.signal);
      if (!images.some((r) => imageMatches(r.name, tpl.image))) {
        throw new OperatorError(`MaaS has no boot image for template ${tpl.name} (${tpl.image})`, {
          hint: `import the image in MaaS (Images page), or register the template with one of: ${images
            .map((r) => r.name)
            .join(', ')}`,
        });
      }
      if (!deps.rack.configured) ctx.log(`${NO_RACK_FILE}: no VLAN is set, no bond is made`, 'warn');
      else
        ctx.log(
          `${h.hostname}: ${nics.length} ToR NIC(s) ${nics.map((n) => `${n.switch} ${n.port}`).join(', ')}`,
        );
    },
    // Undone last in a rollback, when the gear is back as it was: the record made for this create goes.
    async undo() {
      await deps.store.instances.remove(params.instanceId);
    },
    undoPlan: () => [`store: remove instance ${inst().name}`],
    plan: () => [`MaaS GET machines/${systemId()}/ (status must be Ready)`, 'MaaS GET boot-resources/'],
  };
}

function checkVlansAllowed(deps: WorkflowDeps, inst: Instance, nics: readonly CabledNic[]): void {
  const { access, tagged } = instanceVlans(deps, inst);
  for (const nic of nics) {
    for (const vlan of [access, ...tagged]) {
      if (!deps.rack.vlanAllowed(nic.switch, vlan)) {
        throw new OperatorError(`VLAN ${vlan} is not allowed on switch ${nic.switch}`, {
          target: `${nic.switch} ${nic.port}`,
          hint: "use a network whose VLAN is in the switch's allowedVlans in the rack file",
        });
      }
    }
  }
}

function allocateStep({ deps, host, systemId, memo }: CreateScope): WorkflowStep<InstanceParams> {
  // The MaaS calls as the plan shows them and the log records them, word for word.
  const allocateLine = () => `MaaS POST machines/?op=allocate system_id=${systemId()}`;
  const ownerLine = (task: string) =>
    `MaaS POST machines/${systemId()}/?op=set_owner_data ${OWNER_DATA_TASK}=${task} ${OWNER_DATA_JUMP_HOST}=${jumpHostName()}`;
  return {
    title: 'Allocate the machine in MaaS',
    // Ours only once MaaS says so: Commissioning, Broken or a failure is not an allocation.
    async verify(ctx) {
      const m = await memo.machine(systemId(), ctx.signal);
      refuseForeignAllocation(deps, m, ctx.taskId);
      return isAllocated(m.status) && m.owner_data?.[OWNER_DATA_TASK] === ctx.taskId;
    },
    async run(ctx) {
      const m = await memo.machine(systemId(), ctx.signal);
      refuseForeignAllocation(deps, m, ctx.taskId);
      const owner = { [OWNER_DATA_TASK]: ctx.taskId, [OWNER_DATA_JUMP_HOST]: jumpHostName() };
      if (isAllocated(m.status)) {
        // Allocated with no task named: this task's allocate landed and the crash came before its
        // owner_data was written, if MaaS says our user owns it. Anyone else's is refused.
        const me = await deps.maas.whoami(ctx.signal);
        if (m.owner !== me.username) {
          throw new OperatorError(
            `${host().hostname} is ${m.status_name} in MaaS by user ${m.owner ?? '(none)'}, not by this rackpilot (${me.username})`,
            {
              target: host().hostname,
              hint: 'someone else took this machine in MaaS: pick another host, or release it there once it is certain to be free',
            },
          );
        }
        ctx.log(`${host().hostname}: already allocated by ${me.username}`);
        ctx.log(ownerLine(ctx.taskId), 'info', 'maas');
        memo.remember(await deps.maas.setOwnerData(systemId(), owner, ctx.signal));
        return;
      }
      ctx.log(allocateLine(), 'info', 'maas');
      ctx.log(ownerLine(ctx.taskId), 'info', 'maas');
      memo.remember(await deps.maas.allocate(systemId(), undefined, ctx.signal, owner));
    },
    async undo(ctx) {
      const m = await memo.readMachine(systemId(), ctx.signal);
      // Nothing was written to disk yet when only allocated: release without erasing.
      if (m.status === NODE_STATUS.ALLOCATED) {
        ctx.log(releaseLine(systemId(), 'none'), 'info', 'maas');
        await deps.maas.release(systemId(), { erase: 'none' }, ctx.signal);
      }
    },
    plan: () => [allocateLine(), ownerLine('<task>')],
    undoPlan: () => [
      `MaaS GET machines/${systemId()}/`,
      `${releaseLine(systemId(), 'none')} (only while Allocated: nothing is on the disks yet)`,
    ],
  };
}

function instanceMacStep({ deps, hostId, inst, systemId, memo }: CreateScope): WorkflowStep<InstanceParams> {
  const macLine = () =>
    `MaaS PUT nodes/${systemId()}/interfaces/<${BOND_NAME} or the single NIC>/ mac_address=${inst().mac}`;
  return {
    title: "Set the NIC's MAC to the instance MAC",
    async verify(ctx) {
      const iface = await primaryInterface(memo, systemId(), ctx.signal);
      return iface.mac_address.toLowerCase() === inst().mac;
    },
    async run(ctx) {
      const iface = await primaryInterface(memo, systemId(), ctx.signal);
      ctx.log(`${iface.name}: ${iface.mac_address} → ${inst().mac}`);
      ctx.log(macLine(), 'info', 'maas');
      memo.interfacesChanged(systemId());
      await deps.maas.updateInterfaceMac(systemId(), iface.id, inst().mac, ctx.signal);
      return { interfaceId: iface.id, before: iface.mac_address };
    },
    undo: (ctx) => restoreNics(deps, hostId, ctx.log, ctx.signal, memo),
    undoPlan: () => restoreNicsPlan(systemId()),
    plan: () => [macLine()],
  };
}

/** What the deploy call sends, from the template and the instance's user data. */
function deployInput(deps: WorkflowDeps, inst: Instance, again = false): DeployInput {
  const tpl = templateById(deps, inst.templateId);
  return {
    distroSeries: tpl.image,
    ...(inst.userData === undefined ? {} : { userData: inst.userData }),
    comment: `rackpilot instance ${inst.name}${again ? ' (again)' : ''}`,
  };
}

function deployStep({ deps, hostId, inst, systemId, memo }: CreateScope): WorkflowStep<InstanceParams> {
  const deployLine = () => {
    const tpl = templateById(deps, inst().templateId);
    const ud = inst().userData;
    return (
      `MaaS POST machines/${systemId()}/?op=deploy distro_series=${tpl.image}` +
      (ud ? ` user_data=<base64 of ${Buffer.byteLength(ud)} bytes>` : '')
    );
  };
  return {
    title: 'Deploy the template image',
    async verify(ctx) {
      const m = await memo.machine(systemId(), ctx.signal);
      return m.status === NODE_STATUS.DEPLOYING || m.status === NODE_STATUS.DEPLOYED;
    },
    async run(ctx) {
      ctx.log(deployLine(), 'info', 'maas');
      memo.remember(await deps.maas.deploy(systemId(), deployInput(deps, inst()), ctx.signal));
    },
    async undo(ctx) {
      await releaseAndWait(deps, hostId, ctx.signal, ctx.log, ctx.progress, memo);
    },
    plan: () => [deployLine()],
    undoPlan: () => releasePlan(deps, hostId),
    ...(deps.settings.eraseMode !== 'none' && { undoDestroys: () => eraseText(deps, hostId) }),
  };
}

function waitDeployedStep({ deps, inst, host, systemId, memo }: CreateScope): WorkflowStep<InstanceParams> {
  return {
    title: 'Wait for MaaS to report Deployed',
    timeoutMs: deps.settings.deployTimeoutMs + 60_000,
    async verify(ctx) {
      return (await memo.machine(systemId(), ctx.signal)).status === NODE_STATUS.DEPLOYED;
    },
    async run(ctx) {
      // A failed deployment reset to Ready (the doctor's fix) and resumed: deploy it again first.
      const now = await memo.machine(systemId(), ctx.signal);
      if (now.status === NODE_STATUS.READY || now.status === NODE_STATUS.ALLOCATED) {
        const tpl = templateById(deps, inst().templateId);
        ctx.log(
          `MaaS reports ${now.status_name}, not Deploying: deploying ${tpl.image} again`,
          'warn',
          'maas',
        );
        await deps.maas.deploy(systemId(), deployInput(deps, inst(), true), ctx.signal);
      }
      const deployed = await waitForStatus(deps, {
        systemId: systemId(),
        hostname: host().hostname,
        want: [NODE_STATUS.DEPLOYED],
        via: [NODE_STATUS.DEPLOYING, NODE_STATUS.ALLOCATED],
        timeoutMs: deps.settings.deployTimeoutMs,
        what: 'deploying',
        operation: 'deploy',
        signal: ctx.signal,
        log: ctx.log,
        progress: ctx.progress,
      });
      memo.remember(deployed);
    },
    plan: () => [
      `MaaS GET machines/${systemId()}/ and events/?op=query&id=${systemId()}&after=… until Deployed`,
    ],
  };
}

function tenantVlansStep({ deps, hostId, inst }: CreateScope): WorkflowStep<InstanceParams> {
  return portsStep(deps, hostId, {
    title: 'Tenant VLANs on the ToR ports',
    ops: (nic) => {
      const { access, tagged } = instanceVlans(deps, inst());
      return [
        { port: nic.port, op: 'access', vlan: access },
        ...tagged.map((vlan) => ({ port: nic.port, op: 'tagAdd' as const, vlan })),
      ];
    },
    expect: () => {
      const { access, tagged } = instanceVlans(deps, inst());
      return { untagged: access, tagged };
    },
    undoOps: (nic) => [{ port: nic.port, op: 'resetPxe' }],
  });
}

function confirmPowerOnStep({ deps, host }: CreateScope): WorkflowStep<InstanceParams> {
  return {
    title: 'Confirm the host is powered on',
    async run(ctx) {
      if (!(await waitForPower(deps, host(), 'on', deps.settings.powerOnTimeoutMs, ctx.signal))) {
        throw new OperatorError(`${host().hostname} did not report power on`, {
          target: host().hostname,
          hint: 'check the BMC event log; resume to retry',
        });
      }
    },
    plan: () => [
      host().ipmi.protocol === 'redfish'
        ? `${bmcLabel(host())}: ${powerReadText(host())} until power is on`
        : 'IPMI Get Chassis Status until power is on',
    ],
  };
}

const ALLOCATED: readonly number[] = [NODE_STATUS.ALLOCATED, NODE_STATUS.DEPLOYING, NODE_STATUS.DEPLOYED];

/** Whether MaaS holds the machine for its owner: Allocated, or already Deploying/Deployed. */
export function isAllocated(status: number): boolean {
  return ALLOCATED.includes(status);
}

/**
 * MaaS names images "ubuntu/jammy", "centos/centos70" or "centos/7"; templates (the seed's URL
 * field) say "ubuntu/jammy", "jammy", "centos7" or "centos70". All of those name the same image.
 */
export function imageMatches(resource: string, image: string): boolean {
  const r = resource.toLowerCase();
  const i = image.toLowerCase();
  if (r === i) return true;
  const slash = r.indexOf('/');
  if (slash < 0) return false;
  const os = r.slice(0, slash);
  const series = r.slice(slash + 1);
  return series === i || `${os}${series}` === i || series === `${i}0` || `${os}${series}` === `${i}0`;
}

/** The interface that carries the instance: the bond when there is one, else the first ToR NIC. */
export async function primaryInterface(
  maas: Pick<WorkflowDeps['maas'], 'listInterfaces'>,
  systemId: string,
  signal?: AbortSignal,
): Promise<MaasInterface> {
  const ifaces = await maas.listInterfaces(systemId, signal);
  const bond = ifaces.find((i) => i.type === 'bond' && i.name === BOND_NAME);
  if (bond) return bond;
  const physical = ifaces.filter((i) => i.type === 'physical');
  const first = physical[0];
  if (!first) throw new OperatorError(`MaaS machine ${systemId} has no physical interface`);
  return first;
}

function bondOrSingleNicStep({
  deps,
  hostId,
  host,
  systemId,
  memo,
}: CreateScope): WorkflowStep<InstanceParams> {
  const torMacs = () => cabledNics(deps, host()).map((n) => n.mac.toLowerCase());
  return {
    title: 'Bond the ToR NICs (active-backup) or use the single NIC',
    async verify(ctx) {
      if (torMacs().length < 2) return true;
      const ifaces = await memo.listInterfaces(systemId(), ctx.signal);
      return ifaces.some((i) => i.type === 'bond' && i.name === BOND_NAME);
    },
    async run(ctx) {
      const macs = torMacs();
      if (macs.length < 2) {
        ctx.log(
          macs[0] ? `one ToR NIC (${macs[0]}): no bond` : "no ToR NIC known: no bond, MaaS's first NIC",
        );
        return { bonded: false, interfaceId: null };
      }
      const ifaces = await memo.listInterfaces(systemId(), ctx.signal);
      const parents = ifaces.filter(
        (i) => i.type === 'physical' && macs.includes(i.mac_address.toLowerCase()),
      );
      if (parents.length < 2) {
        throw new OperatorError(
          `${host().hostname}: MaaS knows ${parents.length} of the ${macs.length} ToR NICs in the rack file`,
          {
            target: host().hostname,
            hint: 'recommission the machine in MaaS so it discovers all NICs, or fix the rack file',
          },
        );
      }
      ctx.log(`bond ${BOND_NAME} over ${parents.map((p) => p.name).join(', ')} (active-backup)`);
      ctx.log(bondLine(macs), 'info', 'maas');
      memo.interfacesChanged(systemId());
      const bond = await deps.maas.createBond(
        systemId(),
        {
          name: BOND_NAME,
          parents: parents.map((p) => p.id),
          bondMode: 'active-backup',
          macAddress: parents[0]!.mac_address,
          miimon: 100,
        },
        ctx.signal,
      );
      return { bonded: true, interfaceId: bond.id };
    },
    // From MaaS's state, not the output: a crash between create_bond and the journal leaves none.
    undo: (ctx) => restoreNics(deps, hostId, ctx.log, ctx.signal, memo),
    undoPlan: () => restoreNicsPlan(systemId()),
    plan() {
      const macs = torMacs();
      if (macs.length < 2) return [`MaaS: no bond, single NIC ${macs[0] ?? "(MaaS's first physical NIC)"}`];
      return [bondLine(macs)];
    },
  };
  function bondLine(macs: string[]): string {
    return (
      `MaaS POST nodes/${systemId()}/interfaces/?op=create_bond name=${BOND_NAME} bond_mode=active-backup bond_miimon=100 ` +
      `parents=<ids of ${macs.join(', ')}>`
    );
  }
}
