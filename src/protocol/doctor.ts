import { z } from 'zod';

/**
 * What the doctor, the inspection and the cabling check answer, as zod schemas: the runner's
 * protocol carries them, the CLI prints them (`--json` as is), the dashboard draws them.
 */

export const CHECK_STATES = ['pass', 'fail', 'unknown'] as const;

export const checkSchema = z.object({
  id: z.string(),
  title: z.string(),
  state: z.enum(CHECK_STATES),
  /** What was read, one fact a line, with where it came from. */
  evidence: z.array(z.string()),
});
export type Check = z.infer<typeof checkSchema>;

/** A fix: a task the runner starts (`kind` on the host), or the resume of the task that holds it. */
export const FIX_IDS = [
  'ports-pxe',
  'pxe-boot',
  'disk-boot',
  'mark-fixed',
  'abort',
  'reset-failed',
  'resume',
  'power-cycle',
] as const;
export type FixId = (typeof FIX_IDS)[number];
export const fixSchema = z.object({
  id: z.enum(FIX_IDS),
  label: z.string(),
  /** The task kind it starts, or `task.resume`. */
  kind: z.string(),
  /** For resume: the task. */
  taskId: z.string().optional(),
  /** What must be done by hand first (a cable, a password), when anything. */
  first: z.string().optional(),
});
export type Fix = z.infer<typeof fixSchema>;

export const eventLineSchema = z.object({
  id: z.number(),
  created: z.string(),
  level: z.string(),
  type: z.string(),
  description: z.string(),
});

export const timelineStageSchema = z.object({
  id: z.string(),
  label: z.string(),
  at: z.number(),
  endAt: z.number().nullable(),
  durationS: z.number(),
  typicalS: z.number().nullable(),
  patienceS: z.number().nullable(),
  patienceFrom: z.enum(['site history', 'disk sizes', 'default']),
  evidence: z.string(),
});
export type TimelineStageView = z.infer<typeof timelineStageSchema>;

/** The operation's story as the views show it (the timeline without its raw events). */
export const timelineSchema = z.object({
  operation: z.string().nullable(),
  startedAt: z.number().nullable(),
  outcome: z.enum(['running', 'done', 'failed', 'none']),
  waitingFor: z.string().nullable(),
  stalled: z.boolean(),
  stages: z.array(timelineStageSchema),
  failure: z.object({ at: z.number(), text: z.string(), timedOut: z.boolean() }).nullable(),
  erase: z
    .object({
      bytes: z.number(),
      rateBps: z.number(),
      rateFrom: z.enum(['site history', 'assumed']),
      expectedS: z.number(),
    })
    .nullable(),
});
export type TimelineView = z.infer<typeof timelineSchema>;

export const causeSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** The stage where it stopped. */
  stage: z.string().nullable(),
  sentence: z.string(),
  /** The lines quoted: events, curtin's and cloud-init's lines, live readings. */
  evidence: z.array(z.string()),
  /** What to look at next that is not a task. */
  hints: z.array(z.string()),
});
export type Cause = z.infer<typeof causeSchema>;

