import { z } from 'zod';

/**
 * This site's own memory of how long each stage of each operation took: the runner learns it from
 * every finished operation the doctor reads (each once, by the id of the event that started it),
 * and the timeline compares the stage in progress with it. Pure; the file lives in history-file.ts.
 */
export const stageHistorySchema = z.object({
  version: z.literal(1),
  /** "deploy/curthooks" → the last durations in seconds, oldest first. */
  stages: z.record(z.string(), z.array(z.number().nonnegative())),
  /** Erase speed seen here, bytes per second, per finished erase. */
  eraseRates: z.array(z.number().positive()),
  /** Ids of the events that started operations already learned from. */
  learned: z.array(z.number().int()),
  /** "deploy" → whole durations in seconds, oldest first (files older than the field have none). */
  operations: z.record(z.string(), z.array(z.number().nonnegative())).optional(),
});
export type StageHistory = z.infer<typeof stageHistorySchema>;

const KEEP_SAMPLES = 50;
const KEEP_LEARNED = 5000;
/** A typical value needs a few samples; one odd deployment is not a habit. */
export const MIN_SAMPLES = 3;

export function emptyHistory(): StageHistory {
  return { version: 1, stages: {}, eraseRates: [], learned: [] };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The typical duration of a stage here, in seconds, or null without enough history. */
export function typicalOf(h: StageHistory | null, operation: string, stage: string): number | null {
  const xs = h?.stages[`${operation}/${stage}`];
  return xs && xs.length >= MIN_SAMPLES ? Math.round(median(xs)) : null;
}

export function typicalEraseRate(h: StageHistory | null): number | null {
  return h && h.eraseRates.length >= MIN_SAMPLES ? median(h.eraseRates) : null;
}

export interface FinishedOperation {
  /** Id of the event that started it: each operation is learned once. */
  startEventId: number;
  operation: string;
  stages: { id: string; durationS: number }[];
  /** For an erase: bytes erased and the time the erasing stage took. */
  erase?: { bytes: number; seconds: number };
}

/** The history with one more finished operation in it (unchanged when already learned). */
export function learn(h: StageHistory, op: FinishedOperation): StageHistory {
  if (h.learned.includes(op.startEventId)) return h;
  const stages = { ...h.stages };
  for (const s of op.stages) {
    const key = `${op.operation}/${s.id}`;
    stages[key] = [...(stages[key] ?? []), s.durationS].slice(-KEEP_SAMPLES);
  }
  const eraseRates =
    op.erase && op.erase.seconds > 0 && op.erase.bytes > 0
      ? [...h.eraseRates, op.erase.bytes / op.erase.seconds].slice(-KEEP_SAMPLES)
      : h.eraseRates;
  const total = op.stages.reduce((sum, s) => sum + s.durationS, 0);
  const operations = { ...h.operations };
  operations[op.operation] = [...(operations[op.operation] ?? []), total].slice(-KEEP_SAMPLES);
  return {
    version: 1,
    stages,
    eraseRates,
    learned: [...h.learned, op.startEventId].slice(-KEEP_LEARNED),
    operations,
  };
}

/** How long a whole operation takes at this site, and where that figure comes from. */
export interface OperationEstimate {
  seconds: number;
  from: string;
}

/**
 * The typical duration of a whole operation here: the median of the finished ones, else the sum of
 * its stages' typical times when every stage seen has enough samples; null without enough history.
 */
export function estimateOf(h: StageHistory | null, operation: string): OperationEstimate | null {
  if (!h) return null;
  const totals = h.operations?.[operation] ?? [];
  if (totals.length >= MIN_SAMPLES)
    return {
      seconds: Math.round(median(totals)),
      from: `the median of this site's last ${totals.length} ${operation} operations (stage history)`,
    };
  const prefix = `${operation}/`;
  const stages = Object.entries(h.stages).filter(([k]) => k.startsWith(prefix));
  if (stages.length === 0 || stages.some(([, xs]) => xs.length < MIN_SAMPLES)) return null;
  const fewest = Math.min(...stages.map(([, xs]) => xs.length));
  return {
    seconds: Math.round(stages.reduce((sum, [, xs]) => sum + median(xs), 0)),
    from: `the sum of this site's typical ${operation} stage times (stage history, ${fewest}+ samples each)`,
  };
}
