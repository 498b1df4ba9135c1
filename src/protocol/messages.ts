import { z } from 'zod';
import {
  instanceSchema,
  networkSchema,
  offeringSchema,
  taskSchema,
  taskTargetSchema,
  templateSchema,
  BMC_SOURCES,
  LOG_LEVELS,
  TASK_STATES,
} from './records.ts';
import type { NotificationRun } from './transport.ts';
import { inventoryRowSchema } from './inventory.ts';
import { cablingSchema, diagnosisSchema, FIX_IDS, inspectionSchema, triageSchema } from './doctor.ts';
import { CONSOLE_METHODS } from './console.ts';
import { SWITCH_READ_METHODS } from './switch-reads.ts';

/**
 * The runner's protocol: JSON-RPC 2.0 (vscode-jsonrpc) over the site's Unix socket. Every method
 * is a pair of zod schemas, checked by the runner on the way in and by the client on the way out
 * of a response, so a version skew or a corrupt message is an error naming the method and the
 * field, never a crash. Task events flow from the runner as `task.events` notifications.
 */

export const PROTOCOL_VERSION = 4;

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, . _ - (at most 63)');
const hostname = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'a hostname');
const mac = z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'a lower-case MAC like 02:00:0a:0b:0c:0d');
const taskId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a task id like t-1a2b3c4d');
const empty = z.object({}).strict();
const planSchema = z.array(z.object({ step: z.string(), actions: z.array(z.string()) }));
export type Plan = z.infer<typeof planSchema>;
/**
 * The digest of the plan the operator confirmed: a start refuses when the plan is no longer this,
 * and a change request without one is refused (nothing starts that was not planned and confirmed).
 */
export const MISSING_PLAN =
  'missing: the digest of the plan the operator confirmed (from action.plan, or instance.plan for a deploy); a change starts only from a confirmed plan';
const confirmedPlan = z
  .string({ error: (iss) => (iss.input === undefined ? MISSING_PLAN : undefined) })
  .regex(/^[0-9a-f]{64}$/, 'the digest of a plan from action.plan');

/** A task without its log: what lists and one-line summaries need. */
export const taskSummarySchema = taskSchema.omit({ log: true });
export type TaskSummary = z.infer<typeof taskSummarySchema>;

/** Which BMC was read and where its details came from (the rack file, MaaS, the command line). */
export const bmcOriginSchema = z.object({ label: z.string(), source: z.enum(BMC_SOURCES).optional() });
export type BmcOrigin = z.infer<typeof bmcOriginSchema>;

/** `IPMI 10.0.0.5:623, from MaaS`: the BMC and the source of its details, never a credential. */
export function describeBmcOrigin(o: BmcOrigin): string {
  if (!o.source) return o.label;
  return `${o.label}, from ${o.source === 'rack file' ? 'the rack file' : o.source === 'command line' ? 'the command line' : 'MaaS'}`;
}

/** A host record as it leaves the runner: never its IPMI password. */
export const publicHostSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  mac: z.string(),
  macs: z.array(z.string()),
  ipmi: z.object({
    address: z.string(),
    port: z.number().optional(),
    username: z.string(),
    protocol: z.enum(['ipmi', 'redfish']).optional(),
    source: z.enum(BMC_SOURCES).optional(),
  }),
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

/** An instance to create, as the runner takes it (the confirmed plan's digest travels beside it). */
export type CreateRequest = z.infer<typeof createRequestSchema>;

/** A host's or an offering's size: CPU cores, CPU speed in MHz, memory in MB. */
const dimensions = {
  cores: z.number().int().min(1).max(4096),
  mhz: z.number().int().min(1).max(100_000),
  memory: z
    .number()
    .int()
    .min(1)
    .max(1 << 24),
};

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
  ...dimensions,
  rack: name.optional(),
  /** Plan only (`host add --plan`): the steps, nothing added. */
  plan: z.boolean().optional(),
  /** The digest of the plan the operator confirmed (action.plan of `host-add`): refused if it changed. */
  confirmed: confirmedPlan.optional(),
});
export type HostAddRequest = z.infer<typeof hostAddSchema>;

export const LIFECYCLE_VERBS = ['start', 'stop', 'destroy', 'attach', 'detach'] as const;
export { BOOT_DEVICES, POWER_ACTIONS, type BootDevice, type PowerAction } from '../gear/bmc/vocabulary.ts';
export { ERASE_MODES, type EraseMode } from '../gear/maas/vocabulary.ts';
import { ERASE_MODES } from '../gear/maas/vocabulary.ts';
import { BOOT_DEVICES, POWER_ACTIONS } from '../gear/bmc/vocabulary.ts';

/**
 * Something the runner did on its own that the operator must know: a new lab began, the rack file
 * was reloaded, or an edit of it was refused. The newest one shows in the dashboard's header.
 */
