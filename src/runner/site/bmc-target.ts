/**
 * Which BMC a host has and how to reach it, whatever its protocol: the one description the
 * workflows, the power sweep, the doctor, the details view and the CLI hand to the BMC service.
 */
import { resolveBmcPassword } from '../../config/rack/passwords.ts';
import type { RackBmc } from '../../config/rack/types.ts';
import type { Host } from '../../protocol/records.ts';

export type { BmcTarget } from '../../gear/bmc/target.ts';
import type { BmcTarget } from '../../gear/bmc/target.ts';

/** The BMC fields of a store host record or a rack-file entry, with the password resolved. */
export interface BmcFields {
  protocol?: 'ipmi' | 'redfish' | undefined;
  address: string;
  port?: number | undefined;
  username: string;
  password: string;
  scheme?: 'https' | 'http' | undefined;
  certSha256?: string | undefined;
  systemId?: string | undefined;
  /** IPMI only: the cipher suite and session privilege MaaS uses (defaults: 3, administrator). */
  cipherSuite?: 3 | 17 | undefined;
  privilege?: 'operator' | 'administrator' | undefined;
}

function defaultPort(f: Pick<BmcFields, 'protocol' | 'scheme'>): number {
  if (f.protocol !== 'redfish') return 623;
  return f.scheme === 'http' ? 80 : 443;
}

/** `host:port` as an operator writes it, per protocol: `IPMI 10.0.0.5`, `Redfish https://10.0.0.5`. */
export function bmcAddressLabel(f: Pick<BmcFields, 'protocol' | 'address' | 'port' | 'scheme'>): string {
  if (f.protocol === 'redfish') {
    const scheme = f.scheme ?? 'https';
    const host = f.address.includes(':') ? `[${f.address}]` : f.address;
    const port = f.port !== undefined && f.port !== defaultPort(f) ? `:${f.port}` : '';
    return `Redfish ${scheme}://${host}${port}`;
  }
  return `IPMI ${f.address}${f.port ? `:${f.port}` : ''}`;
}

export function bmcTarget(f: BmcFields, hostname: string): BmcTarget {
  const port = f.port ?? defaultPort(f);
  const name = `BMC of ${hostname}`;
  const key = `${f.protocol ?? 'ipmi'}:${f.address.toLowerCase()}:${port}`;
  if (f.protocol === 'redfish') {
    return {
      protocol: 'redfish',
      name,
      key,
      redfish: {
        host: f.address,
        port,
        scheme: f.scheme ?? 'https',
        username: f.username,
        password: f.password,
        ...(f.certSha256 !== undefined && { certSha256: f.certSha256 }),
        ...(f.systemId !== undefined && { systemId: f.systemId }),
        name,
      },
    };
  }
  return {
    protocol: 'ipmi',
    name,
    key,
    ipmi: {
      host: f.address,
      ...(f.port !== undefined && { port: f.port }),
      username: f.username,
      password: f.password,
      ...(f.cipherSuite !== undefined && { cipherSuite: f.cipherSuite }),
      ...(f.privilege !== undefined && { privilege: f.privilege }),
      name: `${name} (${f.address}${f.port ? `:${f.port}` : ''})`,
    },
  };
}

export function bmcTargetForHost(host: Readonly<Host>): BmcTarget {
  return bmcTarget(host.ipmi, host.hostname);
}

/** The store record's BMC fields from a rack-file entry (what `host add` keeps). */
export function hostBmcFields(
  bmc: RackBmc,
): Pick<BmcFields, 'protocol' | 'scheme' | 'certSha256' | 'systemId'> {
  if (bmc.protocol !== 'redfish') return {};
  return {
    protocol: 'redfish',
    scheme: bmc.scheme ?? 'https',
    ...(bmc.certSha256 !== undefined && { certSha256: bmc.certSha256 }),
    ...(bmc.systemId !== undefined && { systemId: bmc.systemId }),
  };
}

/**
 * The rack file's BMC of a host as a target, when the file gives a user and a password (inline or
 * through passwordEnv); undefined otherwise. Throws when passwordEnv names an unset variable.
 */
export function rackBmcTarget(
  bmc: RackBmc | undefined,
  hostname: string,
  env: Readonly<Record<string, string | undefined>>,
): BmcTarget | undefined {
  if (!bmc?.username) return undefined;
  const password = resolveBmcPassword(bmc, hostname, env);
  if (password === undefined) return undefined;
  return bmcTarget({ ...bmc, username: bmc.username, password }, hostname);
}
