import { EV, STATUS_CHANGE, TIMED_OUT, TIMEOUT_MIN_BY_STATUS } from './catalogue.ts';
import { typicalEraseRate, typicalOf, type FinishedOperation, type StageHistory } from './history.ts';
import {
  FAILED_STATUSES,
  OPERATION_OF_STATUS,
  STAGES,
  type Operation,
  type StageDef,
  type StoryEvent,
} from './stages.ts';

/**
 * The story of the operation in progress (or the last one), from MaaS's events: which stages it
 * went through, when, for how long, where it stopped, against the typical time at this site and
 * MaaS's own timeout. Pure: the events go in (any order, every level), the timeline comes out.
 */

export interface TimelineStage {
  id: string;
  label: string;
  at: number;
  /** When the next stage began (or the operation ended); null for the stage in progress. */
  endAt: number | null;
  durationS: number;
  /** Typical time in this stage here (site history), or null without enough history. */
  typicalS: number | null;
  /** How long it may last before the doctor calls it stalled (null: no limit), and where that figure comes from. */
  patienceS: number | null;
  patienceFrom: 'site history' | 'disk sizes' | 'default';
  /** The event that marked it, as MaaS shows it. */
  evidence: string;
}

export interface Timeline {
  operation: Operation | null;
  startedAt: number | null;
  /** Id of the event that started the operation (history learns each once). */
  startEventId: number | null;
  stages: TimelineStage[];
  outcome: 'running' | 'done' | 'failed' | 'none';
  /** The next stage it waits for, when running or failed. */
  waitingFor: string | null;
  /** The stage in progress has lasted longer than its patience. */
  stalled: boolean;
  failure: { at: number; text: string; timedOut: boolean } | null;
  /** MaaS's own clock: status_expires, pushed out by each boot config request and curtin's start. */
  timer: { timeoutS: number; deadlineAt: number; remainingS: number } | null;
  erase: { bytes: number; rateBps: number; rateFrom: 'site history' | 'assumed'; expectedS: number } | null;
  /** The operation's events, oldest first. */
  events: StoryEvent[];
}

export interface TimelineInput {
  statusName: string;
  status: number | null;
  events: readonly StoryEvent[];
  now: number;
  history: StageHistory | null;
  /** Sum of the machine's disk sizes (MaaS `storage`, MB → bytes), for the erase estimate. */
  diskBytes?: number | null;
  /**
   * The region's clock against real MaaS: 1 for a real region; the lab runs MaaS's durations and
   * timeouts scaled (RACKPILOT_TIME_SCALE), so default patience and timeouts scale with it.
   */
  timeScale?: number;
}

/** No wait is shorter than this, however fast a lab runs: a power-on's own latency is not a stall. */
const MIN_WAIT_S = 3;
const scaled = (s: number, scale: number) => Math.max(MIN_WAIT_S, Math.round(s * scale));

/** Full erase writes every byte; without this site's own figure we assume a plain disk's pace. */
export const ASSUMED_ERASE_BPS = 100 * 1024 * 1024;

export function line(e: StoryEvent): string {
  const t = Number.isFinite(e.at) ? new Date(e.at).toISOString().slice(11, 19) : '??:??:??';
  return `${t} ${e.type}${e.description ? ` - ${e.description}` : ''}`;
}

const changeTo = (e: StoryEvent) =>
  e.type === EV.changedStatus ? (STATUS_CHANGE.exec(e.description)?.[2] ?? null) : null;
const changeFrom = (e: StoryEvent) =>
  e.type === EV.changedStatus ? (STATUS_CHANGE.exec(e.description)?.[1] ?? null) : null;

/** A status change that continues the operation rather than starting a new one. */
function continues(op: Operation, from: string | null, target: string): boolean {
  if (op === 'commission') return target === 'Testing' && from === 'Commissioning';
  if (op === 'erase') return target === 'Releasing' && from === 'Disk erasing';
  if (op === 'rescue') return target === 'Rescue mode' || target === 'Exiting rescue mode';
  return false;
}

/** The events of the last operation: from the status change that began it. */
function lastOperation(sorted: readonly StoryEvent[]): { op: Operation; start: number } | null {
  let found: { op: Operation; start: number } | null = null;
  sorted.forEach((e, i) => {
    const target = changeTo(e);
    if (target === null) return;
    const op = OPERATION_OF_STATUS[target];
    if (!op) return;
    if (found && continues(found.op, changeFrom(e), target)) return;
    found = { op, start: i };
  });
  return found;
}

function walkStages(defs: StageDef[], events: readonly StoryEvent[]) {
  const reached: { def: StageDef; event: StoryEvent }[] = [];
  let index = -1;
  for (const e of events) {
    for (let k = defs.length - 1; k > index; k--) {
      if (defs[k]!.match(e, index)) {
        reached.push({ def: defs[k]!, event: e });
        index = k;
        break;
      }
    }
  }
  return { reached, index };
}

function failureOf(events: readonly StoryEvent[]): Timeline['failure'] {
  const e = events.find(
    (x) => x.type === EV.markFailedSystem || (changeTo(x) !== null && FAILED_STATUSES.has(changeTo(x)!)),
  );
  if (!e) return null;
  // The comment carries the why; the status change only says which status.
  const why = events.find((x) => x.type === EV.markFailedSystem) ?? e;
  return { at: e.at, text: line(why), timedOut: TIMED_OUT.test(why.description) };
}

