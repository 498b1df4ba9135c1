import { z } from 'zod';
import {
  instanceSchema,
  networkSchema,
  offeringSchema,
  taskSchema,
  taskTargetSchema,
  templateSchema,
  LOG_LEVELS,
  TASK_STATES,
} from '../../state/schema.ts';
import { taskEventSchema } from './event-schema.ts';
import { cablingSchema, diagnosisSchema, FIX_IDS, inspectionSchema } from '../doctor/schema.ts';
import { triageSchema } from '../doctor/triage.ts';

/**
 * The runner's protocol: JSON-RPC 2.0 (vscode-jsonrpc) over the site's Unix socket. Every method
 * is a pair of zod schemas, checked by the runner on the way in and by the client on the way out
 * of a response, so a version skew or a corrupt message is an error naming the method and the
 * field, never a crash. Task events flow from the runner as `task.event` notifications.
 */

export const PROTOCOL_VERSION = 1;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, . _ - (at most 63)');
const hostname = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'a hostname');
const mac = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'a lower-case MAC like 02:00:0a:0b:0c:0d');
const taskId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a task id like t-1a2b3c4d');
const empty = z.object({}).strict();
const planSchema = z.array(z.object({ step: z.string(), actions: z.array(z.string()) }));
export type Plan = z.infer<typeof planSchema>;

/** A task without its log: what lists and one-line summaries need. */
export const taskSummarySchema = taskSchema.omit({ log: true });
export type TaskSummary = z.infer<typeof taskSummarySchema>;

/** A host record as it leaves the runner: never its IPMI password. */
export const publicHostSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  mac: z.string(),
  macs: z.array(z.string()),
  ipmi: z.object({ address: z.string(), port: z.number().optional(), username: z.string() }),
  cpuCores: z.number(),
  cpuMhz: z.number(),
  memoryMb: z.number(),
  rack: z.string().optional(),
  maasSystemId: z.string().optional(),
  addedAt: z.string(),
  instance: z.string().nullable(),
});
export type PublicHost = z.infer<typeof publicHostSchema>;

export const instanceRowSchema = instanceSchema.omit({ userData: true }).extend({
  host: z.string(),
  networks: z.array(z.string()),
  template: z.string(),
  offering: z.string(),
  userData: z.boolean(),
});
export type InstanceRow = z.infer<typeof instanceRowSchema>;

export const createRequestSchema = z.object({
  name,
  offering: z.string().min(1),
  template: z.string().min(1),
  networks: z.array(z.string().min(1)).min(1, 'at least one network (the first is the default NIC)'),
  host: z.string().min(1).optional(),
  mac: mac.optional(),
  /** The user-data file's content (the client reads the file; the runner never reads client paths). */
  userData: z
    .string()
    .max(1 << 20, 'user data is limited to 1 MiB')
    .optional(),
});

export const hostAddSchema = z.object({
  hostname,
  mac: mac.optional(),
  ipmi: z
    .object({
      address: z.string().regex(/^[A-Za-z0-9.-]+$/, 'a BMC host name or address'),
      port: z.number().int().min(1).max(65535).optional(),
    })
    .optional(),
  ipmiUser: z.string().min(1).max(32).optional(),
  /** Sent over the owner-only socket, never in argv; the runner registers it for redaction. */
  ipmiPassword: z.string().min(1).max(64).optional(),
  cores: z.number().int().min(1).max(4096),
  mhz: z.number().int().min(1).max(100_000),
  memory: z
    .number()
    .int()
    .min(1)
    .max(1 << 24),
  rack: name.optional(),
  plan: z.boolean().optional(),
});
export type HostAddRequest = z.infer<typeof hostAddSchema>;

export const LIFECYCLE_VERBS = ['start', 'stop', 'destroy', 'attach', 'detach'] as const;
export const POWER_ACTIONS = ['on', 'off', 'soft', 'cycle', 'reset'] as const;
export const BOOT_DEVICES = ['pxe', 'disk', 'bios'] as const;

