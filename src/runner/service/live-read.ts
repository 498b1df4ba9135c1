import { bootDeviceLabel } from '../../gear/ipmi/commands.ts';
import { bmcTarget } from '../doctor/gather.ts';
import { switchPort } from '../site/adapters.ts';
import type { Site } from '../site/open.ts';
import type { Workbench } from '../site/workbench.ts';
import { describeError } from '../../util/errors.ts';
import type { HostLive, PortReading } from '../../protocol/messages.ts';
import type { Handlers, ServiceContext } from './context.ts';
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
                const m = await switches.showPort(name, n.port);
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
    if (!rec && !rackHost?.bmc?.username) return undefined;
    const target = bmcTarget({ site, wb }, rec, hostname);
    if (!target) return { error: 'no BMC password in the rack file or environment' };
    try {
      const [power, boot] = await Promise.all([site.bmc.powerStatus(target), site.bmc.getBootDevice(target)]);
      return {
        power,
        bootDevice: boot.valid ? bootDeviceLabel(boot.device) : 'BIOS order',
        persistent: boot.valid && boot.persistent,
      };
    } catch (err) {
      return { error: firstLine(err) };
    }
  })();

  const [p, b] = await Promise.all([ports, bmc]);
  return { ports: p.flat(), ...(b && { bmc: b }), readAt: Date.now() };
}

export function liveReadHandlers({ site, wb }: ServiceContext): Handlers {
  return {
    'host.live': async ({ host, macs }: { host: string; macs?: string[] }) =>
      readHostLive(site, wb, host, macs ?? []),
  };
}