function timerOf(input: TimelineInput, startedAt: number, events: readonly StoryEvent[]): Timeline['timer'] {
  const minutes = input.status === null ? undefined : TIMEOUT_MIN_BY_STATUS[input.status];
  if (minutes === undefined) return null;
  // status_expires only guards the boot into the ephemeral environment: once the node's scripts
  // report (metadataserver clears it for commissioning and testing), their own pace decides. We
  // read an erase the same way, so a multi-hour full erase is not counted down as a failure.
  if (events.some((e) => e.type === EV.commissioning || e.type === EV.statusEvent)) return null;
  let from = startedAt;
  for (const e of events) {
    const resets =
      e.type === EV.pxeRequest ||
      (e.type === EV.install &&
        /^'curtin' (curtin command install|preparing for installation|executing late commands)/.test(
          e.description,
        ));
    if (resets && Number.isFinite(e.at)) from = Math.max(from, e.at);
  }
  const timeoutS = scaled(minutes * 60, input.timeScale ?? 1);
  const deadlineAt = from + timeoutS * 1000;
  return { timeoutS, deadlineAt, remainingS: Math.round((deadlineAt - input.now) / 1000) };
}

function eraseOf(input: TimelineInput): Timeline['erase'] {
  if (!input.diskBytes || input.diskBytes <= 0) return null;
  const site = typicalEraseRate(input.history);
  const rateBps = site ?? ASSUMED_ERASE_BPS;
  // The site's own rate was measured on its own clock; the assumed one is a real disk's, which
  // the lab's MaaS runs scaled.
  const scale = site ? 1 : (input.timeScale ?? 1);
  return {
    bytes: input.diskBytes,
    rateBps,
    rateFrom: site ? 'site history' : 'assumed',
    expectedS: Math.max(1, Math.round((input.diskBytes / rateBps) * scale)),
  };
}

export function buildTimeline(input: TimelineInput): Timeline {
  const sorted = [...input.events].sort((a, b) => a.id - b.id);
  const found = lastOperation(sorted);
  const empty: Timeline = {
    operation: null,
    startedAt: null,
    startEventId: null,
    stages: [],
    outcome: 'none',
    waitingFor: null,
    stalled: false,
    failure: null,
    timer: null,
    erase: null,
    events: [],
  };
  if (!found) return empty;
  const defs = STAGES[found.op];
  const events = sorted.slice(found.start);
  const failure = failureOf(events);
  const upToFailure = failure ? events.filter((e) => e.at <= failure.at || !Number.isFinite(e.at)) : events;
  const { reached, index } = walkStages(defs, upToFailure);
  const done = index === defs.length - 1;
  const outcome: Timeline['outcome'] = failure ? 'failed' : done ? 'done' : 'running';
  const erase = found.op === 'erase' ? eraseOf(input) : null;
  const endOfOp = failure?.at ?? (done ? reached[reached.length - 1]!.event.at : input.now);
  const stages: TimelineStage[] = reached.map(({ def, event }, k) => {
    const next = reached[k + 1];
    const endAt = next ? next.event.at : outcome === 'running' ? null : endOfOp;
    const typicalS = typicalOf(input.history, found.op, def.id);
    const scale = input.timeScale ?? 1;
    let patienceS: number | null = Number.isFinite(def.patienceS) ? scaled(def.patienceS, scale) : null;
    let patienceFrom: TimelineStage['patienceFrom'] = 'default';
    if (def.id === 'erasing' && erase) {
      patienceS = Math.round(erase.expectedS * 1.5) + scaled(600, scale);
      patienceFrom = 'disk sizes';
    } else if (typicalS !== null) {
      patienceS = Math.max(3 * typicalS, typicalS + scaled(120, scale));
      patienceFrom = 'site history';
    }
    return {
      id: def.id,
      label: def.label,
      at: event.at,
      endAt,
      durationS: Math.max(0, Math.round(((endAt ?? input.now) - event.at) / 1000)),
      typicalS,
      patienceS,
      patienceFrom,
      evidence: line(event),
    };
  });
  const current = stages[stages.length - 1];
  const stalled =
    outcome === 'running' &&
    current !== undefined &&
    current.patienceS !== null &&
    current.durationS > current.patienceS;
  const startedAt = events[0]!.at;
  return {
    operation: found.op,
    startedAt,
    startEventId: events[0]!.id,
    stages,
    outcome,
    waitingFor: outcome === 'done' ? null : (defs[index + 1]?.label ?? null),
    stalled,
    failure,
    timer: outcome === 'running' ? timerOf(input, startedAt, events) : null,
    erase,
    events,
  };
}

/** A finished operation's stage durations, for the site's history; null unless it ended well. */
export function finishedOperation(t: Timeline, diskBytes?: number | null): FinishedOperation | null {
  if (t.outcome !== 'done' || t.operation === null || t.startEventId === null) return null;
  const stages = t.stages.slice(0, -1).map((s) => ({ id: s.id, durationS: s.durationS }));
  const erasing = t.stages.find((s) => s.id === 'erasing');
  return {
    startEventId: t.startEventId,
    operation: t.operation,
    stages,
    ...(erasing && diskBytes ? { erase: { bytes: diskBytes, seconds: erasing.durationS } } : {}),
  };
}

const STORY_STARTS = new Set([
  'Deploying',
  'Commissioning',
  'Disk erasing',
  'Entering rescue mode',
  'Broken',
]);

/** Do these events (any order) reach back to the start of the machine's last operation? */
export function reachesStoryStart(events: readonly { type: string; description: string }[]): boolean {
  return events.some((e) => {
    if (e.type !== EV.changedStatus) return false;
    const m = STATUS_CHANGE.exec(e.description);
    if (!m) return false;
    return STORY_STARTS.has(m[2]!) || (m[2] === 'Releasing' && m[1] !== 'Disk erasing');
  });
}
