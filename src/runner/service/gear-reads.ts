import { switchTargetInput } from '../../config/rack/switch-target.ts';
import { parseSwitchTarget, type SwitchTargetInput } from '../../gear/switch/target.ts';
import type { SwitchInfo } from '../../protocol/switch-reads.ts';
import type { Params, Result } from '../../protocol/messages.ts';
import { describeError, OperatorError } from '../../util/errors.ts';
import type { WaitBoard } from '../waits.ts';
import { bmcOrigin, resolveBmc } from '../site/bmc-resolve.ts';
import { raceSignal } from '../../util/deadline.ts';
import {
  stillWaitingError,
  storeHost,
  type Handlers,
  type RequestContext,
  type ServiceContext,
} from './context.ts';
import { LIVE_LOCK_WAIT_MS, withSwitchLock } from './switch-lock.ts';

/**
 * The reads commands make of the gear (`rackpilot switch show|mac|plan --live`, `rackpilot ipmi`
 * and `power … status`), done here so a command never opens an SSH or IPMI session of its own:
 * switch reads go through the switch service's per-switch queue under the switch's step lock,
 * BMC reads through the runner's BMC sessions. Each read is bounded by what the command has left
 * of its deadline and, past it, says what it is still waiting for.
 */
export function gearReadHandlers({ site, wb }: ServiceContext, waits: WaitBoard): Handlers {
  const switchTarget = (name: string): SwitchTargetInput => {
    const sw = site.topology.switch(name);
    if (!sw)
      throw new OperatorError(`no switch ${name} in the rack file`, {
        target: name,
        hint: '`rackpilot switch show SWITCH` takes a switch name from the rack file',
      });
    return switchTargetInput(sw, site.env);
  };

  /** One switch read: under the lock, through the queue, within the command's deadline. */
  const switchRead = <T>(
    name: string,
    what: string,
    request: RequestContext | undefined,
    read: (target: SwitchTargetInput, signal: AbortSignal | undefined) => Promise<T>,
  ): Promise<T> => {
    const target = switchTarget(name);
    const deadline = request?.deadline;
    const label = `switch ${name} (${what})`;
    const lockWaitMs = Math.max(1, Math.min(LIVE_LOCK_WAIT_MS, deadline?.remainingMs() ?? LIVE_LOCK_WAIT_MS));
    return waits.track(label, async () => {
      try {
        return await withSwitchLock(wb, name, `${what} for a command`, lockWaitMs, () =>
          read(target, deadline?.signal),
        );
      } catch (err) {
        if (deadline?.expired) throw stillWaitingError(deadline, label);
        throw err;
      }
    });
  };

  const describeSwitch = (name: string): SwitchInfo => {
    try {
      const t = parseSwitchTarget(switchTarget(name));
      return {
        name: t.name,
        dialect: t.dialect,
        pxeVlan: t.pxeVlan,
        ...(t.portPrefix !== undefined && { portPrefix: t.portPrefix }),
        ...(t.allowedVlans !== undefined && { allowedVlans: t.allowedVlans }),
      };
    } catch (err) {
      return { name, invalid: describeError(err) };
    }
  };

  return {
    'switch.list': async () => ({
      switches: site.topology.switches().map((sw) => describeSwitch(sw.name)),
    }),
    'switch.port': async ({ switch: name, port }, _caller, request) =>
      switchRead(name, 'show port', request, (t, signal) =>
        site.switches.showPort(t, port, { ...(signal && { signal }) }),
      ),
    'switch.vlans': async ({ switch: name }, _caller, request) => ({
      vlans: await switchRead(name, 'show vlan', request, (t, signal) =>
        site.switches.showVlans(t, { ...(signal && { signal }) }),
      ),
    }),
    'switch.mac': async ({ switch: name, mac }, _caller, request) => ({
      entry: await switchRead(name, 'MAC table', request, (t, signal) =>
        site.switches.findMac(t, mac, { ...(signal && { signal }) }),
      ),
    }),
    'host.bmcRead': async (p, _caller, request) => readHostBmc({ site, wb }, waits, p, request),
  };
}

/** A BMC read for a command (power, boot device, device id), from whichever source knows the BMC. */
async function readHostBmc(
  { site, wb }: ServiceContext,
  waits: WaitBoard,
  { host, read, ipmiOnly }: Params<'host.bmcRead'>,
  request: RequestContext | undefined,
): Promise<Result<'host.bmcRead'>> {
  const rackBmc = site.topology.host(host)?.bmc;
  if (ipmiOnly && rackBmc?.protocol === 'redfish')
    throw new OperatorError(`${host} has a Redfish BMC (rack file), not IPMI`, {
      target: host,
      hint: `use \`rackpilot power ${host} status\` and \`rackpilot boot ${host} pxe\`, which speak both`,
    });
  // A store host's BMC, else the rack file's entry, else MaaS's power parameters (IPMI or Redfish).
  const rec = wb.store.hosts.find((x) => x.hostname === host || x.id === host);
  const deadline = request?.deadline;
  const found = await waits.track(`the BMC details of ${host}`, () =>
    resolveBmc(site, rec, host.toLowerCase(), deadline?.signal),
  );
  if (!found) storeHost(wb, host);
  if (!found || 'error' in found)
    throw new OperatorError(
      `${host}: BMC ${found ? `(from ${found.source}) ` : ''}${found?.error ?? 'unknown'}`,
      {
        target: host,
        hint: 'give the host a bmc entry in the rack file, or fix its power parameters in MaaS',
      },
    );
  const { target } = found;
  const origin = bmcOrigin(found);
  const label = `the BMC of ${host}`;
  const bounded = async <T>(work: Promise<T>): Promise<T> => {
    try {
      // A BMC request already sent runs to its own bound; the answer leaves at the deadline.
      return await raceSignal(
        waits.track(label, () => work),
        deadline?.signal,
      );
    } catch (err) {
      if (deadline?.expired) throw stillWaitingError(deadline, label);
      throw err;
    }
  };
  const signal = deadline?.signal;
  if (read === 'power') return { read, origin, power: await bounded(site.bmc.powerStatus(target, signal)) };
  if (read === 'bootdev') return { read, origin, ...(await bounded(site.bmc.getBootDevice(target, signal))) };
  if (target.protocol === 'redfish')
    throw new OperatorError(`${host} has a Redfish BMC: Get Device ID is an IPMI command`, {
      target: host,
      hint: `read its power and boot override with \`rackpilot power ${host} status\``,
    });
  return { read, origin, ...(await bounded(site.ipmi.deviceId(target.ipmi, signal))) };
}
