import { switchTypeInfo } from '../config/rack/ports.ts';
import type { RackFileInput } from '../config/rack/schema.ts';
import type { LabSpec } from './spec.ts';

/**
 * The rack file of a running lab: the spec's cabling, with the loopback ports and host keys the
 * lab peers were given. Passwords are not written into it: each is named by an environment variable
 * (labEnv gives the values), exactly as an operator is advised to do with a real rack file.
 */

export interface LabSwitchEndpoint {
  name: string;
  host: string;
  port: number;
  hostKeyFingerprint: string;
}

export interface LabBmcEndpoint {
  hostname: string;
  host: string;
  port: number;
}

function envSuffix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

export function labSwitchPasswordEnv(switchName: string): string {
  return `RACKPILOT_SWITCH_PASS_${envSuffix(switchName)}`;
}

export function labBmcPasswordEnv(hostname: string): string {
  return `RACKPILOT_BMC_PASS_${envSuffix(hostname)}`;
}

/** ssh2 and some tools print the base64 with `=` padding; OpenSSH (and the rack file) do not. */
function opensshFingerprint(fp: string): string {
  return fp.startsWith('SHA256:') ? fp.replace(/=+$/, '') : fp;
}

export interface LabRedfishBmcEndpoint extends LabBmcEndpoint {
  scheme: 'https' | 'http';
  certSha256?: string;
}

export function labRackFile(
  spec: LabSpec,
  switches: readonly LabSwitchEndpoint[],
  bmcs: readonly LabBmcEndpoint[],
  redfish: readonly LabRedfishBmcEndpoint[] = [],
): RackFileInput {
  const endpoint = new Map(switches.map((s) => [s.name, s]));
  const bmcOf = new Map(bmcs.map((b) => [b.hostname, b]));
  const redfishOf = new Map(redfish.map((b) => [b.hostname, b]));
  const racks = spec.switches.map((sw) => {
    const ep = endpoint.get(sw.name);
    if (!ep) throw new Error(`lab switch ${sw.name} has no SSH endpoint`);
    const hosts = spec.hosts
      .filter((h) => h.nics.some((n) => n.switch === sw.name))
      .flatMap((h) => {
        const bmc = bmcOf.get(h.hostname);
        const rf = redfishOf.get(h.hostname);
        return h.nics
          .filter((n) => n.switch === sw.name)
          .map((nic, i) => ({
            mac: nic.mac,
            port: nic.port,
            hostname: h.hostname,
            // A host's BMC is written once, on its first NIC entry.
            // A Redfish BMC: its certificate pinned, its system left for discovery.
            ...(rf &&
              i === 0 && {
                bmc: {
                  protocol: 'redfish' as const,
                  address: rf.host,
                  port: rf.port,
                  scheme: rf.scheme,
                  username: h.bmc.user,
                  passwordEnv: labBmcPasswordEnv(h.hostname),
                  ...(rf.certSha256 && { certSha256: rf.certSha256 }),
                },
              }),
            ...(bmc &&
              i === 0 && {
                bmc: {
                  address: bmc.host,
                  port: bmc.port,
                  username: h.bmc.user,
                  passwordEnv: labBmcPasswordEnv(h.hostname),
                },
              }),
          }));
      });
    return {
      name: `r${String(sw.rack + 1).padStart(2, '0')}`,
      l2Switch: {
        name: sw.name,
        ip: ep.host,
        sshPort: ep.port,
        username: sw.username,
        passwordEnv: labSwitchPasswordEnv(sw.name),
        type: switchTypeInfo(sw.dialect).name,
        hostKey: opensshFingerprint(ep.hostKeyFingerprint),
        pxeVlan: sw.pxeVlan,
      },
      hosts,
    };
  });
  return { racks };
}

/** The environment variables the lab's rack file refers to, with the spec's passwords. */
export function labEnv(spec: LabSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const sw of spec.switches) env[labSwitchPasswordEnv(sw.name)] = sw.password;
  for (const h of spec.hosts) env[labBmcPasswordEnv(h.hostname)] = h.bmc.password;
  return env;
}
