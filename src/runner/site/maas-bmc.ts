/**
 * A host's BMC from MaaS's power parameters (`GET machines/{id}/?op=power_parameters`), for hosts
 * the rack file gives no `bmc`. The field names and values are those of MaaS's own power drivers
 * (provisioningserver/drivers/power/ipmi.py and redfish.py). Pure: the parameters go in, the BMC
 * fields (or why they cannot be used) come out; the password is registered as a secret at once.
 */
import { registerSecret } from '../../util/redact.ts';
import type { BmcFields } from './bmc-target.ts';
export type { BmcSource } from '../../protocol/records.ts';

export type MaasBmc = { ok: true; fields: BmcFields } | { ok: false; reason: string };

const SYSTEM_ID = /^[A-Za-z0-9._~-]{1,64}$/;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The BMC MaaS drives for a machine of `powerType` ('ipmi' or 'redfish'), from its power parameters. */
export function bmcFromMaasPower(powerType: string, params: Readonly<Record<string, unknown>>): MaasBmc {
  const password = text(params['power_pass']);
  // Registered before anything can fail: an error below must not carry it either.
  if (password) registerSecret(password);
  if (powerType === 'ipmi') return ipmiFrom(params, password);
  if (powerType === 'redfish') return redfishFrom(params, password);
  return {
    ok: false,
    reason: `MaaS drives its power with "${powerType}": rackpilot speaks to IPMI and Redfish BMCs only`,
  };
}

function ipmiFrom(p: Readonly<Record<string, unknown>>, password: string | undefined): MaasBmc {
  const driver = text(p['power_driver']) ?? '';
  if (driver === 'LAN')
    return {
      ok: false,
      reason: 'MaaS uses IPMI 1.5 (power_driver LAN): rackpilot speaks IPMI 2.0 (LAN_2_0)',
    };
  const address = text(p['power_address']) ?? '';
  // MaaS may find an empty address by ARP from mac_address; rackpilot does not guess.
  if (!address) return { ok: false, reason: 'MaaS has no power_address for it' };
  const m = /^(?:\[(?<v6>[0-9A-Fa-f:.]+)\]|(?<host>[A-Za-z0-9.-]+))(?::(?<port>\d{1,5}))?$/.exec(address);
  const port = m?.groups?.['port'] !== undefined ? Number(m.groups['port']) : undefined;
  if (!m?.groups || (port !== undefined && (port < 1 || port > 65535)))
    return {
      ok: false,
      reason: `MaaS's power_address ${JSON.stringify(address)} is not a host or host:port`,
    };
  if (password === undefined) return { ok: false, reason: 'MaaS has no power_pass for it' };
  if (text(p['k_g']))
    return { ok: false, reason: 'MaaS sets a K_g BMC key for it, which rackpilot does not use' };
  const suiteText = text(p['cipher_suite_id']) ?? '';
  // freeipmi's default, which MaaS leaves to it when the field is empty, is suite 3.
  const cipherSuite = suiteText === '' ? 3 : Number(suiteText);
  if (cipherSuite !== 3 && cipherSuite !== 17)
    return {
      ok: false,
      reason: `MaaS uses cipher suite ${suiteText}: rackpilot speaks suites 3 and 17`,
    };
  const level = (text(p['privilege_level']) ?? '').toUpperCase();
  if (level === 'USER')
    return {
      ok: false,
      reason: 'MaaS logs in at privilege USER: power and boot changes need OPERATOR or ADMIN',
    };
  // MaaS's default: "All MAAS operations can be done as operator".
  const privilege = level === 'ADMIN' ? 'administrator' : 'operator';
  return {
    ok: true,
    fields: {
      protocol: 'ipmi',
      address: m.groups['v6'] ?? m.groups['host']!,
      ...(port !== undefined && { port }),
      username: text(p['power_user']) ?? '',
      password,
      cipherSuite,
      privilege,
    },
  };
}

function redfishFrom(p: Readonly<Record<string, unknown>>, password: string | undefined): MaasBmc {
  const raw = text(p['power_address']) ?? '';
  if (!raw) return { ok: false, reason: 'MaaS has no power_address for it' };
  let url: URL;
  try {
    // MaaS's redfish driver puts https:// before an address without a scheme.
    url = new URL(/^https?:\/\//i.test(raw) ? raw : `https://${raw}`);
  } catch {
    return { ok: false, reason: `MaaS's power_address ${JSON.stringify(raw)} is not a Redfish address` };
  }
  if (url.pathname !== '/' || url.search || url.username || url.password)
    return {
      ok: false,
      reason: `MaaS's power_address ${JSON.stringify(raw)} is not scheme://host[:port]`,
    };
  const username = text(p['power_user']);
  if (!username) return { ok: false, reason: 'MaaS has no power_user for it' };
  if (!password) return { ok: false, reason: 'MaaS has no power_pass for it' };
  const nodeId = text(p['node_id']) ?? '';
  if (nodeId && !SYSTEM_ID.test(nodeId))
    return { ok: false, reason: `MaaS's node_id ${JSON.stringify(nodeId)} is not a Redfish system id` };
  const scheme = url.protocol === 'http:' ? 'http' : 'https';
  return {
    ok: true,
    fields: {
      protocol: 'redfish',
      address: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : scheme === 'http' ? 80 : 443,
      scheme,
      username,
      password,
      ...(nodeId && { systemId: nodeId }),
    },
  };
}
