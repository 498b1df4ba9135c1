import { createHash } from 'node:crypto';
import { z } from 'zod';
import { registerSecret } from '../../util/redact.ts';
import { DIALECTS } from './dialect-names.ts';
import { parseVlanList } from './ranges.ts';
import { isSafeName, isValidPortType, MAX_VLAN, MIN_VLAN } from './validate.ts';

export { DIALECTS, type DialectName } from './dialect-names.ts';

const vlanId = z.number().int().min(MIN_VLAN).max(MAX_VLAN);

/**
 * Everything the client needs to reach one switch. Independent of the rack file: whoever reads
 * the rack file maps its switch entries to this.
 */
export const SwitchTargetSchema = z
  .object({
    name: z.string().refine(isSafeName, 'switch name: letters, digits, . _ - only'),
    host: z.string().regex(/^[A-Za-z0-9.:_-]{1,253}$/, 'host: an IP address or DNS name'),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1).max(64),
    password: z.string().max(256).optional(),
    /** OpenSSH or PEM private key text. */
    privateKey: z.string().optional(),
    passphrase: z.string().optional(),
    dialect: z.enum(DIALECTS),
    /** `SHA256:…` as `ssh-keygen -lf` prints it; when set, the known-hosts file is not consulted. */
    hostKeyFingerprint: z
      .string()
      .regex(
        /^SHA256:[A-Za-z0-9+/]{43}=?$/,
        'host key fingerprint: SHA256:<base64> as ssh-keygen -l prints it',
      )
      .optional(),
    pxeVlan: vlanId,
    /** Interface type put before rack-file port numbers; the dialect's default otherwise. */
    portPrefix: z.string().refine(isValidPortType, 'port prefix: letters and dashes only').optional(),
    /** VLANs tenants may be put on (`100-199,300` or a list); the PXE VLAN is always allowed. */
    allowedVlans: z
      .union([
        z.string().transform((s, ctx) => {
          try {
            return parseVlanList(s);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: (e as Error).message });
            return z.NEVER;
          }
        }),
        z.array(vlanId),
      ])
      .optional(),
  })
  .refine((t) => t.password !== undefined || t.privateKey !== undefined, {
    message: 'a switch needs a password or a private key',
  });

export type SwitchTargetInput = z.input<typeof SwitchTargetSchema>;
export type SwitchTarget = z.output<typeof SwitchTargetSchema>;

/** Parse at the boundary and register the secrets before anything can log them. */
export function parseSwitchTarget(input: unknown): SwitchTarget {
  const t = SwitchTargetSchema.parse(input);
  registerSecret(t.password);
  registerSecret(t.passphrase);
  if (t.privateKey) registerSecret(t.privateKey);
  return t;
}

/** The switch itself: one lock and one queue per switch, whatever credentials reach it. */
export function switchAddress(t: SwitchTarget): string {
  return `${t.name}@${t.host}:${t.port}`;
}

/** Who logs in and how: a session is only reused for the same identity, so fixed credentials take effect. */
export function sessionIdentity(t: SwitchTarget): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        t.username,
        t.password ?? '',
        t.privateKey ?? '',
        t.passphrase ?? '',
        t.hostKeyFingerprint ?? '',
        t.dialect,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}

export type PortOp = 'access' | 'tagAdd' | 'tagRemove' | 'resetPxe';

export const PortChangeSchema = z.discriminatedUnion('op', [
  z.object({ port: z.string(), op: z.literal('access'), vlan: vlanId }),
  z.object({ port: z.string(), op: z.literal('tagAdd'), vlan: vlanId }),
  z.object({ port: z.string(), op: z.literal('tagRemove'), vlan: vlanId }),
  z.object({ port: z.string(), op: z.literal('resetPxe'), vlan: z.undefined().optional() }),
]);
export type PortChange = z.infer<typeof PortChangeSchema>;

/** VLAN membership of one port as the switch reports it. */
export interface PortVlans {
  untagged: number | null;
  tagged: number[];
}

export interface VlanEntry {
  id: number;
  name: string;
  status: string;
  /** Rack-file port numbers; `member` when the table does not say tagged or untagged (NX-OS, EOS). */
  ports: { port: string; mode: 'untagged' | 'tagged' | 'member' }[];
}

export interface MacEntry {
  mac: string;
  vlan: number;
  /** Rack-file port number (`1/1/1`), or the raw interface when it is not a front-panel port. */
  port: string;
  iface: string;
}