export const inventoryRowSchema = z.object({
  key: z.string(),
  hostname: z.string(),
  rack: z.string().nullable(),
  switchName: z.string().nullable(),
  ports: z.array(z.string()),
  macs: z.array(z.string()),
  systemId: z.string().nullable(),
  status: z.number().nullable(),
  statusName: z.string(),
  statusMessage: z.string(),
  powerState: z.string(),
  since: z.number(),
  sinceExact: z.boolean(),
});

const inventorySnapshotSchema = z.object({
  endpoint: z.string(),
  site: z.string(),
  racks: z.array(z.object({ name: z.string(), switchName: z.string() })),
  rows: z.array(inventoryRowSchema),
  refreshedAt: z.number().nullable(),
  error: z.string().nullable(),
  version: z.number(),
});

export const inventoryDeltaSchema = z.object({
  version: z.number(),
  upsert: z.array(inventoryRowSchema),
  remove: z.array(z.string()),
  refreshedAt: z.number().nullable(),
  error: z.string().nullable(),
});
export type InventoryDeltaMessage = z.infer<typeof inventoryDeltaSchema>;
export const INVENTORY_NOTIFICATION = 'inventory.delta';

const runnerStatusSchema = z.object({
  pid: z.number(),
  version: z.number(),
  startedAt: z.string(),
  uptimeMs: z.number(),
  site: z.string(),
  store: z.string(),
  socket: z.string(),
  log: z.string(),
  lab: z.boolean(),
  clients: z.number(),
  tasksRunning: z.number(),
  tasksQueued: z.number(),
  idleExitMs: z.number(),
  /**
   * Present when the site's runners coordinate through etcd: the endpoints, whether etcd answers
   * (when not, every read is the last known state, stale since `staleSince`, and changes are
   * refused), and the runners registered.
   */
  coordination: z
    .object({
      backend: z.literal('etcd'),
      endpoints: z.array(z.string()),
      prefix: z.string(),
      owner: z.string(),
      available: z.boolean(),
      staleSince: z.string().nullable(),
      error: z.string().nullable(),
      runners: z.array(
        z.object({ owner: z.string(), host: z.string(), pid: z.number(), startedAt: z.string() }),
      ),
    })
    .optional(),
});
export type RunnerStatus = z.infer<typeof runnerStatusSchema>;

const taskStarted = z.object({ taskId });

/** start, stop, destroy, attach, detach: the instance, and the network for attach/detach. */
const lifecycleRequestSchema = z.object({
  verb: z.enum(LIFECYCLE_VERBS),
  instance: z.string().min(1),
  network: z.string().min(1).optional(),
});

/** One host's power as its BMC answers the runner's sweep. */
export const bmcPowerSchema = z.object({
  hostname: z.string(),
  power: z.enum(['on', 'off', 'unknown']),
  answer: z.enum(['ok', 'unreachable', 'auth']),
  error: z.string().optional(),
  since: z.number(),
  lastChange: z.number().nullable(),
  checkedAt: z.number(),
  outOfBand: z.object({ at: z.number(), from: z.enum(['on', 'off']), to: z.enum(['on', 'off']) }).optional(),
});

