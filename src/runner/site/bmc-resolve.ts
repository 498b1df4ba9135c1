/**
 * Which BMC to read for a host, and from where its details came: the store's record, else the
 * rack file's `bmc`, else MaaS's power parameters for the machine of that name (an admin key is
 * needed). Every screen that shows the BMC names that source.
 */
import { describeError } from '../../util/errors.ts';
import type { BmcSource, Host } from '../../protocol/records.ts';
import type { Site } from './open.ts';
import {
  bmcAddressLabel,
  bmcTarget,
  bmcTargetForHost,
  hostBmcFields,
  rackBmcTarget,
  type BmcFields,
  type BmcTarget,
} from './bmc-target.ts';
import { resolveBmcPassword } from '../../config/rack/passwords.ts';
import { bmcFromMaasPower } from './maas-bmc.ts';

export interface ResolvedBmc {
  target: BmcTarget;
  /** What a store record keeps of it (the password included: this never leaves the runner). */
  fields: BmcFields;
  /** `IPMI 10.0.0.5:623`, `Redfish https://10.0.0.6`: never a credential. */
  label: string;
  /** Unknown for store records older than the field. */
  source: BmcSource | undefined;
}

/** undefined: the host has no BMC anywhere rackpilot looks; `error`: one was found but cannot be used. */
export type BmcResolution = ResolvedBmc | { error: string; source: BmcSource } | undefined;

/** How long MaaS's answer for a host is reused (the details view reads every few seconds). */
const MAAS_TTL_MS = 60_000;

interface Cached {
  at: number;
  value: BmcResolution;
}
const fromMaas = new WeakMap<Site, Map<string, Cached>>();

const firstLine = (err: unknown) => describeError(err).split('\n')[0]!;

export async function resolveBmc(
  site: Site,
  rec: Host | undefined,
  hostname: string,
  signal?: AbortSignal,
): Promise<BmcResolution> {
  if (rec) {
    const target = bmcTargetForHost(rec);
    return { target, fields: rec.ipmi, label: bmcAddressLabel(rec.ipmi), source: rec.ipmi.source };
  }
  const bmc = site.topology.host(hostname)?.bmc;
  if (bmc) {
    const target = rackBmcTarget(bmc, hostname, site.env);
    if (!target)
      return { error: 'no BMC user or password in the rack file or environment', source: 'rack file' };
    const fields = {
      address: bmc.address,
      port: bmc.port,
      username: bmc.username ?? '',
      password: resolveBmcPassword(bmc, hostname, site.env) ?? '',
      ...hostBmcFields(bmc),
    };
    return { target, fields, label: bmcAddressLabel(bmc), source: 'rack file' };
  }
  return maasBmc(site, hostname, signal);
}

/** MaaS's power parameters of the machine named `hostname`, mapped; reused for a minute. */
export async function maasBmc(site: Site, hostname: string, signal?: AbortSignal): Promise<BmcResolution> {
  let cache = fromMaas.get(site);
  if (!cache) fromMaas.set(site, (cache = new Map()));
  const hit = cache.get(hostname);
  if (hit && Date.now() - hit.at < MAAS_TTL_MS) return hit.value;
  const value = await readMaasBmc(site, hostname, signal);
  // A failed read (MaaS slow, the deadline) is not remembered: the next read asks again.
  if (!(value && 'error' in value && value.error.startsWith('not read')))
    cache.set(hostname, { at: Date.now(), value });
  return value;
}

async function readMaasBmc(site: Site, hostname: string, signal?: AbortSignal): Promise<BmcResolution> {
  let machine;
  try {
    machine = (await site.maas.listMachines({ hostname: [hostname] }, signal)).find(
      (m) => m.hostname === hostname,
    );
  } catch (err) {
    return { error: `not read from MaaS: ${firstLine(err)}`, source: 'MaaS' };
  }
  if (!machine) return undefined;
  let params: Record<string, unknown>;
  try {
    params = await site.maas.powerParameters(machine.system_id, signal);
  } catch (err) {
    return {
      error: `not read from MaaS's power parameters (they need an admin key): ${firstLine(err)}`,
      source: 'MaaS',
    };
  }
  const mapped = bmcFromMaasPower(machine.power_type, params);
  if (!mapped.ok) return { error: mapped.reason, source: 'MaaS' };
  return {
    target: bmcTarget(mapped.fields, hostname),
    fields: mapped.fields,
    label: bmcAddressLabel(mapped.fields),
    source: 'MaaS',
  };
}

/** The BMCs MaaS gave for hosts the rack file has none for, as last read (the power sweep's extra). */
export function maasBmcsKnown(site: Site): { hostname: string; target: BmcTarget }[] {
  const out: { hostname: string; target: BmcTarget }[] = [];
  for (const [hostname, c] of fromMaas.get(site) ?? [])
    if (c.value && 'target' in c.value) out.push({ hostname, target: c.value.target });
  return out;
}

/** How a screen names a BMC: `IPMI 10.0.0.5:623 (from MaaS)`. */
export function bmcOrigin(r: ResolvedBmc): { label: string; source?: BmcSource } {
  return { label: r.label, ...(r.source && { source: r.source }) };
}
