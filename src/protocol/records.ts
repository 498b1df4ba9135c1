import { z } from 'zod';

/** Where a host's BMC details came from, as the screens name it. */
export const BMC_SOURCES = ['rack file', 'MaaS', 'command line'] as const;
export type BmcSource = (typeof BMC_SOURCES)[number];

/**
 * The on-disk shape of the local store. Everything read from the file is parsed with these schemas;
 * a file that does not parse is refused, never repaired silently.
 */
export const STORE_VERSION = 1;

const isoTime = z.string().min(1);
const id = z.string().min(1).max(64);
const mac = z
  .string()
  .toLowerCase()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, 'MAC must be six hex pairs separated by ":"');
const hostname = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'hostname must be letters, digits and "-"');

export const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export const hostSchema = z.object({
  id,
  hostname,
  mac,
  macs: z.array(mac),
  // The host's BMC (named `ipmi` from when IPMI was the only protocol); absent protocol: IPMI.
  ipmi: z.object({
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    username: z.string(),
    password: z.string(),
    protocol: z.enum(['ipmi', 'redfish']).optional(),
    scheme: z.enum(['https', 'http']).optional(),
    certSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    systemId: z
      .string()
      .regex(/^[A-Za-z0-9._~-]{1,64}$/)
      .optional(),
    // IPMI session settings MaaS's power parameters gave (absent: suite 3, administrator).
    cipherSuite: z.union([z.literal(3), z.literal(17)]).optional(),
    privilege: z.enum(['operator', 'administrator']).optional(),
    // Where these details came from; absent on records older than the field (the rack file or flags).
    source: z.enum(BMC_SOURCES).optional(),
  }),
  cpuCores: z.number().int().positive(),
  cpuMhz: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
  rack: z.string().optional(),
  maasSystemId: z.string().optional(),
  addedAt: isoTime,
});
export type Host = z.infer<typeof hostSchema>;

export const templateSchema = z.object({
  id,
  name: z.string().min(1),
  // MaaS image name as the seed's template URL field carries it: "centos7", "ubuntu/jammy".
  image: z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/, 'image must be a MaaS image name'),
  description: z.string().optional(),
  createdAt: isoTime,
});
export type Template = z.infer<typeof templateSchema>;

export const offeringSchema = z.object({
  id,
  name: z.string().min(1),
  cpuCores: z.number().int().positive(),
  cpuMhz: z.number().int().positive(),
  memoryMb: z.number().int().positive(),
});
export type Offering = z.infer<typeof offeringSchema>;

export const networkSchema = z.object({
  id,
  name: z.string().min(1),
  vlan: z.number().int().min(1).max(4094),
  description: z.string().optional(),
});
export type Network = z.infer<typeof networkSchema>;

export const INSTANCE_STATES = ['creating', 'running', 'stopped', 'destroying', 'error'] as const;
export const instanceSchema = z.object({
  id,
  name: z.string().min(1),
  hostId: id,
  offeringId: id,
  templateId: id,
  /** The first network is the default NIC's network (the VLAN the ToR port gets untagged). */
  networkIds: z.array(id).min(1),
  mac,
  userData: z.string().optional(),
  state: z.enum(INSTANCE_STATES),
  lastHostId: id.optional(),
  createdAt: isoTime,
});
export type Instance = z.infer<typeof instanceSchema>;