export const runnerNoticeSchema = z.object({
  at: z.number(),
  level: z.enum(['info', 'warn']),
  text: z.string(),
});
export type RunnerNotice = z.infer<typeof runnerNoticeSchema>;

const inventorySnapshotSchema = z.object({
  endpoint: z.string(),
  site: z.string(),
  racks: z.array(z.object({ name: z.string(), switchName: z.string() })),
  rows: z.array(inventoryRowSchema),
  refreshedAt: z.number().nullable(),
  error: z.string().nullable(),
  version: z.number(),
  notice: runnerNoticeSchema.nullable().optional(),
});

export const inventoryDeltaSchema = z.object({
  version: z.number(),
  upsert: z.array(inventoryRowSchema),
  remove: z.array(z.string()),
  refreshedAt: z.number().nullable(),
  error: z.string().nullable(),
  notice: runnerNoticeSchema.nullable().optional(),
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
  /** Refusing new work until its tasks end, then stopping (`runner restart`). */
  draining: z.boolean(),
  /** The rack file the runner uses and when it was (re)loaded; null without one (or the lab's own). */
  rackFile: z.object({ path: z.string(), loadedAt: z.string() }).nullable(),
  notices: z.array(runnerNoticeSchema),
  /**
   * Present when the site's runners coordinate through etcd: the endpoints, whether a quorum
   * answers (when not, every read is the last known state, stale since `staleSince`, and changes
   * are refused; `condition` tells whether no member answers or members answer without a quorum),
   * this runner's lease story, and the runners registered.
   */
  coordination: z
    .object({
      backend: z.literal('etcd'),
      endpoints: z.array(z.string()),
      prefix: z.string(),
      owner: z.string(),
      available: z.boolean(),
      condition: z.enum(['ok', 'unreachable', 'quorum-lost']),
      staleSince: z.string().nullable(),
      error: z.string().nullable(),
      members: z.object({ answering: z.number(), total: z.number(), leader: z.boolean() }).nullable(),
      lease: z.object({
        grantedAt: z.string(),
        lostAt: z.string().nullable(),
        renewedAt: z.string().nullable(),
      }),
      runners: z.array(
        z.object({ owner: z.string(), host: z.string(), pid: z.number(), startedAt: z.string() }),
      ),
    })
    .optional(),
});
export type RunnerStatus = z.infer<typeof runnerStatusSchema>;

/** `followed`: this client gets the task's events from its creation (it asked with `follow`). */
const taskStarted = z.object({ taskId, followed: z.literal(true).optional() });
/**
 * On a request that starts a task: this client gets the task's events from its creation on (from
 * `task-created`, before the answer), as `tasks.follow` would give them, with no record to read and
 * no second request. The CLI sends it unless it detaches.
 */
const followFromStart = { follow: z.boolean().optional() };

/** start, stop, destroy, attach, detach: the instance, and the network for attach/detach. */
const lifecycleRequestSchema = z.object({
  verb: z.enum(LIFECYCLE_VERBS),
  instance: z.string().min(1),
  network: z.string().min(1).optional(),
});

const hostKey = z.string().min(1);
/** Every change the dashboard confirms, as `action.plan` takes it (deploy has `instance.plan`). */
export const actionRequestSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('power'), host: hostKey, op: z.enum(POWER_ACTIONS) }),
  z.object({
    action: z.literal('bootdev'),
    host: hostKey,
    device: z.enum(BOOT_DEVICES),
    persistent: z.boolean(),
    efi: z.boolean().optional(),
  }),
  z.object({
    action: z.literal('maas'),
    host: hostKey,
    op: z.enum(['abort', 'mark-broken', 'mark-fixed']),
    comment: z.string().max(200).optional(),
  }),
  z.object({
    action: z.literal('instance'),
    verb: z.enum(LIFECYCLE_VERBS),
    instance: z.string().min(1),
    network: z.string().min(1).optional(),
  }),
  z.object({ action: z.literal('fix'), host: hostKey, fix: z.enum(FIX_IDS), taskId: taskId.optional() }),
  z.object({ action: z.literal('reconcile'), host: hostKey }),
  z.object({ action: z.enum(['resume', 'rollback', 'cancel']), task: taskId }),
  // Adding a host: adopted from MaaS or created there and commissioned (its BMC from the rack file
  // unless given; the password only ever over this socket).
  hostAddSchema.omit({ plan: true, confirmed: true }).extend({ action: z.literal('host-add') }),
]);
export type ActionRequest = z.infer<typeof actionRequestSchema>;

/**
 * What the operator sees before confirming a change: its target, the state read just before, the
 * steps with their exact MaaS calls, switch lines and IPMI commands, what it destroys, and what
 * must be typed to confirm (null: y/N). `digest` covers all of it: the start request carries it.
 */