/** Method name → params and result schemas. `mutates` requests are refused to read-only clients. */
export const METHODS = {
  hello: {
    params: z.object({
      version: z.number(),
      cookie: z.string().min(16).max(128),
      client: z.object({ kind: z.enum(['cli', 'tui', 'test']), pid: z.number(), readOnly: z.boolean() }),
      /** The site the client is configured for (MaaS URL or "lab"): a runner serving another refuses. */
      site: z.string(),
    }),
    result: z.object({ pid: z.number(), site: z.string(), lab: z.boolean() }),
  },
  'runner.status': { params: empty, result: runnerStatusSchema },
  'runner.stop': {
    params: z.object({ force: z.boolean().optional() }),
    result: z.object({ stopping: z.boolean(), interrupted: z.array(z.string()) }),
    mutates: true,
  },
  'tasks.list': {
    params: z.object({ all: z.boolean().optional() }),
    result: z.array(taskSummarySchema),
  },
  'tasks.get': { params: z.object({ id: taskId }), result: taskSchema },
  /** Subscribes this client to the task's events and answers its record as of that instant. */
  'tasks.follow': { params: z.object({ id: taskId }), result: taskSchema },
  /** Subscribes to every task's events (the dashboard). */
  'tasks.subscribe': { params: empty, result: z.object({ tasks: z.array(taskSchema) }) },
  'tasks.unfollow': { params: z.object({ id: taskId }), result: empty },
  'task.resume': { params: z.object({ id: taskId }), result: taskStarted, mutates: true },
  'task.rollback': { params: z.object({ id: taskId }), result: taskStarted, mutates: true },
  'task.cancel': {
    params: z.object({ id: taskId, reason: z.string().max(200).optional() }),
    result: taskSummarySchema,
    mutates: true,
  },
  'instances.list': { params: empty, result: z.array(instanceRowSchema) },
  'instance.create': {
    params: createRequestSchema,
    result: z.object({ taskId, instance: z.string(), host: z.string(), mac }),
    mutates: true,
  },
  'instance.plan': {
    params: createRequestSchema,
    result: z.object({ host: z.string(), mac, plan: planSchema }),
  },
  'instance.action': {
    params: lifecycleRequestSchema,
    result: taskStarted,
    mutates: true,
  },
  'instance.actionPlan': {
    params: lifecycleRequestSchema,
    result: z.object({ plan: planSchema }),
  },
  'hosts.list': { params: empty, result: z.array(publicHostSchema) },
  'host.add': {
    params: hostAddSchema,
    result: z.object({ hostId: z.string(), taskId: taskId.optional(), plan: planSchema.optional() }),
    mutates: true,
  },
  'host.remove': {
    params: z.object({ host: z.string().min(1) }),
    result: z.object({ removed: z.string(), maasSystemId: z.string().nullable() }),
    mutates: true,
  },
  'host.power': {
    params: z.object({
      host: z.string().min(1),
      action: z.enum(POWER_ACTIONS),
      force: z.boolean().optional(),
    }),
    result: taskStarted,
    mutates: true,
  },
  'host.bootdev': {
    params: z.object({
      host: z.string().min(1),
      device: z.enum(BOOT_DEVICES),
      persistent: z.boolean(),
      /** Absent: the rack file's bootMethod, else what MaaS reports for the machine. */
      efi: z.boolean().optional(),
      force: z.boolean().optional(),
    }),
    result: taskStarted,
    mutates: true,
  },
  'host.maas': {
    params: z.object({
      host: z.string().min(1),
      op: z.enum(['abort', 'mark-broken', 'mark-fixed']),
      comment: z.string().max(200).optional(),
    }),
    result: taskStarted,
    mutates: true,
  },
  /** Everything the dashboard's forms offer, in one read (no IPMI password). */
  'catalog.snapshot': {
    params: empty,
    result: z.object({
      hosts: z.array(publicHostSchema),
      templates: z.array(templateSchema),
      offerings: z.array(offeringSchema),
      networks: z.array(networkSchema),
      instances: z.array(instanceSchema.omit({ userData: true })),
      eraseMode: z.enum(['full', 'quick', 'secure', 'none']),
    }),
  },
  'templates.list': { params: empty, result: z.array(templateSchema) },
  'template.add': {
    params: z.object({
      name,
      image: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/, 'a MaaS image name like ubuntu/jammy'),
      description: z.string().max(200).optional(),
    }),
    result: templateSchema,
    mutates: true,
  },
  'template.remove': { params: z.object({ name: z.string().min(1) }), result: empty, mutates: true },
  'offerings.list': { params: empty, result: z.array(offeringSchema) },
  'offering.add': {
    params: z.object({
      name,
      cores: z.number().int().min(1).max(4096),
      mhz: z.number().int().min(1).max(100_000),
      memory: z
        .number()
        .int()
        .min(1)
        .max(1 << 24),
    }),
    result: offeringSchema,
    mutates: true,
  },
  'offering.remove': { params: z.object({ name: z.string().min(1) }), result: empty, mutates: true },
  'networks.list': {
    params: empty,
    result: z.object({
      networks: z.array(networkSchema),
      pxeVlans: z.array(z.object({ switch: z.string(), pxeVlan: z.number().nullable() })),
    }),
  },
  'network.add': {
    params: z.object({
      name,
      vlan: z.number().int().min(1).max(4094),
      description: z.string().max(200).optional(),
    }),
    result: networkSchema,
    mutates: true,
  },
  'network.remove': { params: z.object({ name: z.string().min(1) }), result: empty, mutates: true },
  'inventory.snapshot': { params: empty, result: inventorySnapshotSchema },
  /** The rows once, then `inventory.delta` notifications with only what changed. */
  'inventory.subscribe': { params: empty, result: inventorySnapshotSchema },
  'inventory.unsubscribe': { params: empty, result: empty },
  /** A full MaaS list now (the dashboard's `r`). */
  'inventory.refresh': { params: empty, result: empty },
  /** `log`: curtin's whole installation output too (`doctor HOST --log`). */
  'host.doctor': {
    params: z.object({ host: z.string().min(1), log: z.boolean().optional() }),
    result: diagnosisSchema,
  },
  /** Every machine in a transitional or failed state: stage, one-line cause, time left (`doctor --all`). */
  'site.triage': { params: empty, result: triageSchema },
  'host.fix': {
    params: z.object({ host: z.string().min(1), fix: z.enum(FIX_IDS), taskId: taskId.optional() }),
    result: taskStarted,
    mutates: true,
  },
  'host.inspect': { params: z.object({ host: z.string().min(1) }), result: inspectionSchema },
  'host.reconcile': { params: z.object({ host: z.string().min(1) }), result: taskStarted, mutates: true },
  'rack.cabling': { params: z.object({ rack: z.string().min(1) }), result: cablingSchema },
  /** A BMC read for a host known from `host add` only: the runner holds its password; the answer does not. */
  'host.bmcRead': {
    params: z.object({ host: z.string().min(1), read: z.enum(['power', 'bootdev', 'info']) }),
    result: z.discriminatedUnion('read', [
      z.object({ read: z.literal('power'), power: z.enum(['on', 'off']) }),
      z.object({
        read: z.literal('bootdev'),
        device: z.string(),
        valid: z.boolean(),
        persistent: z.boolean(),
        efi: z.boolean(),
      }),
      z.object({
        read: z.literal('info'),
        deviceId: z.number(),
        deviceRevision: z.number(),
        providesSdrs: z.boolean(),
        firmwareMajor: z.number(),
        firmwareMinor: z.number(),
        firmware: z.string(),
        ipmiVersion: z.string(),
        manufacturerId: z.number(),
        productId: z.number(),
        available: z.boolean(),
      }),
    ]),
  },
  'power.snapshot': {
    params: empty,
    result: z.object({
      enabled: z.boolean(),
      hosts: z.array(bmcPowerSchema),
      sweeps: z.number(),
      lastSweepMs: z.number(),
      lastSweepAt: z.number().nullable(),
    }),
  },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType; mutates?: boolean }>;