export const TASK_STATES = [
  'pending',
  'running',
  'done',
  'failed',
  'cancelled',
  'interrupted',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const STEP_STATES = [
  'pending',
  'running',
  'done',
  'failed',
  'skipped',
  'undone',
  'undo-failed',
] as const;
export type StepState = (typeof STEP_STATES)[number];

/** MaaS's own word on a long phase (deploying, erasing): its status, status message and latest event. */
export const maasProgressSchema = z.object({
  status: z.string().max(100),
  message: z.string().max(500).optional(),
  event: z.string().max(500).optional(),
});
export type MaasProgress = z.infer<typeof maasProgressSchema>;

export const stepRecordSchema = z.object({
  title: z.string(),
  state: z.enum(STEP_STATES),
  startedAt: isoTime.optional(),
  endedAt: isoTime.optional(),
  attempts: z.number().int().min(0),
  error: z.string().optional(),
  /** What run() returned; later steps and undo() read it, so it must survive a restart. */
  output: jsonValue.optional(),
  /** Set (write-ahead) before undo() runs, so an interrupted rollback is visible in the journal. */
  undoStartedAt: isoTime.optional(),
  /** Why the step was skipped, or a note such as "already in place". */
  note: z.string().optional(),
  /** The step's exact lines in the plan the operator confirmed before the task started (or resumed). */
  plan: z.array(z.string()).optional(),
  /** The step's exact undo lines in the rollback plan the operator confirmed. */
  undoPlan: z.array(z.string()).optional(),
});
export type StepRecord = z.infer<typeof stepRecordSchema>;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/**
 * Where a log line comes from: a MaaS call or event, a switch CLI line sent or read, an IPMI
 * command, or the engine itself. Lines without one are a workflow's own notes; journals written
 * before sources existed have none.
 */
export const LOG_SOURCES = ['maas', 'switch', 'ipmi', 'engine'] as const;
export type LogSource = (typeof LOG_SOURCES)[number];
/** The sources that are real gear: what the dashboard's command log lists. */
export const GEAR_SOURCES: readonly LogSource[] = ['maas', 'switch', 'ipmi'];
export const logLineSchema = z.object({
  at: isoTime,
  level: z.enum(LOG_LEVELS),
  step: z.number().int().min(0).optional(),
  text: z.string(),
  source: z.enum(LOG_SOURCES).optional(),
});
export type LogLine = z.infer<typeof logLineSchema>;

/** A task's journal keeps only its most recent lines; the UI streams the rest live. */
export const TASK_LOG_LIMIT = 500;

export const taskTargetSchema = z.object({
  hostId: id.optional(),
  hostname: z.string().optional(),
  instanceId: id.optional(),
});
export type TaskTarget = z.infer<typeof taskTargetSchema>;

export const taskSchema = z.object({
  id,
  kind: z.string().min(1),
  target: taskTargetSchema,
  params: jsonValue,
  state: z.enum(TASK_STATES),
  steps: z.array(stepRecordSchema),
  log: z.array(logLineSchema),
  createdAt: isoTime,
  updatedAt: isoTime,
  error: z.string().optional(),
});
export type Task = z.infer<typeof taskSchema>;

export const storeDataSchema = z.object({
  version: z.literal(STORE_VERSION),
  /** Generation of the task journal (`<store>.journal`) that continues this file. */
  journalGen: z.string().optional(),
  hosts: z.array(hostSchema),
  templates: z.array(templateSchema),
  offerings: z.array(offeringSchema),
  networks: z.array(networkSchema),
  instances: z.array(instanceSchema),
  tasks: z.array(taskSchema),
});
export type StoreData = z.infer<typeof storeDataSchema>;

export type CollectionName = Exclude<keyof StoreData, 'version' | 'journalGen'>;
export const COLLECTIONS: readonly CollectionName[] = [
  'hosts',
  'templates',
  'offerings',
  'networks',
  'instances',
  'tasks',
];

export function emptyStore(): StoreData {
  return {
    version: STORE_VERSION,
    hosts: [],
    templates: [],
    offerings: [],
    networks: [],
    instances: [],
    tasks: [],
  };
}

/**
 * `migrations[n]` turns a version-n document into a version-(n+1) document. A file with no `version`
 * field is version 0 (the unversioned layout: collections could be missing and hosts had only `mac`).
 */
export type Migration = (old: Record<string, unknown>) => Record<string, unknown>;

export const migrations: Record<number, Migration> = {
  0: (old) => {
    const out: Record<string, unknown> = { ...old, version: 1 };
    for (const c of COLLECTIONS) if (!Array.isArray(out[c])) out[c] = [];
    out.hosts = (out.hosts as Record<string, unknown>[]).map((h) =>
      Array.isArray(h.macs) ? h : { ...h, macs: typeof h.mac === 'string' ? [h.mac] : [] },
    );
    return out;
  },
};
