import { isIP } from 'node:net';
import { z } from 'zod';
import { normaliseMac, unusableMacReason } from './mac.ts';
import { quote } from './quote.ts';
import { isVlanId, parseVlanList, VLAN_MAX, VLAN_MIN } from './vlans.ts';

/**
 * Field-level shape of the rack file. Rules that span fields (duplicates, port names that depend
 * on the switch type, password XOR passwordEnv) live in checks.ts, which runs even when these
 * fail so one pass reports every problem.
 */

/** RFC 1123 host label: what MaaS accepts as a hostname. */
export const HOSTNAME_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** OpenSSH prints SHA-256 fingerprints as `SHA256:` + 43 unpadded base64 characters. */
export const SSH_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
/** Printable ASCII without spaces: what SSH and IPMI logins carry without surprises. */
const LOGIN_NAME = /^[\x21-\x7e]{1,64}$/;
const SWITCH_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;

function isDnsName(s: string): boolean {
  if (s.length > 253) return false;
  return s.split('.').every((label) => HOSTNAME_LABEL.test(label)) && !/^[\d.]+$/.test(s);
}

export function isAddress(s: string): boolean {
  return isIP(s) !== 0 || isDnsName(s);
}

const address = (what: string) =>
  z.string().refine(isAddress, {
    error: (iss) => `${quote(iss.input)} is not an IP address or DNS name of the ${what}`,
  });

const tcpPort = z
  .number()
  .int({ error: 'must be a whole number' })
  .min(1, { error: 'must be a port number from 1 to 65535' })
  .max(65535, { error: 'must be a port number from 1 to 65535' });

const vlanId = z.number().refine(isVlanId, {
  error: (iss) => `${String(iss.input)} is not a VLAN id (${VLAN_MIN}–${VLAN_MAX})`,
});

const envName = z.string().regex(ENV_NAME, {
  error: (iss) =>
    `${quote(iss.input)} is not an environment variable name (e.g. RACKPILOT_SWITCH_PASS_TOR_R01)`,
});

const nonEmptyPassword = z.string().min(1, { error: 'is empty' });

const loginName = z.string().regex(LOGIN_NAME, {
  error: 'must be 1–64 printable characters without spaces',
});

export const macSchema = z.string().transform((s, ctx) => {
  const mac = normaliseMac(s);
  if (mac === undefined) {
    ctx.addIssue({ code: 'custom', message: `${quote(s)} is not a MAC address (e.g. 00:18:8b:52:79:80)` });
    return z.NEVER;
  }
  const why = unusableMacReason(mac);
  if (why) {
    ctx.addIssue({ code: 'custom', message: `${mac}: ${why}` });
    return z.NEVER;
  }
  return mac;
});

/** How the host's firmware boots: EFI or the legacy BIOS (the IPMI boot flags' EFI bit). */
export const BOOT_METHODS = ['uefi', 'legacy'] as const;
export type BootMethod = (typeof BOOT_METHODS)[number];

export const BMC_PROTOCOLS = ['ipmi', 'redfish'] as const;
export type BmcProtocol = (typeof BMC_PROTOCOLS)[number];
export const REDFISH_SCHEMES = ['https', 'http'] as const;

/**
 * A certificate's SHA-256 fingerprint: 64 hex digits, with or without the colons `openssl x509
 * -fingerprint -sha256` prints (and its `SHA256 Fingerprint=` prefix).
 */