export const actionPlanSchema = z.object({
  title: z.string(),
  target: z.string(),
  state: z.array(z.string()),
  steps: planSchema,
  destroys: z.string().nullable(),
  typed: z.string().nullable(),
  digest: z.string(),
});
export type ActionPlan = z.infer<typeof actionPlanSchema>;

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

/** One ToR port of a host as the switch answers it now (the details view). */
export const portReadingSchema = z.object({
  switch: z.string(),
  port: z.string(),
  pxeVlan: z.number().optional(),
  untagged: z.number().nullable().optional(),
  tagged: z.array(z.number()).optional(),
  error: z.string().optional(),
});
export type PortReading = z.infer<typeof portReadingSchema>;

/** What the gear itself says about one host, read by the runner for the details view. */
export const hostLiveSchema = z.object({
  bmc: z
    .union([
      z.object({
        power: z.enum(['on', 'off']),
        bootDevice: z.string(),
        persistent: z.boolean(),
        origin: bmcOriginSchema.optional(),
      }),
      z.object({ error: z.string(), source: z.enum(BMC_SOURCES).optional() }),
    ])
    .optional(),
  ports: z.array(portReadingSchema),
  /** When the runner finished reading (epoch ms). */
  readAt: z.number(),
});
export type HostLive = z.infer<typeof hostLiveSchema>;

