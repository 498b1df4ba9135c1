/**
 * MaaS's NODE_STATUS enum (src/maascommon/enums/node.py): the code in `status`, the text in
 * `status_name`. The UI colours a machine by `nodeStatusKind`, workflows wait on it.
 */
export const NODE_STATUS = {
  NEW: 0,
  COMMISSIONING: 1,
  FAILED_COMMISSIONING: 2,
  MISSING: 3,
  READY: 4,
  RESERVED: 5,
  DEPLOYED: 6,
  RETIRED: 7,
  BROKEN: 8,
  DEPLOYING: 9,
  ALLOCATED: 10,
  FAILED_DEPLOYMENT: 11,
  RELEASING: 12,
  FAILED_RELEASING: 13,
  DISK_ERASING: 14,
  FAILED_DISK_ERASING: 15,
  RESCUE_MODE: 16,
  ENTERING_RESCUE_MODE: 17,
  FAILED_ENTERING_RESCUE_MODE: 18,
  EXITING_RESCUE_MODE: 19,
  FAILED_EXITING_RESCUE_MODE: 20,
  TESTING: 21,
  FAILED_TESTING: 22,
} as const;

export type NodeStatusKey = keyof typeof NODE_STATUS;
export type NodeStatusCode = (typeof NODE_STATUS)[NodeStatusKey];

/** `status_name` exactly as MaaS spells it. */
export const NODE_STATUS_NAME: Readonly<Record<NodeStatusCode, string>> = {
  0: 'New',
  1: 'Commissioning',
  2: 'Failed commissioning',
  3: 'Missing',
  4: 'Ready',
  5: 'Reserved',
  6: 'Deployed',
  7: 'Retired',
  8: 'Broken',
  9: 'Deploying',
  10: 'Allocated',
  11: 'Failed deployment',
  12: 'Releasing',
  13: 'Releasing failed',
  14: 'Disk erasing',
  15: 'Failed disk erasing',
  16: 'Rescue mode',
  17: 'Entering rescue mode',
  18: 'Failed to enter rescue mode',
  19: 'Exiting rescue mode',
  20: 'Failed to exit rescue mode',
  21: 'Testing',
  22: 'Failed testing',
};

export const ALL_NODE_STATUS_CODES: readonly NodeStatusCode[] = Object.values(NODE_STATUS);

/**
 * stable: nothing is happening; transitional: MaaS is working on it (and will time out if the
 * machine never reports back); failed: an operation failed and the machine needs an operator;
 * attention: not failed, but out of service (Broken, Missing, Retired).
 */
export type NodeStatusKind = 'stable' | 'transitional' | 'failed' | 'attention';

const KIND: Readonly<Record<NodeStatusCode, NodeStatusKind>> = {
  0: 'stable',
  1: 'transitional',
  2: 'failed',
  3: 'attention',
  4: 'stable',
  5: 'stable',
  6: 'stable',
  7: 'attention',
  8: 'attention',
  9: 'transitional',
  10: 'stable',
  11: 'failed',
  12: 'transitional',
  13: 'failed',
  14: 'transitional',
  15: 'failed',
  16: 'stable',
  17: 'transitional',
  18: 'failed',
  19: 'transitional',
  20: 'failed',
  21: 'transitional',
  22: 'failed',
};

/** For each failed state, the transitional state whose failure it records. */
export const FAILED_FROM: Readonly<Partial<Record<NodeStatusCode, NodeStatusCode>>> = {
  2: 1,
  11: 9,
  13: 12,
  15: 14,
  18: 17,
  20: 19,
  22: 21,
};

/** The failed state a transitional state falls into when its operation fails or times out. */
export const FAILURE_OF: Readonly<Partial<Record<NodeStatusCode, NodeStatusCode>>> = Object.fromEntries(
  Object.entries(FAILED_FROM).map(([failed, from]) => [from, Number(failed)]),
) as Partial<Record<NodeStatusCode, NodeStatusCode>>;

export function isNodeStatusCode(n: number): n is NodeStatusCode {
  return Number.isInteger(n) && n >= 0 && n <= 22;
}

export function nodeStatusName(code: NodeStatusCode): string {
  return NODE_STATUS_NAME[code];
}

const BY_NAME = new Map<string, NodeStatusCode>(
  ALL_NODE_STATUS_CODES.map((c) => [NODE_STATUS_NAME[c].toLowerCase(), c]),
);

/** Case-insensitive; undefined for a name MaaS does not use. */
export function nodeStatusFromName(name: string): NodeStatusCode | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

export function nodeStatusKind(code: NodeStatusCode): NodeStatusKind {
  return KIND[code];
}

export function isTransitional(code: NodeStatusCode): boolean {
  return KIND[code] === 'transitional';
}

export function isFailed(code: NodeStatusCode): boolean {
  return KIND[code] === 'failed';
}
