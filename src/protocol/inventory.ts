import { z } from 'zod';

/**
 * A row of the host table as the runner sends it: the one definition of a host row. The client's
 * model, the runner's follower and the delta comparison all take it from here, so a field added
 * to the schema is sent, typed and compared without another edit.
 */
export const inventoryRowSchema = z.object({
  /** `maas:SYSTEM_ID`, or `rack:NAME` for a rack-file host MaaS does not know. */
  key: z.string(),
  hostname: z.string(),
  rack: z.string().nullable(),
  switchName: z.string().nullable(),
  ports: z.array(z.string()),
  macs: z.array(z.string()),
  systemId: z.string().nullable(),
  /** MaaS NODE_STATUS code; null when the rack file names a host MaaS does not know. */
  status: z.number().nullable(),
  statusName: z.string(),
  statusMessage: z.string(),
  powerState: z.string(),
  /** Epoch ms since which the host is known to be in this status. */
  since: z.number(),
  /** False when the status was already in place at our first look: `since` is then a lower bound. */
  sinceExact: z.boolean(),
});

export type HostRow = Readonly<z.infer<typeof inventoryRowSchema>>;

export const NOT_IN_MAAS = 'Not in MaaS';

const ROW_FIELDS = Object.keys(inventoryRowSchema.shape) as (keyof HostRow)[];

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** Whether two rows show the same thing: every field of the schema, arrays element by element. */
export function sameRow(a: HostRow, b: HostRow): boolean {
  return ROW_FIELDS.every((f) => sameValue(a[f], b[f]));
}

/** The rack file as the inventory needs it: which NIC is cabled to which switch port. */
export interface RackLayout {
  racks: readonly {
    name: string;
    switchName: string;
    nics: readonly { mac: string; port: string; hostname?: string | undefined }[];
  }[];
}
