import { z } from 'zod';
import { DIALECTS } from '../gear/switch/dialect-names.ts';

/**
 * `rackpilot switch show|mac|plan --live`: the switch reads a command makes, done by the runner
 * through its per-switch queue and switch lock (the one session a task's switch step uses), so a
 * command never logs in to a switch itself. Credentials stay in the runner: a switch is described
 * to a client by what a plan needs, never by how to log in.
 */
const switchName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a switch name from the rack file');
/** Checked by the switch client itself (rack-file port syntax), whose error names the switch. */
const port = z.string().min(1).max(64);
const vlanId = z.number().int().min(1).max(4094);

/** A switch of the rack file as a plan needs it; `invalid` when its entry cannot be used. */
export const switchInfoSchema = z.union([
  z.object({
    name: z.string(),
    dialect: z.enum(DIALECTS),
    pxeVlan: vlanId,
    portPrefix: z.string().optional(),
    allowedVlans: z.array(vlanId).optional(),
  }),
  z.object({ name: z.string(), invalid: z.string() }),
]);
export type SwitchInfo = z.infer<typeof switchInfoSchema>;

/** One port as the switch reports it: its interface name, whether it is Layer-2, its VLANs. */
export const portViewSchema = z.object({
  port: z.string(),
  iface: z.string(),
  layer2: z.boolean(),
  untagged: z.number().nullable(),
  tagged: z.array(z.number()),
});

export const vlanEntrySchema = z.object({
  id: z.number(),
  name: z.string(),
  status: z.string(),
  ports: z.array(z.object({ port: z.string(), mode: z.enum(['untagged', 'tagged', 'member']) })),
});

export const macEntrySchema = z.object({
  mac: z.string(),
  vlan: z.number(),
  port: z.string(),
  iface: z.string(),
});

export const SWITCH_READ_METHODS = {
  /** The rack file's switches, without their credentials. */
  'switch.list': {
    params: z.object({}).strict(),
    result: z.object({ switches: z.array(switchInfoSchema) }),
  },
  'switch.port': { params: z.object({ switch: switchName, port }), result: portViewSchema },
  'switch.vlans': {
    params: z.object({ switch: switchName }),
    result: z.object({ vlans: z.array(vlanEntrySchema) }),
  },
  /** Where the switch learned a MAC (null: not in its table). Checked by the switch client. */
  'switch.mac': {
    params: z.object({ switch: switchName, mac: z.string().min(1).max(64) }),
    result: z.object({ entry: macEntrySchema.nullable() }),
  },
} as const;