export type Method = keyof typeof METHODS;
export type Params<M extends Method> = z.input<(typeof METHODS)[M]['params']>;
export type Result<M extends Method> = z.output<(typeof METHODS)[M]['result']>;

export function isMutating(method: Method): boolean {
  return 'mutates' in METHODS[method] && METHODS[method].mutates === true;
}

/** Notifications the runner sends. */
export const EVENT_NOTIFICATION = 'task.event';
export const eventNotificationSchema = z.object({ event: taskEventSchema });
export const CATALOG_NOTIFICATION = 'catalog.changed';
export const catalogNotificationSchema = z.object({ collections: z.array(z.string()) });
export const POWER_NOTIFICATION = 'power.changed';
export const powerNotificationSchema = z.object({ power: bmcPowerSchema, outOfBand: z.boolean() });
export const CLOSING_NOTIFICATION = 'runner.closing';
export const closingNotificationSchema = z.object({ reason: z.string() });

/** JSON-RPC error codes of the runner (application range). */
export const ERROR = {
  /** An OperatorError: message and hint for the operator. */
  operator: -32001,
  unauthorized: -32002,
  readOnly: -32003,
  wrongSite: -32004,
} as const;

export const errorDataSchema = z.object({ hint: z.string().optional(), target: z.string().optional() });

export { taskTargetSchema, LOG_LEVELS, TASK_STATES };