export const diagnosisSchema = z.object({
  hostname: z.string(),
  systemId: z.string().nullable(),
  statusName: z.string(),
  status: z.number().nullable(),
  /** Time in the current status against MaaS's node_timeout for it. */
  timer: z
    .object({
      enteredAt: z.number().nullable(),
      inStateS: z.number().nullable(),
      timeoutS: z.number().nullable(),
      /** Seconds before MaaS fails the operation; null when MaaS does not time this status. */
      remainingS: z.number().nullable(),
    })
    .nullable(),
  events: z.array(eventLineSchema),
  curtin: z.object({ status: z.string(), tail: z.array(z.string()) }).nullable(),
  checks: z.array(checkSchema),
  timeline: timelineSchema,
  /** One line: where the operation is and whether that is on time. */
  summary: z.string(),
  cause: causeSchema.nullable(),
  fixes: z.array(fixSchema),
  /** What could not be read live: the conclusion rests on the timeline without it. */
  unchecked: z.array(z.string()),
  /** The last lines the host's serial console printed, when the runner has them. */
  console: z.array(z.string()).optional(),
  /** curtin's whole installation output, when asked for (`--log`). */
  installLog: z.array(z.string()).nullable(),
  task: z
    .object({
      id: z.string(),
      kind: z.string(),
      state: z.string(),
      step: z.string().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
  readAt: z.number(),
});
export type Diagnosis = z.infer<typeof diagnosisSchema>;

const valueSchema = z.object({
  actual: z.string(),
  expected: z.string(),
  drift: z.boolean(),
  /** Could not be read: neither drift nor a match (the summary says "unknown"). */
  unknown: z.boolean().optional(),
});
export type InspectValue = z.infer<typeof valueSchema>;

export const inspectNodeSchema: z.ZodType<InspectNode> = z.lazy(() =>
  z.object({
    kind: z.enum(['machine', 'bmc', 'bond', 'nic', 'port', 'vlans']),
    label: z.string(),
    values: z.record(z.string(), valueSchema),
    children: z.array(inspectNodeSchema),
  }),
);
export interface InspectNode {
  kind: 'machine' | 'bmc' | 'bond' | 'nic' | 'port' | 'vlans';
  label: string;
  values: Record<string, InspectValue>;
  children: InspectNode[];
}

export const inspectionSchema = z.object({
  hostname: z.string(),
  tree: inspectNodeSchema,
  drift: z.array(z.string()),
  /** What could not be read, so the inspection cannot say whether it drifted. */
  unknown: z.array(z.string()).default([]),
  /** What the reconcile task would do, and its params (sent back as is to start it). */
  plan: z.array(z.object({ step: z.string(), actions: z.array(z.string()) })),
  reconcile: z
    .object({
      ports: z.array(
        z.object({
          switch: z.string(),
          port: z.string(),
          untagged: z.number().nullable(),
          tagged: z.array(z.number()),
        }),
      ),
      bond: z.object({ interfaceId: z.number(), name: z.string(), mode: z.string() }).optional(),
      /** The host's power and boot device, when they drifted from its instance's state. */
      power: z.enum(['on', 'off']).optional(),
      boot: z.literal('disk').optional(),
    })
    .nullable(),
  readAt: z.number(),
});
export type Inspection = z.infer<typeof inspectionSchema>;

export const CABLING_STATES = ['ok', 'other-port', 'not-seen', 'error'] as const;
export const cablingSchema = z.object({
  rack: z.string(),
  switches: z.array(z.object({ name: z.string(), entries: z.number(), error: z.string().nullable() })),
  nics: z.array(
    z.object({
      hostname: z.string().nullable(),
      mac: z.string(),
      switch: z.string(),
      port: z.string(),
      state: z.enum(CABLING_STATES),
      /** Where the switch learned it, when elsewhere. */
      seenOn: z.string().nullable(),
      vlan: z.number().nullable(),
    }),
  ),
  readAt: z.number(),
});
export type Cabling = z.infer<typeof cablingSchema>;

/** The morning triage, as `site.triage` answers it (see src/runner/doctor/triage.ts). */
export const triageRowSchema = z.object({
  hostname: z.string(),
  systemId: z.string(),
  statusName: z.string(),
  operation: z.string().nullable(),
  stage: z.string().nullable(),
  /** Seconds in that stage (to the failure, for a failed one). */
  stageS: z.number().nullable(),
  cause: z.object({ id: z.string(), title: z.string() }).nullable(),
  summary: z.string(),
  /** Seconds before MaaS fails it; null when MaaS does not time it (or it failed already). */
  remainingS: z.number().nullable(),
  /** 0 stuck and still running, 1 failed or broken, 2 progressing. */
  urgency: z.number().int(),
});
export type TriageRow = z.infer<typeof triageRowSchema>;

export const triageSchema = z.object({
  rows: z.array(triageRowSchema),
  /** Machines MaaS listed, and how many of them needed a look. */
  scanned: z.number().int(),
  readAt: z.number(),
  tookMs: z.number(),
  /** Machines whose events could not be read, with why. */
  errors: z.array(z.object({ hostname: z.string(), error: z.string() })),
});
export type Triage = z.infer<typeof triageSchema>;