export function normaliseCertSha256(s: string): string | undefined {
  const hex = s
    .replace(/^sha256 fingerprint=/i, '')
    .replace(/:/g, '')
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/** Redfish resource ids go into URL paths: letters, digits and `._-~` only (no `/`, `?`, `%`). */
export const REDFISH_ID = /^[A-Za-z0-9._~-]{1,64}$/;

// IPMI's own limits (16-byte user, 20-byte password) are checked in parse.ts for IPMI BMCs only:
// a Redfish BMC takes longer ones.
export const bmcSchema = z.strictObject({
  protocol: z
    .enum(BMC_PROTOCOLS, {
      error: (iss) => `${quote(iss.input)} is not a BMC protocol (${BMC_PROTOCOLS.join(' or ')})`,
    })
    .default('ipmi'),
  address: address('BMC'),
  /** Default per protocol: 623 (IPMI), 443 (Redfish over HTTPS), 80 (Redfish over HTTP). */
  port: tcpPort.optional(),
  username: loginName.optional(),
  password: z
    .string()
    .min(1, { error: 'is empty' })
    .max(256, { error: 'is longer than 256 bytes' })
    .optional(),
  passwordEnv: envName.optional(),
  scheme: z
    .enum(REDFISH_SCHEMES, {
      error: (iss) => `${quote(iss.input)} is not a scheme (https, or http for a lab BMC)`,
    })
    .optional(),
  certSha256: z
    .string()
    .transform((s, ctx) => {
      const hex = normaliseCertSha256(s);
      if (hex === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `${quote(s)} is not a SHA-256 certificate fingerprint (64 hex digits, colons allowed; openssl x509 -noout -fingerprint -sha256)`,
        });
        return z.NEVER;
      }
      return hex;
    })
    .optional(),
  systemId: z
    .string()
    .regex(REDFISH_ID, {
      error: (iss) =>
        `${quote(iss.input)} is not a Redfish system id (letters, digits, ".", "_", "-", "~"; the last part of /redfish/v1/Systems/ID)`,
    })
    .optional(),
});

/** The port a BMC listens on when the rack file gives none. */
export function defaultBmcPort(protocol: BmcProtocol | undefined, scheme: string | undefined): number {
  if (protocol !== 'redfish') return 623;
  return scheme === 'http' ? 80 : 443;
}

export const hostSchema = z.strictObject({
  mac: macSchema,
  port: z.string(),
  hostname: z
    .string()
    .regex(HOSTNAME_LABEL, {
      error: (iss) =>
        `${quote(iss.input)} is not a host name (letters, digits and "-", 1–63 characters, e.g. r01-n001)`,
    })
    .transform((s) => s.toLowerCase())
    .optional(),
  bmc: bmcSchema.optional(),
  // CloudStack's own rack config class (BaremetalRct.HostEntry) carries the host's uuid too.
  uuid: z.string().max(64, { error: 'is longer than 64 characters' }).optional(),
  // The firmware's boot method, when MaaS's bios_boot_method is wrong or missing for the host.
  bootMethod: z
    .enum(BOOT_METHODS, {
      error: (iss) => `${quote(iss.input)} is not a boot method (${BOOT_METHODS.join(' or ')})`,
    })
    .optional(),
});

export const switchSchema = z.strictObject({
  ip: address('switch'),
  username: loginName,
  password: nonEmptyPassword.optional(),
  type: z.string(),
  name: z
    .string()
    .regex(SWITCH_NAME, {
      error: (iss) =>
        `${quote(iss.input)} is not a switch name (letters, digits, ".", "_", "-", e.g. tor-r01)`,
    })
    .optional(),
  sshPort: tcpPort.default(22),
  hostKey: z
    .string()
    .regex(SSH_FINGERPRINT, {
      error: (iss) =>
        `${quote(iss.input)} is not an SSH host key fingerprint as OpenSSH prints it (SHA256: then 43 base64 characters; ssh-keygen -lf key.pub)`,
    })
    .optional(),
  passwordEnv: envName.optional(),
  pxeVlan: vlanId.optional(),
  portPrefix: z.string().optional(),
  allowedVlans: z
    .string()
    .transform((s, ctx) => {
      const r = parseVlanList(s);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.message });
        return z.NEVER;
      }
      return r.ranges;
    })
    .optional(),
});

export const rackSchema = z.strictObject({
  name: z
    .string()
    .regex(SWITCH_NAME, {
      error: (iss) => `${quote(iss.input)} is not a rack name (letters, digits, ".", "_", "-")`,
    })
    .optional(),
  l2Switch: switchSchema,
  hosts: z.array(hostSchema),
});

export const rackFileSchema = z.strictObject({
  racks: z.array(rackSchema).min(1, { error: 'the file lists no racks' }),
});

export type RackFileInput = z.input<typeof rackFileSchema>;
export type RackFileParsed = z.output<typeof rackFileSchema>;

/** Field names per object, for "unknown field" messages. */
export const KNOWN_FIELDS: Record<string, readonly string[]> = {
  file: Object.keys(rackFileSchema.shape),
  rack: Object.keys(rackSchema.shape),
  l2Switch: Object.keys(switchSchema.shape),
  host: Object.keys(hostSchema.shape),
  bmc: Object.keys(bmcSchema.shape),
};
