import { bootDeviceLabel } from '../../gear/ipmi/commands.ts';
import { bmcOrigin, resolveBmc } from '../site/bmc-resolve.ts';
import { raceSignal } from '../../util/deadline.ts';
import { WaitBoard } from '../waits.ts';
import { switchPort } from '../site/adapters.ts';
import type { Site } from '../site/open.ts';
import type { Workbench } from '../site/workbench.ts';
import { describeError } from '../../util/errors.ts';
import type { HostLive, PortReading } from '../../protocol/messages.ts';
import type { Handlers, RequestContext, ServiceContext } from './context.ts';
import { LIVE_LOCK_WAIT_MS, withSwitchLock } from './switch-lock.ts';

/**
 * The details view's live read, done by the runner: each ToR switch is read under the same step
 * lock a task's switch step takes (`switch:<name>`, in etcd too when jump hosts share the site)
 * and through the switch service's per-switch queue, so a read never interleaves with a batch of
 * changes and a dashboard never opens a session of its own to the gear.
 */

export { LIVE_LOCK_WAIT_MS };

const firstLine = (err: unknown) => describeError(err).split('\n')[0]!;

export async function readHostLive(
  site: Site,
  wb: Workbench,
  hostname: string,
  macs: readonly string[],
  lockWaitMs = LIVE_LOCK_WAIT_MS,
  signal?: AbortSignal,
): Promise<HostLive> {
  const rec = wb.store.hosts.find((h) => h.hostname === hostname);
  const rackHost = site.topology.host(hostname);
  const nics = site.topology.nicsForMacs([
    ...macs,
    ...(rec ? [rec.mac, ...rec.macs] : []),
    ...(rackHost?.nics.map((n) => n.mac) ?? []),
  ]);
  const switches = switchPort(site.switches, site.topology, site.env);
  const bySwitch = new Map<string, typeof nics>();
  for (const n of nics) bySwitch.set(n.switch, [...(bySwitch.get(n.switch) ?? []), n]);

  const ports = Promise.all(
    [...bySwitch].map(async ([name, group]): Promise<PortReading[]> => {
      const pxe = site.topology.switch(name)?.pxeVlan;
      const base = (port: string) => ({ switch: name, port, ...(pxe !== undefined && { pxeVlan: pxe }) });
      try {
        return await withSwitchLock(wb, name, `live read of ${hostname}`, lockWaitMs, () =>
          Promise.all(
            group.map(async (n): Promise<PortReading> => {
              try {
                const m = await switches.showPort(name, n.port, signal);
                return { ...base(n.port), untagged: m.untagged, tagged: m.tagged };
              } catch (err) {
                return { ...base(n.port), error: firstLine(err) };
              }
            }),
          ),
        );
      } catch (err) {
        const why = `not read: ${(err as Error).message}`;
        return group.map((n) => ({ ...base(n.port), error: why }));
      }
    }),
  );

  const bmc = (async (): Promise<HostLive['bmc']> => {
    const found = await resolveBmc(site, rec, hostname, signal);
    if (!found) return undefined;
    if ('error' in found) return { error: found.error, source: found.source };
    const { target } = found;
    try {
      const [power, boot] = await raceSignal(
        Promise.all([site.bmc.powerStatus(target, signal), site.bmc.getBootDevice(target, signal)]),
        signal,
      );
      return {
        power,
        bootDevice: boot.valid ? bootDeviceLabel(boot.device) : 'BIOS order',
        persistent: boot.valid && boot.persistent,
        origin: bmcOrigin(found),
      };
    } catch (err) {
      return { error: firstLine(err), ...(found.source && { source: found.source }) };
    }
  })();

  const [p, b] = await Promise.all([ports, bmc]);
  return { ports: p.flat(), ...(b && { bmc: b }), readAt: Date.now() };
}

export function liveReadHandlers({ site, wb }: ServiceContext, waits: WaitBoard = new WaitBoard()): Handlers {
  return {
    // Bounded by the client's deadline when it sent one: what is not read by then says so.
    'host.live': async (
      { host, macs }: { host: string; macs?: string[] },
      _caller,
      request?: RequestContext,
    ) =>
      waits.track(`the live read of ${host} (switch ports, BMC)`, () =>
        readHostLive(site, wb, host, macs ?? [], LIVE_LOCK_WAIT_MS, request?.deadline?.signal),
      ),
  };
}