/** Method name → params and result schemas. `mutates` requests are refused to read-only clients. */
export const METHODS = {
  hello: {
    params: z.object({
      version: z.number(),
      cookie: z.string().min(16).max(128),
      client: z.object({ kind: z.enum(['cli', 'tui', 'test']), pid: z.number(), readOnly: z.boolean() }),
      /** The site the client is configured for (MaaS URL or "lab"): a runner serving another refuses. */
      site: z.string(),
      /** The client's effective settings, each an HMAC keyed by the cookie (config/fingerprint.ts). */
      settings: z
        .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/), z.string().max(64))
        // A password variable per BMC: a site of 10,000 hosts, and the rest (some 4 MB at most).
        .refine((s) => Object.keys(s).length <= 20_000, 'at most 20,000 settings'),
      /** `settings` holds one hash per password variable, not their one hash (a second hello, after a refusal). */
      perPassword: z.boolean().optional(),
      /**
       * `runner status|stop|restart`: served whatever the site and settings, so the runner of a store
       * can be seen and stopped from a terminal configured otherwise. Only runner.* requests follow.
       */
      control: z.boolean().optional(),
    }),
    result: z.object({
      pid: z.number(),
      site: z.string(),
      lab: z.boolean(),
      /** For a control client: the settings (ids) in which it differs from the runner. */
      drift: z.array(z.string()),
    }),
  },
  'runner.status': { params: empty, result: runnerStatusSchema },
  'runner.stop': {
    /** `whenIdle`: refuse new work and stop once the running tasks end (`runner restart`). */
    params: z.object({ force: z.boolean().optional(), whenIdle: z.boolean().optional() }),
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
  'task.resume': {
    params: z.object({ id: taskId, plan: confirmedPlan }),
    result: taskStarted,
    mutates: true,
  },
  'task.rollback': {
    params: z.object({ id: taskId, plan: confirmedPlan }),
    result: taskStarted,
    mutates: true,
  },
  'task.cancel': {
    params: z.object({ id: taskId, reason: z.string().max(200).optional(), plan: confirmedPlan }),
    result: taskSummarySchema,
    mutates: true,
  },
  'instances.list': { params: empty, result: z.array(instanceRowSchema) },
  'instance.create': {
    params: createRequestSchema.extend({ plan: confirmedPlan, ...followFromStart }),
    result: taskStarted.extend({ instance: z.string(), host: z.string(), mac }),
    mutates: true,
  },
  'instance.plan': {
    params: createRequestSchema,
    result: actionPlanSchema.extend({ host: z.string(), mac, plan: planSchema }),
  },
  /** Any other change's plan, read live and touching nothing (see actionPlanSchema). */
  'action.plan': { params: actionRequestSchema, result: actionPlanSchema },
  'instance.action': {
    params: lifecycleRequestSchema.extend({ plan: confirmedPlan, ...followFromStart }),
    result: taskStarted,
    mutates: true,
  },
  'instance.actionPlan': {
    params: lifecycleRequestSchema,
    result: z.object({ plan: planSchema }),
  },
  'hosts.list': { params: empty, result: z.array(publicHostSchema) },
  'host.add': {
    // A plan-only request (`plan: true`) changes nothing; an add carries the confirmed plan's digest.
    params: hostAddSchema
      .extend(followFromStart)
      .refine((r) => r.plan === true || r.confirmed !== undefined, {
        path: ['confirmed'],
        message: MISSING_PLAN,
      }),
    // The task and `followed` of a confirmed add; a plan-only request answers the plan instead.
    result: taskStarted.partial().extend({ hostId: z.string(), plan: planSchema.optional() }),
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
      plan: confirmedPlan,
      ...followFromStart,
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
      plan: confirmedPlan,
      ...followFromStart,
    }),
    result: taskStarted,
    mutates: true,
  },
  'host.maas': {
    params: z.object({
      host: z.string().min(1),
      op: z.enum(['abort', 'mark-broken', 'mark-fixed']),
      comment: z.string().max(200).optional(),
      plan: confirmedPlan,
      ...followFromStart,
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
      eraseMode: z.enum(ERASE_MODES),
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
      ...dimensions,
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
    params: z.object({
      host: z.string().min(1),
      fix: z.enum(FIX_IDS),
      taskId: taskId.optional(),
      plan: confirmedPlan,
      ...followFromStart,
    }),
    result: taskStarted,
    mutates: true,
  },
  'host.inspect': { params: z.object({ host: z.string().min(1) }), result: inspectionSchema },
  'host.reconcile': {
    params: z.object({ host: z.string().min(1), plan: confirmedPlan, ...followFromStart }),
    result: taskStarted,
    mutates: true,
  },
  'rack.cabling': { params: z.object({ rack: z.string().min(1) }), result: cablingSchema },
  /**
   * A BMC read (`rackpilot ipmi`, `rackpilot power … status`), through the runner's BMC sessions:
   * the runner holds the password (store, rack file env); the answer does not.
   */
  'host.bmcRead': {
    params: z.object({
      host: z.string().min(1),
      read: z.enum(['power', 'bootdev', 'info']),
      /** `rackpilot ipmi` speaks IPMI only: a host whose rack-file BMC is Redfish is refused. */
      ipmiOnly: z.boolean().optional(),
    }),
    result: z.discriminatedUnion('read', [
      z.object({
        read: z.literal('power'),
        power: z.enum(['on', 'off']),
        origin: bmcOriginSchema.optional(),
      }),
      z.object({
        read: z.literal('bootdev'),
        origin: bmcOriginSchema.optional(),
        device: z.string(),
        valid: z.boolean(),
        persistent: z.boolean(),
        efi: z.boolean(),
      }),
      z.object({
        read: z.literal('info'),
        origin: bmcOriginSchema.optional(),
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
  /** `rackpilot check`: MaaS, switches, BMCs and etcd read as a new site needs them; changes nothing. */
  'site.check': {
    params: z.object({ allBmcs: z.boolean() }),
    result: z.object({
      checks: z.array(
        z.object({
          id: z.string(),
          title: z.string(),
          state: z.enum(['pass', 'fail', 'skip']),
          detail: z.string(),
          fix: z.string().optional(),
        }),
      ),
    }),
  },
  /**
   * The details view's live read: the host's BMC (power, boot device) and each ToR port's VLANs,
   * read by the runner through its per-switch queue and switch locks, never by the dashboard.
   */
  'host.live': {
    params: z.object({ host: z.string().min(1).max(253), macs: z.array(mac).max(64).optional() }),
    result: hostLiveSchema,
  },
  ...CONSOLE_METHODS,
  ...SWITCH_READ_METHODS,
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

/**
 * Notifications the runner sends. Task events go in the order the engine emitted them, and the
 * events of one turn that follow each other go as one message; a client checks each alone
 * (`taskEventSchema`), so a malformed one is dropped without its neighbours.
 */
export const EVENT_NOTIFICATION = 'task.events';
export const eventNotificationSchema = z.object({ events: z.array(z.unknown()) });
export const EVENT_RUN: NotificationRun = {
  method: EVENT_NOTIFICATION,
  combine: (params) => ({ events: params.flatMap((p) => (p as { events: unknown[] }).events) }),
};
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
  /** The client's settings differ from the runner's (the message names them, never a value). */
  settingsDrift: -32005,
} as const;

/**
 * A read may carry its client's remaining deadline under this key, beside its own params: the
 * runner then answers within it, with what it is still waiting for if the gear has not answered.
 * The setting is named in that answer (RACKPILOT_MAAS_TIMEOUT…).
 */
export const DEADLINE_PARAM = '$deadline';
export const requestDeadlineSchema = z.object({
  ms: z
    .number()
    .int()
    .min(1)
    .max(24 * 3_600_000),
  setting: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'a setting name like RACKPILOT_MAAS_TIMEOUT'),
});
export type RequestDeadline = z.infer<typeof requestDeadlineSchema>;

export const errorDataSchema = z.object({
  hint: z.string().optional(),
  target: z.string().optional(),
  /** A gear client's kind of failure (timeout, auth…), which `--json` output reports. */
  kind: z
    .string()
    .regex(/^[a-z]{1,20}$/)
    .optional(),
});

export { taskTargetSchema, LOG_LEVELS, TASK_STATES };
